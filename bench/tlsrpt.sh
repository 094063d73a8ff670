#!/usr/bin/env bash
# tlsrpt.sh - how many "report" lines per second mtastsd counts (issue 8:
# at least 50,000/s from concurrent clients). Never run by CI.
#
#   bench/tlsrpt.sh [BUILD [LOADGEN]]
#
# Starts a private mtastsd, then drives it with loadgen (bench/loadgen.c)
# closed-loop: a success line and a GnuTLS failure line, 128 connections
# over 2 threads, 5 s each, and ping for comparison (the cost of the
# socket path alone). Prints loadgen's report, including the daemon's CPU
# per request: 1 / (that) is the rate one core sustains.
set -u
BUILD=${1:-build}
LOADGEN=${2:-$BUILD/bench/loadgen}
[ -x "$LOADGEN" ] || { echo "tlsrpt.sh: no loadgen at $LOADGEN (make bench)"; exit 2; }
d=$(mktemp -d /tmp/tlsrpt_bench.XXXXXX)
mkdir "$d/state"
"$BUILD/mtastsd" -f -o socket="$d/sock" -o state_dir="$d/state" -o dnssec=no \
    </dev/null >/dev/null 2>"$d/log" &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; rm -rf "$d"' EXIT
for _ in $(seq 50); do [ -S "$d/sock" ] && break; sleep 0.1; done
printf 'example.test\nexample.org\nmail.example.net\n' > "$d/domains"
run() { "$LOADGEN" -u "$d/sock" -c 128 -T 2 -d 5 -w 1 -f "$d/domains" -m line -P "$dpid" "$@"; }
echo "--- report: success"
run -r "report %s result=success mx=mx1.example.test ip=192.0.2.25 sip=192.0.2.1" -e "ok counted=1"
echo "--- report: a GnuTLS host-name failure, classified by the daemon"
run -r "report %s errno=-37 msg=b64:VExTIHNlc3Npb246IChjZXJ0aWZpY2F0ZSB2ZXJpZmljYXRpb24gZmFpbGVkKQ== mx=mx2.example.test ip=192.0.2.26 sip=192.0.2.1" -e "ok counted=1"
echo "--- ping (the socket path alone)"
run -r "ping" -e "ok"
