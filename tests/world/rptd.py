#!/usr/bin/python3
# NAME
#	rptd.py - the test world's HTTPS collector of TLS-RPT reports
# SYNOPSIS
#	/usr/bin/python3 rptd.py ADDR PORT CERT KEY OUTDIR READYFILE
# DESCRIPTION
#	Accepts POST requests on any path (RFC 8460 §3: the rua https URI)
#	and stores each body as OUTDIR/NNNN.body, then OUTDIR/NNNN.json with
#	the path, Content-Type, Content-Encoding, the other headers and the
#	length (tests wait for the .json). Answers 200 - or, for a path that
#	contains "fail", 503 without storing, so senders' retries can be
#	tested. Bodies sent with Content-Length or chunked are both read.
#	READYFILE is created once the server listens. The world runs it
#	inside mxd.py's process (see there); it also runs alone.
import http.server
import json
import os
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "exim-mtasts-test-tlsrpt"
    lock = threading.Lock()
    outdir = "."

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def reply(self, code, text):
        data = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.read_body()
        if "fail" in self.path:
            self.reply(503, "refused on purpose")
            return
        with Handler.lock:
            n = len([f for f in os.listdir(self.outdir) if f.endswith(".json")]) + 1
            base = os.path.join(self.outdir, "%04d" % n)
            with open(base + ".body", "wb") as f:
                f.write(body)
            meta = {
                "seq": n,
                "path": self.path,
                "content_type": self.headers.get("Content-Type"),
                "content_encoding": self.headers.get("Content-Encoding"),
                "headers": dict(self.headers.items()),
                "length": len(body),
                "tls": self.connection.version(),
            }
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f)
                f.write("\n")
            os.rename(base + ".json.tmp", base + ".json")
        self.reply(200, "stored as %04d" % n)

    def do_GET(self):
        self.reply(405, "POST reports here")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class TLSServer(http.server.ThreadingHTTPServer):
    """TLSServer - does each TLS handshake in the connection's own thread"""
    daemon_threads = True
    ctx = None

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write("%s handshake failed: %s\n" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()


def server(addr, port, cert, key, outdir):
    """server - the collector, bound and ready to serve_forever()"""
    Handler.outdir = outdir
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    TLSServer.ctx = ctx
    return TLSServer((addr, int(port)), Handler)


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: rptd.py ADDR PORT CERT KEY OUTDIR READYFILE")
    addr, port, cert, key, outdir, ready = sys.argv[1:]
    httpd = server(addr, port, cert, key, outdir)
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    httpd.serve_forever()


if __name__ == "__main__":
    main()
