#!/usr/bin/python3
# tlsrpt_https_sink.py - a tiny HTTPS server that records POSTed reports.
#
#   tests/tlsrpt_https_sink.py PORTFILE CERT KEY OUTDIR [FAIL_FIRST]
#
# Listens on 127.0.0.1, a free port written to PORTFILE. Each POST is saved
# as OUTDIR/post.N.body with its Content-Type in OUTDIR/post.N.type; the
# first FAIL_FIRST requests get 500, later ones 200. Runs until killed.
import http.server
import os
import ssl
import sys

portfile, cert, key, outdir = sys.argv[1:5]
fail_first = int(sys.argv[5]) if len(sys.argv) > 5 else 0
count = 0


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        count += 1
        if count <= fail_first:
            self.send_response(500)
            self.end_headers()
            return
        with open(os.path.join(outdir, f"post.{count}.body"), "wb") as f:
            f.write(body)
        with open(os.path.join(outdir, f"post.{count}.type"), "w") as f:
            f.write(self.headers.get("Content-Type", ""))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
