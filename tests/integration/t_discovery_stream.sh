#!/usr/bin/env bash
# t_discovery_stream.sh - fetch rules that nginx's static answers cannot show:
# a body without Content-Length (chunked) is capped at 64 KiB while it
# streams in (RFC 8461 §3.3), a media type with parameters is text/plain,
# the proxy environment variables are ignored, and a configured proxy is
# used (and routes the policy host: no lookup of our own).
#
# A small HTTPS server of ours (Python's ssl, the world's certificates)
# listens on 127.0.0.1:8443 inside the namespace; connect_to routes the
# policy hosts of "enforce" and "testing" there.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
Z=$WORLD_ZONE
tmp=$(mktemp -d /tmp/mtasts-stream.XXXXXX)
spid=""
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

cat >"$tmp/serve.py" <<'EOF'
# serve.py CERTDIR ZONE READYFILE - chunked answers chosen by SNI
import http.server, socket, ssl, sys
certdir, zone, ready = sys.argv[1:4]
policy = "version: STSv1\nmode: testing\nmx: mx1.%s\nmax_age: 86400\n" % zone

def context(host):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain("%s/%s.crt" % (certdir, host), "%s/leaf.key" % certdir)
    return c

hosts = {h: context(h) for h in ("mta-sts.enforce." + zone, "mta-sts.testing." + zone)}
default = hosts["mta-sts.testing." + zone]
def sni(sock, name, ctx):
    if name in hosts:
        sock.context = hosts[name]
default.sni_callback = sni

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        host = self.headers.get("Host", "")
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        if host.startswith("mta-sts.enforce."):
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            chunk = ("mx: filler.%s\n" % zone).encode() * 200
            for _ in range(40):                 # about 180 KB, no Content-Length
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        else:
            self.send_header("Content-Type", "Text/Plain; charset=UTF-8")
            self.end_headers()
            b = policy.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.write(b"0\r\n\r\n")

s = http.server.HTTPServer(("127.0.0.1", 8443), H)
s.socket = default.wrap_socket(s.socket, server_side=True)
open(ready, "w").write("ok\n")
s.serve_forever()
EOF
$WORLD_EXEC /usr/bin/python3 "$tmp/serve.py" "$WORLD_CERT_DIR" "$Z" "$tmp/ready" 2>"$tmp/serve.err" &
spid=$!
for _ in $(seq 150); do [ -s "$tmp/ready" ] && break; sleep 0.1; done
check stream_server_started test -s "$tmp/ready"

cat >"$tmp/check.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
connect_to = mta-sts.enforce.$Z:443:127.0.0.1:8443
connect_to = mta-sts.testing.$Z:443:127.0.0.1:8443
fetch_timeout = 10s
EOF

# RFC 8461 §3.3: at most 64 KiB, counted as the body streams (no Content-Length)
$WORLD_EXEC "$M" check --json -c "$tmp/check.conf" "enforce.$Z" >"$tmp/big.json" 2>"$tmp/err"
expect_eq streamed_body_capped "$(jq -c '[.status,.failure.result_type,.failure.problem,.fetch.http_status]' "$tmp/big.json")" \
    '["no-policy","sts-policy-invalid","too-big",200]'

# RFC 8461 §3.3: text/plain with parameters (media types ignore case, RFC 7231 §3.1.1.1)
$WORLD_EXEC "$M" check --json -c "$tmp/check.conf" "testing.$Z" >"$tmp/t.json" 2>"$tmp/err"
expect_eq media_type_with_parameters "$(jq -c '[.status,.policy.mode,.fetch.content_type]' "$tmp/t.json")" \
    '["policy","testing","Text/Plain; charset=UTF-8"]'

# proxy variables in the environment are ignored (no proxy unless configured)
$WORLD_EXEC env https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    all_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
    "$M" check --json -c "$tmp/check.conf" "testing.$Z" >"$tmp/env.json" 2>"$tmp/err"
expect_eq proxy_environment_ignored "$(jq -c .status "$tmp/env.json")" '"policy"'

# a configured proxy is used: nothing listens there, so the fetch cannot connect
printf 'unbound_config = %s\nca_file = %s\nproxy = http://127.0.0.1:9\nfetch_timeout = 5s\n' \
    "$WORLD_UNBOUND_CONF" "$WORLD_CA_FILE" >"$tmp/proxy.conf"
$WORLD_EXEC "$M" check --json -c "$tmp/proxy.conf" "enforce.$Z" >"$tmp/proxy.json" 2>"$tmp/err"
expect_eq configured_proxy_used "$(jq -c '[.status,.policy_host.routed,.failure.problem,.failure.temporary]' "$tmp/proxy.json")" \
    '["tempfail",true,"connect",true]'
expect_match configured_proxy_named "$(jq -r .reason "$tmp/proxy.json")" 'the proxy http://127\.0\.0\.1:9'
exit 0
