#!/usr/bin/python3
# NAME
#	mxd.py - the test world's SMTP MX servers, one process, one event loop
# SYNOPSIS
#	/usr/bin/python3 mxd.py SERVERS.json OUTDIR READYFILE [GOFILE]
# DESCRIPTION
#	SERVERS.json is {"mx": [...], "tlsrpt": {...}}. Each "mx" entry is
#	{"name", "hostname", "addr", "port", "tls", "cert", "key"}; tls is
#	"modern" (STARTTLS, TLS 1.2 and 1.3), "tls11" (STARTTLS, TLS 1.1
#	only) or "none" (no STARTTLS offered). Each server accepts every
#	sender and recipient (aiosmtpd, Debian's package). "tlsrpt", when
#	present, is {"addr", "port", "cert", "key", "outdir"}: the HTTPS
#	collector of rptd.py, run in a thread of this process (one Python
#	start less: the world must be up in seconds on a loaded machine).
#
#	Each message is stored as OUTDIR/NAME/NNNN.eml (the data as received)
#	and then OUTDIR/NAME/NNNN.json (envelope, HELO, peer, TLS version and
#	cipher or null) - tests wait for the .json. Each connection appends
#	"connect PEER", "starttls VERSION CIPHER" and "message NNNN" lines to
#	OUTDIR/NAME/events.log, so a test can assert that a host was never
#	contacted. READYFILE is created once every server listens.
#
#	With GOFILE, it first waits (up to 30 s) until GOFILE exists: up.sh
#	starts it while the certificates are still being made, so that
#	Python's start and imports overlap with that work.
import asyncio
import json
import os
import ssl
import sys
import threading
import time
import warnings

from aiosmtpd.smtp import SMTP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rptd  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def tls_context(kind, cert, key):
    """tls_context - the server TLS context for a kind, or None"""
    if kind == "none":
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if kind == "tls11":
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class Box:
    """Box - where one server stores what it saw"""

    def __init__(self, outdir, name):
        self.dir = os.path.join(outdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.seq = len([f for f in os.listdir(self.dir) if f.endswith(".json")])

    def event(self, line):
        with open(os.path.join(self.dir, "events.log"), "a") as f:
            f.write("%.3f %s\n" % (time.time(), line))

    async def handle_DATA(self, server, session, envelope):
        self.seq += 1
        base = os.path.join(self.dir, "%04d" % self.seq)
        tls = None
        obj = session.ssl.get("ssl_object") if session.ssl else None
        if obj is not None:
            tls = {"version": obj.version(), "cipher": obj.cipher()[0]}
        meta = {
            "seq": self.seq,
            "time": time.time(),
            "peer": list(session.peer) if session.peer else None,
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": tls,
            "size": len(envelope.original_content or b""),
        }
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or b"")
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
            f.write("\n")
        os.rename(base + ".json.tmp", base + ".json")
        self.event("message %04d" % self.seq)
        return "250 2.0.0 stored as %04d" % self.seq


class Server(SMTP):
    """Server - aiosmtpd's SMTP that logs connections and handshakes"""

    def __init__(self, box, **kw):
        self.box = box
        super().__init__(box, **kw)

    def connection_made(self, transport):
        starttls = self._original_transport is not None
        super().connection_made(transport)
        if not starttls:
            self.box.event("connect %s" % (transport.get_extra_info("peername"),))
        else:
            obj = self.session.ssl.get("ssl_object") if self.session.ssl else None
            if obj is not None:
                self.box.event("starttls %s %s" % (obj.version(), obj.cipher()[0]))


async def main(conf, outdir, ready):
    loop = asyncio.get_running_loop()
    if conf.get("tlsrpt"):
        r = conf["tlsrpt"]
        httpd = rptd.server(r["addr"], r["port"], r["cert"], r["key"], r["outdir"])
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    for s in conf["mx"]:
        ctx = tls_context(s["tls"], s.get("cert"), s.get("key"))
        box = Box(outdir, s["name"])

        def factory(box=box, ctx=ctx, host=s["hostname"]):
            return Server(box, hostname=host, tls_context=ctx,
                          require_starttls=False, decode_data=False,
                          enable_SMTPUTF8=True, ident="exim-mtasts test MX")

        await loop.create_server(factory, host=s["addr"], port=s.get("port", 25),
                                 reuse_address=True)
    with open(ready, "w") as f:
        f.write("%d\n" % os.getpid())
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: mxd.py SERVERS.json OUTDIR READYFILE [GOFILE]")
    if len(sys.argv) == 5:
        deadline = time.time() + 30
        while not os.path.exists(sys.argv[4]):
            if time.time() > deadline:
                sys.exit("mxd.py: no %s after 30 s" % sys.argv[4])
            time.sleep(0.01)
    with open(sys.argv[1]) as f:
        servers = json.load(f)
    try:
        asyncio.run(main(servers, sys.argv[2], sys.argv[3]))
    except KeyboardInterrupt:
        pass
