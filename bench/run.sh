#!/usr/bin/env bash
# run.sh - the cached-lookup benchmark: mtastsd, the do-nothing server and
# postfix-mta-sts-resolver, driven by one client in one run (make bench).
#
#   bench/run.sh [BUILD_DIR]
#
# Starts, side by side, each holding the same BENCH_DOMAINS cached
# domains (synthetic enforce policies, see bench/peer.py):
#   null-line       bench/nullserver, line framing, mtastsd's own answer bytes
#   mtastsd         the daemon, store seeded offline (mtasts cache import)
#   null-socketmap  bench/nullserver, socketmap framing, the peer's answer bytes
#   peer-sqlite     Debian's mta-sts-daemon as shipped (sqlite cache, uvloop)
#   peer-internal   the same with its in-memory cache (its fastest setting)
# then runs bench/loadgen against each at BENCH_CONNS connections:
# BENCH_ROUNDS rounds, and in each round, for each connection count,
# every server in turn for BENCH_SECONDS, so the servers compared in a
# ratio ran seconds apart (the machine is shared, its load drifts).
# BENCHMARKS.md gets the medians and the median of the per-round ratios
# (between the "bench:lookups" markers). With BENCH_SCALE=1 (the
# default) it then runs bench/scale.sh, which fills "bench:scale".
#
# Every server runs in a network namespace of its own without any
# interface but loopback (unshare -n), and the peer's cache is marked
# fresh for a year, so no lookup can leave the machine. Servers run on
# CPU 0 and the client on CPU 1 (BENCH_PIN=0 to let the kernel choose).
#
# Environment (defaults): BENCH_DOMAINS (1000), BENCH_CONNS ("1 8 32 128"),
# BENCH_SECONDS (2), BENCH_WARMUP (0.5), BENCH_ROUNDS (7), BENCH_PIN (1),
# BENCH_SERVERS (all five above), BENCH_SCALE (1), BENCH_OUT (BENCHMARKS.md).
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=$(cd "$BUILD" && pwd)

BENCH_DOMAINS=${BENCH_DOMAINS:-1000}
BENCH_CONNS=${BENCH_CONNS:-1 8 32 128}
BENCH_SECONDS=${BENCH_SECONDS:-2}
BENCH_WARMUP=${BENCH_WARMUP:-0.5}
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
BENCH_SERVERS=${BENCH_SERVERS:-null-line mtastsd null-socketmap peer-sqlite peer-internal}
BENCH_SCALE=${BENCH_SCALE:-1}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_OUT=${BENCH_OUT:-$top/BENCHMARKS.md}
PY=/usr/bin/python3		# Debian's python: the peer's modules live there

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$BUILD/bench/loadgen" ] && [ -x "$BUILD/bench/nullserver" ] \
    || die "build the bench programs first (make bench)"
command -v mta-sts-daemon >/dev/null \
    || die "mta-sts-daemon missing: make deps (package postfix-mta-sts-resolver)"

RUN=$(mktemp -d /tmp/mtasts-bench.XXXXXX)
PIDS=()
# stop_all - TERM every server we started, KILL what is left after 3 s
stop_all() {
    local p i
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for i in $(seq 1 30); do
	for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && break; p=; done
	[ -z "${p:-}" ] && break
	sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}
cleanup() {
    stop_all
    rm -rf "$RUN"
}
trap cleanup EXIT

# Servers on CPU 0, the client on CPU 1 (BENCH_PIN=0: let the kernel
# place them): on a shared machine this keeps each server's conditions
# alike, and the CPU time per request comparable.
SERVER_CPU=() CLIENT_CPU=()
if [ "$BENCH_PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    SERVER_CPU=(taskset -c 0) CLIENT_CPU=(taskset -c 1)
fi

# isolated CMD... - become CMD on the servers' CPU, without network access
# beyond its own loopback; called in a background subshell, so the PID
# seen is CMD's
isolated() {
    if [ "$(id -u)" -eq 0 ]; then
	exec "${SERVER_CPU[@]}" unshare -n -- "$@"
    else
	exec "${SERVER_CPU[@]}" unshare -rn -- "$@"
    fi
}
(isolated true) 2>/dev/null || die "unshare -n does not work here (need root or user namespaces)"

# wait_ready NAME SOCKET PID LOADGEN_ARGS... - until one request is answered as expected
wait_ready() {
    local name=$1 sock=$2 pid=$3 i; shift 3
    for i in $(seq 1 200); do
	kill -0 "$pid" 2>/dev/null || die "$name exited at start; see $RUN/$name.log: $(tail -n 5 "$RUN/$name.log" 2>/dev/null)"
	if [ -S "$sock" ] && "$BUILD/bench/loadgen" -u "$sock" -n 1 -w 0 -d 5 "$@" >/dev/null 2>&1; then
	    return 0
	fi
	sleep 0.1
    done
    die "$name did not answer on $sock within 20 s"
}

# domain list: the same names for every server
DOMAINS=$RUN/domains
awk -v n="$BENCH_DOMAINS" 'BEGIN { for (i = 1; i <= n; i++) printf "domain%07d.example\n", i }' > "$DOMAINS"
first=$(head -n 1 "$DOMAINS")

# Each server: socket, loadgen framing arguments, expected answer prefix.
declare -A SOCK ARGS PID CMDLINE

# --- mtastsd: store seeded offline (mtasts cache import), answers from memory
start_mtastsd() {
    local conf=$RUN/mtastsd.conf
    [ -x "$BUILD/mtastsd" ] && [ -x "$BUILD/mtasts" ] || die "no $BUILD/mtastsd: make first"
    cat > "$conf" <<EOF
socket = $RUN/mtastsd.sock
state_dir = $RUN/mtastsd-state
txt_recheck_interval = 1d
tlsrpt = no
EOF
    bench/policies.sh "$DOMAINS" > "$RUN/policies.jsonl"
    "$BUILD/mtasts" cache import "$RUN/policies.jsonl" -c "$conf" >"$RUN/import.log" 2>&1 \
	|| die "mtasts cache import failed: $(tail -n 5 "$RUN/import.log")"
    isolated "$BUILD/mtastsd" -f -c "$conf" > "$RUN/mtastsd.log" 2>&1 &
    PID[mtastsd]=$!; PIDS+=($!)
    SOCK[mtastsd]=$RUN/mtastsd.sock
    ARGS[mtastsd]="-m line -r 'policy %s' -e ok"
    CMDLINE[mtastsd]="mtastsd -f -c mtastsd.conf   # after: bench/policies.sh domains | mtasts cache import - -c mtastsd.conf"
    wait_ready mtastsd "${SOCK[mtastsd]}" "${PID[mtastsd]}" -m line -r 'policy %s' -e ok -D "$first"
}

# answer_of SOCKET REQUEST - the raw answer line of a line-protocol server
answer_of() {
    $PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().rstrip("\n"))' "$1" "$2"
}

# --- the do-nothing server, with the bytes of the real answers
start_null() {
    local name=$1 framing=$2 answer=$3
    "${SERVER_CPU[@]}" "$BUILD/bench/nullserver" -u "$RUN/$name.sock" -m "$framing" -a "$answer" \
	> "$RUN/$name.log" 2>&1 &
    PID[$name]=$!; PIDS+=($!)
    SOCK[$name]=$RUN/$name.sock
    ARGS[$name]="-m $framing"
    CMDLINE[$name]="nullserver -u $name.sock -m $framing -a '<the real answer>'"
    wait_ready "$name" "${SOCK[$name]}" "${PID[$name]}" -m "$framing"
}

# --- the peer, as Debian ships it (sqlite cache) and with its in-memory cache
start_peer() {
    local name=$1 conf=$RUN/$1.yml
    $PY bench/peer.py config "$RUN/$name.sock" "$RUN/$name.db" > "$conf"
    if [ "$name" = peer-sqlite ]; then
	$PY bench/peer.py seed-sqlite "$RUN/$name.db" "$DOMAINS" 2>"$RUN/$name-seed.log"
	isolated mta-sts-daemon -c "$conf" -v warn > "$RUN/$name.log" 2>&1 &
	CMDLINE[$name]="mta-sts-daemon -c $name.yml -v warn   # after: bench/peer.py seed-sqlite $name.db domains"
    else
	isolated $PY bench/peer.py run-internal "$conf" "$DOMAINS" > "$RUN/$name.log" 2>&1 &
	CMDLINE[$name]="bench/peer.py run-internal $name.yml domains"
    fi
    PID[$name]=$!; PIDS+=($!)
    SOCK[$name]=$RUN/$name.sock
    ARGS[$name]="-m socketmap -e OK"
    wait_ready "$name" "${SOCK[$name]}" "${PID[$name]}" -m socketmap -e OK -D "$first"
}

# one answer of a server, to give the null server the same bytes
peer_answer() { printf 'OK secure match=mx1.%s:mx2.%s servername=hostname' "$1" "$1"; }

say "run directory $RUN; $BENCH_DOMAINS domains; servers: $BENCH_SERVERS"
want() { [[ " $BENCH_SERVERS " == *" $1 "* ]]; }
mtastsd_answer="ok mode=enforce max_age=604800 mx=mx1.$first,mx2.$first"
if want mtastsd; then
    start_mtastsd
    mtastsd_answer=$(answer_of "${SOCK[mtastsd]}" "policy $first")
fi
want null-line && start_null null-line line "$mtastsd_answer"
want null-socketmap && start_null null-socketmap socketmap "$(peer_answer "$first")"
want peer-sqlite && start_peer peer-sqlite
want peer-internal && start_peer peer-internal

RESULTS=$RUN/results
: > "$RESULTS"
for round in $(seq 1 "$BENCH_ROUNDS"); do
    for c in $BENCH_CONNS; do
	for s in $BENCH_SERVERS; do
	    say "round $round/$BENCH_ROUNDS, $c connection(s), $s"
	    out=$(eval "${CLIENT_CPU[*]} \"$BUILD/bench/loadgen\" -u \"${SOCK[$s]}\" -f \"$DOMAINS\" -c $c \
		-d $BENCH_SECONDS -w $BENCH_WARMUP -P ${PID[$s]} -k ${ARGS[$s]}") \
		|| die "loadgen against $s failed: $out"
	    echo "server=$s round=$round $out" >> "$RESULTS"
	done
    done
done

{
    for s in $BENCH_SERVERS; do
	echo "cmd $s ${CMDLINE[$s]}"
	echo "cmd-loadgen $s ${CLIENT_CPU[*]:+${CLIENT_CPU[*]} }loadgen -u $s.sock -f domains -c CONNS -d $BENCH_SECONDS -w $BENCH_WARMUP -P PID -k ${ARGS[$s]}"
    done
    echo "env BENCH_DOMAINS=$BENCH_DOMAINS BENCH_SECONDS=$BENCH_SECONDS BENCH_WARMUP=$BENCH_WARMUP BENCH_ROUNDS=$BENCH_ROUNDS BENCH_PIN=$BENCH_PIN (servers: ${SERVER_CPU[*]:-any CPU}; client: ${CLIENT_CPU[*]:-any CPU})"
} > "$RUN/commands"
$PY bench/report.py lookups "$RESULTS" "$RUN/commands" "$BENCH_OUT"
say "results in $BENCH_OUT"

if [ "$BENCH_SCALE" = 1 ]; then
    bench/scale.sh "$BUILD"
fi
