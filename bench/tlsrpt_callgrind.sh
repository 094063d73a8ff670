#!/usr/bin/env bash
# tlsrpt_callgrind.sh - user-space instructions per request of mtastsd's
# report path against ping's, under valgrind --tool=callgrind: exact and
# independent of machine load (which loadgen's rates are not). Never run by
# CI. Results: bench/TLSRPT.md.
#
#   bench/tlsrpt_callgrind.sh [BUILD [LOADGEN]]
#
# Starts a test world (tests/world/up.sh) for policies to cache, a private
# mtastsd in it under callgrind, warms four domains' policies, then sends N
# (default 10000) pings, N success lines and N failure lines (the lines
# bench/tlsrpt.sh sends) with loadgen, dumping callgrind's counts after
# each phase; prints instructions per request (requests counted as calls
# of proto_req_parse() in each phase). Stops all it started.
set -u
BUILD=${1:-build}
LOADGEN=${2:-$BUILD/bench/loadgen}
N=${N:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$LOADGEN" ] || { echo "tlsrpt_callgrind.sh: no loadgen at $LOADGEN (make bench)"; exit 2; }
d=$(mktemp -d /tmp/tlsrpt_cg.XXXXXX)
chmod 755 "$d"
dpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null
    sleep 1
    "$top/tests/world/down.sh" "$d/world" >/dev/null 2>&1
    rm -rf "$d"
}
trap cleanup EXIT
mkdir -p "$d/world" "$d/state"
"$top/tests/world/up.sh" "$d/world" > "$d/env.sh" 2>"$d/up.log" || { cat "$d/up.log"; exit 1; }
. "$d/env.sh"
{
    echo "unbound_config = $WORLD_UNBOUND_CONF"; echo "ca_file = $WORLD_CA_FILE"
    sed 's/^/connect_to = /' "$WORLD_CONNECT_TO_FILE"; echo "fetch_allow_address = 127.0.0.0/8"
    echo "socket = $d/sock"; echo "state_dir = $d/state"
} > "$d/conf"
$WORLD_EXEC valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" --dump-instr=no \
    --compress-strings=no --compress-pos=no "$BUILD/mtastsd" -f -c "$d/conf" > "$d/log" 2>&1 &
for _ in $(seq 300); do [ -S "$d/sock" ] && break; sleep 0.1; done
dpid=$(pgrep -f "callgrind.*$d/conf" | head -1)
ask() { printf '%s\n' "$1" | $WORLD_EXEC socat - "UNIX-CONNECT:$d/sock" 2>/dev/null; }
for dom in enforce testing enforce-wildcard change; do
    for _ in $(seq 50); do
        case $(ask "allowed $dom.example.test") in tempfail*|"") sleep 0.3 ;; *) break ;; esac
    done
    echo "$dom.example.test" >> "$d/domains"
done
lg() { "$LOADGEN" -u "$d/sock" -c 16 -T 1 -f "$d/domains" -m line "$@" | grep answers; }
lg -n 2000 -r ping -e ok >/dev/null
callgrind_control -z "$dpid" >/dev/null
lg -n "$N" -r ping -e ok
callgrind_control -d ping "$dpid" >/dev/null
lg -n "$N" -r "report %s result=success policy=auto mx=b64:bXgxLmV4YW1wbGUudGVzdA== ip=192.0.2.25 sip=192.0.2.1" -e "ok counted=1"
callgrind_control -d success "$dpid" >/dev/null
lg -n "$N" -r "report %s errno=-37 msg=b64:VExTIHNlc3Npb246IChjZXJ0aWZpY2F0ZSB2ZXJpZmljYXRpb24gZmFpbGVkKTogY2VydGlmaWNhdGUgaW52YWxpZA== notafter=1798558318 san=b64:RE5TPW14LXNlbGZzaWduZWQuZXhhbXBsZS50ZXN0 mx=b64:bXgtc2VsZnNpZ25lZC5leGFtcGxlLnRlc3Q= ip=192.0.2.26 sip=192.0.2.1" -e "ok counted=1"
callgrind_control -d failure "$dpid" >/dev/null
kill "$dpid"; wait 2>/dev/null; dpid=
sleep 1
/usr/bin/python3 - "$d"/cg.out.* <<'PY'
import sys
rows = []
for f in sorted(sys.argv[1:]):
    tot = calls = 0; cfn = None; trig = "?"
    for line in open(f):
        if line.startswith("summary:"): tot = int(line.split()[1])
        elif line.startswith("desc: Trigger"): trig = line.split()[-1]
        elif line.startswith("cfn="): cfn = line[4:].strip()
        elif line.startswith("calls=") and cfn == "proto_req_parse": calls += int(line[6:].split()[0])
    if trig in ("ping", "success", "failure"):
        rows.append((trig, tot / max(calls, 1), calls))
ping = dict((r[0], r[1]) for r in rows).get("ping", 0)
for trig, per, calls in rows:
    print("%-8s %8.0f instructions per request (%d requests) %5.2f x ping" % (trig, per, calls, per / ping if ping else 0))
PY
