#!/usr/bin/env bash
# scale.sh - mtastsd with a million cached policies (make bench runs it
# after bench/run.sh).
#
#   bench/scale.sh [BUILD_DIR]
#
# Fills two stores through mtasts cache import, a big one (SCALE_N,
# default 1,000,000 synthetic policies) and a small one (SCALE_SMALL,
# 1,000), starts an mtastsd on each, and measures:
#   - the import: time, and the store's size on disk;
#   - the daemon: start time (exec to the first answer), anonymous RSS
#     (RssAnon in /proc/PID/status) after start and after the lookups;
#   - cached lookups: the same 1,000 domains asked of both daemons (in
#     the big store, every SCALE_N/1000-th domain), at 1 and 32
#     connections, SCALE_ROUNDS rounds alternating between the two, after
#     a pass that builds their answer texts; and, for the big store,
#     lookups spread over all its domains (mostly first touches);
#   - finding due refreshes: bench/schedscan on each store, and the
#     daemon's own refresh_scan_us / ticks.
# Writes the "bench:scale" part of BENCHMARKS.md (BENCH_OUT).
# Servers run pinned and without network, as in bench/run.sh.
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=$(cd "$BUILD" && pwd)
SCALE_N=${SCALE_N:-1000000}
SCALE_SMALL=${SCALE_SMALL:-1000}
SCALE_ROUNDS=${SCALE_ROUNDS:-5}
SCALE_SECONDS=${SCALE_SECONDS:-2}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_OUT=${BENCH_OUT:-$top/BENCHMARKS.md}
PY=/usr/bin/python3

say() { echo "scale: $*" >&2; }
die() { say "$*"; exit 1; }
for p in mtastsd mtasts bench/loadgen bench/schedscan; do
    [ -x "$BUILD/$p" ] || die "no $BUILD/$p: make bench builds it"
done

RUN=$(mktemp -d /tmp/mtasts-scale.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT

SERVER_CPU=() CLIENT_CPU=()
if [ "$BENCH_PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi
NET=(unshare -n --)
[ "$(id -u)" -eq 0 ] || NET=(unshare -rn --)

# kv KEY LINE - the value of KEY=... in a line of words
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
# rss_anon PID - anonymous resident memory in MiB
rss_anon() { awk '/^RssAnon:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# now_ms - wall clock in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

declare -A PID SOCK START_MS IMPORT_S DB_BYTES RSS0 RSS1

# setup NAME N - domains, policies, import, store size
setup() {
    local name=$1 n=$2 dir=$RUN/$1 out
    mkdir -p "$dir"
    awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "domain%07d.example\n", i }' > "$dir/domains"
    cat > "$dir/conf" <<EOF
socket = $dir/sock
state_dir = $dir/state
txt_recheck_interval = 1d
tlsrpt = no
store_max_size = 4G
EOF
    bench/policies.sh "$dir/domains" > "$dir/policies.jsonl"
    say "$name: importing $n policies"
    out=$("$BUILD/mtasts" cache import "$dir/policies.jsonl" -c "$dir/conf") || die "import failed: $out"
    IMPORT_S[$name]=$(printf '%s\n' "$out" | sed -n 's/.* in \([0-9.]*\) s;.*/\1/p')
    DB_BYTES[$name]=$(stat -c %s "$dir/state/mtasts.mdb")
    rm -f "$dir/policies.jsonl"
}

# start NAME - the daemon; start time to the first answer; RSS
start() {
    local name=$1 dir=$RUN/$1 t0 i
    t0=$(now_ms)
    "${SERVER_CPU[@]}" "${NET[@]}" "$BUILD/mtastsd" -f -c "$dir/conf" > "$dir/log" 2>&1 &
    PID[$name]=$!; PIDS+=($!)
    SOCK[$name]=$dir/sock
    for i in $(seq 1 6000); do
	if [ -S "$dir/sock" ] && "$BUILD/bench/loadgen" -u "$dir/sock" -n 1 -w 0 -d 5 -r ping -e ok \
	    >/dev/null 2>&1; then
	    START_MS[$name]=$(( $(now_ms) - t0 ))
	    RSS0[$name]=$(rss_anon "${PID[$name]}")
	    say "$name: answering after ${START_MS[$name]} ms, RssAnon ${RSS0[$name]} MiB"
	    return 0
	fi
	kill -0 "${PID[$name]}" 2>/dev/null || die "$name: mtastsd exited: $(tail -n 3 "$dir/log")"
	sleep 0.01
    done
    die "$name: mtastsd did not answer within 60 s"
}

setup big "$SCALE_N"
setup small "$SCALE_SMALL"
# the same number of domains asked of both: spread over the big store
awk -v step=$(( SCALE_N / SCALE_SMALL )) 'NR % step == 0' "$RUN/big/domains" > "$RUN/big/sample"
cp "$RUN/small/domains" "$RUN/small/sample"

say "finding due refreshes (daemons stopped)"
SCAN_big=$("$BUILD/bench/schedscan" "$RUN/big/state")
SCAN_small=$("$BUILD/bench/schedscan" "$RUN/small/state")

start big
start small

# warm: every sampled domain asked once, so its answer text exists
for s in big small; do
    "${CLIENT_CPU[@]}" "$BUILD/bench/loadgen" -u "${SOCK[$s]}" -f "$RUN/$s/sample" -c 8 \
	-n "$(( SCALE_SMALL * 2 ))" -w 0 -d 60 -e ok >/dev/null
done

RES=$RUN/results
: > "$RES"
for round in $(seq 1 "$SCALE_ROUNDS"); do
    for c in 1 32; do
	for s in big small; do
	    say "round $round/$SCALE_ROUNDS, $c connection(s), $s store"
	    out=$("${CLIENT_CPU[@]}" "$BUILD/bench/loadgen" -u "${SOCK[$s]}" -f "$RUN/$s/sample" \
		-c "$c" -d "$SCALE_SECONDS" -w 0.5 -P "${PID[$s]}" -e ok -k) || die "loadgen: $out"
	    echo "store=$s kind=sample round=$round $out" >> "$RES"
	done
    done
done
say "big store: lookups spread over all $SCALE_N domains"
out=$("${CLIENT_CPU[@]}" "$BUILD/bench/loadgen" -u "${SOCK[big]}" -f "$RUN/big/domains" -c 32 \
    -d "$SCALE_SECONDS" -w 0.5 -P "${PID[big]}" -e ok -k) || die "loadgen: $out"
echo "store=big kind=spread round=1 $out" >> "$RES"
declare -A TICK_US
for s in big small; do
    RSS1[$s]=$(rss_anon "${PID[$s]}")
    st=$($PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n")
print(s.makefile().readline())' "${SOCK[$s]}")
    TICK_US[$s]=$(awk -v t="$(kv refresh_ticks "$st")" -v u="$(kv refresh_scan_us "$st")" \
	'BEGIN { printf "%.2f", (t > 0 ? u / t : 0) }')
done

# the report fragment
$PY - "$RES" > "$RUN/fragment.md" <<EOF
import json, statistics, sys
rows = [dict(w.split("=", 1) for w in l.split() if "=" in w) for l in open(sys.argv[1])]
def med(store, kind, c, key):
    v = [float(r[key]) for r in rows if r["store"] == store and r["kind"] == kind and r["conns"] == str(c)]
    return statistics.median(v) if v else float("nan")
def ratio(c, key):
    v = []
    for r in rows:
        if r["store"] == "big" and r["kind"] == "sample" and r["conns"] == str(c):
            o = [x for x in rows if x["store"] == "small" and x["kind"] == "sample"
                 and x["conns"] == str(c) and x["round"] == r["round"]]
            if o and float(o[0][key]):
                v.append(float(r[key]) / float(o[0][key]))
    return statistics.median(v) if v else float("nan")
scan = {"big": dict(w.split("=") for w in """$SCAN_big""".split()),
        "small": dict(w.split("=") for w in """$SCAN_small""".split())}
N, S = $SCALE_N, $SCALE_SMALL
print(f"A store of {N:,} synthetic enforce policies (bench/policies.sh) against one of {S:,},"
      " each filled with \`mtasts cache import\` and served by its own mtastsd"
      " (pinned to CPU 0, no network).\n")
print(f"| | {N:,} policies | {S:,} policies |")
print("|---|---:|---:|")
print(f"| import (\`mtasts cache import\`) | ${IMPORT_S[big]} s | ${IMPORT_S[small]} s |")
print(f"| store on disk (mtasts.mdb) | {${DB_BYTES[big]} / 1048576:,.0f} MiB ({${DB_BYTES[big]} / N:.0f} bytes/policy) | {${DB_BYTES[small]} / 1048576:,.2f} MiB |")
print(f"| daemon start, exec to first answer | ${START_MS[big]} ms | ${START_MS[small]} ms |")
print(f"| RssAnon after start | ${RSS0[big]} MiB | ${RSS0[small]} MiB |")
print(f"| RssAnon after the lookups below | ${RSS1[big]} MiB | ${RSS1[small]} MiB |")
print(f"| finding due refreshes, nothing due (one tick's walk) | {float(scan['big']['nothing_due_us']):.2f} µs | {float(scan['small']['nothing_due_us']):.2f} µs |")
print(f"| finding due refreshes, all due, 16 free slots | {float(scan['big']['tick_16_us']):.2f} µs | {float(scan['small']['tick_16_us']):.2f} µs |")
print(f"| the daemon's own ticks while serving: schedule walk per tick (refresh_scan_us / refresh_ticks) | ${TICK_US[big]} µs | ${TICK_US[small]} µs |")
print(f"| the most one tick looks at (4,096 keys) | {float(scan['big']['tick_max_us']):.0f} µs | {float(scan['small']['tick_max_us']):.0f} µs |")
print(f"| walking the whole schedule (no tick does this) | {float(scan['big']['full_walk_us']) / 1000:,.0f} ms | {float(scan['small']['full_walk_us']) / 1000:.2f} ms |")
print()
print(f"Cached lookups: the same {S:,} domains asked of both daemons (in the big store every"
      f" {N // S:,}th domain), answer texts built by a first pass; median of $SCALE_ROUNDS"
      " rounds, the two stores alternating; the ratio is the median of per-round ratios.\n")
print(f"| conns | store | req/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/req |")
print("|---:|---|---:|---:|---:|---:|---:|")
for c in (1, 32):
    for s, n in (("big", N), ("small", S)):
        print(f"| {c} | {n:,} | {med(s,'sample',c,'rps'):,.0f} | {med(s,'sample',c,'p50_us'):.1f}"
              f" | {med(s,'sample',c,'p99_us'):.1f} | {med(s,'sample',c,'p999_us'):.1f}"
              f" | {med(s,'sample',c,'server_cpu_us_per_req'):.2f} |")
    print(f"| {c} | ratio {N:,} / {S:,} | {ratio(c,'rps'):.2f}× | {ratio(c,'p50_us'):.2f}×"
          f" | {ratio(c,'p99_us'):.2f}× | {ratio(c,'p999_us'):.2f}× | {ratio(c,'server_cpu_us_per_req'):.2f}× |")
sp = [r for r in rows if r["kind"] == "spread"][0]
print()
print(f"Lookups spread over all {N:,} domains of the big store (32 connections; most are the"
      f" first request for their domain, which builds its answer text): {float(sp['rps']):,.0f}"
      f" req/s, p50 {float(sp['p50_us']):.1f} µs, p99 {float(sp['p99_us']):.1f} µs,"
      f" server CPU {float(sp['server_cpu_us_per_req']):.2f} µs/req.")
EOF
{
    cat "$RUN/fragment.md"
    echo
    echo "Commands: \`SCALE_N=$SCALE_N bench/scale.sh\` (also run by \`make bench\`); per store:"
    echo
    echo '```'
    echo "bench/policies.sh domains > policies.jsonl && mtasts cache import policies.jsonl -c conf"
    echo "bench/schedscan state"
    echo "${SERVER_CPU[*]:+${SERVER_CPU[*]} }unshare -n mtastsd -f -c conf"
    echo "${CLIENT_CPU[*]:+${CLIENT_CPU[*]} }loadgen -u sock -f sample -c 1|32 -d $SCALE_SECONDS -w 0.5 -P PID -e ok -k"
    echo '```'
    echo
    echo "conf: \`socket\`, \`state_dir\`, \`txt_recheck_interval = 1d\`, \`tlsrpt = no\`, \`store_max_size = 4G\`."
} > "$RUN/scale.md"
$PY bench/report.py scale "$RUN/scale.md" "$BENCH_OUT"
say "results in $BENCH_OUT"
