#!/usr/bin/env bash
# tlsrpt.sh - how many "report" lines per second mtastsd counts (issue 8:
# at least 50,000/s from concurrent clients), against ping on the same run.
# Never run by CI. Results and the profile behind them: bench/TLSRPT.md.
#
#   bench/tlsrpt.sh [BUILD [LOADGEN]]
#
# Starts a private mtastsd, then drives it with loadgen (bench/loadgen.c)
# closed-loop, 128 connections over 2 threads, 5 s each: ping (the socket
# path alone), the success line the shipped Exim configuration sends
# (mtasts-tlsrpt.conf, smtp:ehlo), and its failure line (msg:host:defer,
# -37, classified by the daemon from the text and the certificate). Prints
# loadgen's report (rate, and the daemon's CPU per request: 1 / that is the
# rate one core sustains) and each report line's rate and CPU as a ratio to
# ping's.
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
run() {
    "$LOADGEN" -u "$d/sock" -c 128 -T 2 -d 5 -w 1 -f "$d/domains" -m line -P "$dpid" "$@" |
        tee "$d/last"
}
# rate and server CPU (us per request) of the last run
rate() { sed -n 's/.* \([0-9][0-9]*\) requests\/s.*/\1/p' "$d/last"; }
cpu() { sed -n 's/.*server CPU: .* \([0-9.][0-9.]*\) us per request.*/\1/p' "$d/last"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "--- ping (the socket path alone)"
run -r "ping" -e "ok"
pr=$(rate) pc=$(cpu)
echo "--- report: success (smtp:ehlo after STARTTLS)"
run -r "report %s result=success policy=auto mx=b64:bXgxLmV4YW1wbGUudGVzdA== ip=192.0.2.25 sip=192.0.2.1" -e "ok counted=1"
sr=$(rate) sc=$(cpu)
echo "--- report: failure (msg:host:defer -37, GnuTLS text, notafter and san)"
run -r "report %s errno=-37 msg=b64:VExTIHNlc3Npb246IChjZXJ0aWZpY2F0ZSB2ZXJpZmljYXRpb24gZmFpbGVkKTogY2VydGlmaWNhdGUgaW52YWxpZA== notafter=1798558318 san=b64:RE5TPW14LXNlbGZzaWduZWQuZXhhbXBsZS50ZXN0 mx=b64:bXgtc2VsZnNpZ25lZC5leGFtcGxlLnRlc3Q= ip=192.0.2.26 sip=192.0.2.1" -e "ok counted=1"
fr=$(rate) fc=$(cpu)
echo "--- ratios to ping on this run (rate; daemon CPU per request)"
echo "success: $(ratio "$sr" "$pr") of ping's rate, $(ratio "$sc" "$pc") x ping's CPU"
echo "failure: $(ratio "$fr" "$pr") of ping's rate, $(ratio "$fc" "$pc") x ping's CPU"
