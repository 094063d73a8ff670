#!/usr/bin/env bash
# NAME
#	exim_lookup.sh - what one mtastsd question costs inside Exim: the
#	lookup module against ${readsocket}
# SYNOPSIS
#	bench/exim_lookup.sh [BUILD_DIR]
#
#	BENCH_EXIM_LOOKUPS (2000)	questions per Exim process
#	BENCH_EXIM_ROUNDS (5)		runs of each kind; the median counts
#	BENCH_OUT (unset)		a Markdown file to update between the
#					<!-- bench:exim --> markers
# DESCRIPTION
#	Runs the module-capable Exim 4.96 (tests/world/build-exim.sh) with
#	exim -be over BENCH_EXIM_LOOKUPS lines, three ways, against one
#	mtastsd:
#	  module	${lookup mtasts,cache=no_rd{ping}}
#	  readsocket	${readsocket{SOCKET}{ping\n}{5s}{}{tempfail}}
#	  none		the answer as literal text (no question at all)
#	cache=no_rd makes Exim ask every time instead of answering from its
#	lookup cache, so both kinds really ask the daemon each time; the
#	module keeps its one connection (as it does inside a delivery), and
#	readsocket opens one per question (as it always does). The cost of one
#	question is (time of the kind - time of "none") / lookups; the report
#	gives both and their ratio (target: the module at least 3x cheaper).
#
#	The daemon runs without network (unshare -n: ping needs none); Exim
#	sees a module directory of its own (unshare -m, a bind mount over
#	/etc/exim-mtasts-test/lookups), so nothing is installed machine-wide.
#	Needs root (namespaces, and the first build of Exim).
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=$(cd "$BUILD" && pwd)
N=${BENCH_EXIM_LOOKUPS:-2000}
ROUNDS=${BENCH_EXIM_ROUNDS:-5}

say() { echo "bench/exim: $*" >&2; }
die() { say "$*"; exit 1; }
[ -x "$BUILD/mtastsd" ] && [ -f "$BUILD/mtasts_lookup.so" ] || die "build first (make)"
EXIM=$(tests/world/build-exim.sh) || die "no module-capable Exim (tests/world/build-exim.sh)"

RUN=$(mktemp -d /tmp/mtasts-bench-exim.XXXXXX)
chmod 0755 "$RUN"
DPID=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT

SOCK=$RUN/mtastsd.sock
mkdir -p "$RUN/state" "$RUN/lookups" "$RUN/spool"
cp "$BUILD/mtasts_lookup.so" "$RUN/lookups/"
unshare -n "$BUILD/mtastsd" -f -o "socket=$SOCK" -o socket_mode=0666 -o "state_dir=$RUN/state" \
    >"$RUN/mtastsd.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { cat "$RUN/mtastsd.log" >&2; die "mtastsd did not start"; }
printf 'spool_directory = %s\nprimary_hostname = bench.example\n' "$RUN/spool" > "$RUN/exim.conf"

answer=$(printf '${lookup mtasts,socket=%s{ping}}\n' "$SOCK" |
    unshare -m sh -c "mount --bind '$RUN/lookups' /etc/exim-mtasts-test/lookups && exec '$EXIM' -C '$RUN/exim.conf' -be" |
    sed -n 's/^> //p' | head -n 1)
case $answer in ok*) ;; *) die "the module does not answer: '$answer'" ;; esac

for i in $(seq "$N"); do printf '${lookup mtasts,socket=%s,cache=no_rd{ping}}\n' "$SOCK"; done > "$RUN/module.in"
for i in $(seq "$N"); do printf '${readsocket{%s}{ping\\n}{5s}{}{tempfail}}\n' "$SOCK"; done > "$RUN/readsocket.in"
for i in $(seq "$N"); do printf '%s\n' "$answer"; done > "$RUN/none.in"

# run KIND - one Exim process over KIND.in; prints its wall time in microseconds
run() {
    local t0 t1 got
    t0=$(date +%s%N)
    unshare -m sh -c "mount --bind '$RUN/lookups' /etc/exim-mtasts-test/lookups &&
        exec '$EXIM' -C '$RUN/exim.conf' -be" < "$RUN/$1.in" > "$RUN/$1.out" 2>"$RUN/$1.err"
    t1=$(date +%s%N)
    got=$(grep -c "^> ok version=" "$RUN/$1.out" || true)
    [ "$got" -eq "$N" ] || die "$1: $got of $N answers were ok ($(head -n 3 "$RUN/$1.err"))"
    echo $(( (t1 - t0) / 1000 ))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A T
for kind in none module readsocket; do : > "$RUN/$kind.times"; done
for r in $(seq "$ROUNDS"); do
    for kind in none module readsocket; do	# interleaved: load changes affect all
        run "$kind" >> "$RUN/$kind.times"
    done
    say "round $r of $ROUNDS done"
done
for kind in none module readsocket; do T[$kind]=$(median < "$RUN/$kind.times"); done

per() { awk -v t="$1" -v b="${T[none]}" -v n="$N" 'BEGIN { printf "%.1f", (t - b) / n }'; }
mod_us=$(per "${T[module]}")
rs_us=$(per "${T[readsocket]}")
ratio=$(awk -v m="$mod_us" -v r="$rs_us" 'BEGIN { if (m <= 0) print "inf"; else printf "%.1f", r / m }')
verdict=$(awk -v x="$ratio" 'BEGIN { print (x == "inf" || x >= 3) ? "met" : "NOT met" }')

report=$(cat <<EOF
<!-- bench:exim -->
### One mtastsd question inside Exim (bench/exim_lookup.sh)

Exim 4.96 (module-capable build), \`exim -be\` over $N questions per process
(\`ping\`, Exim's lookup cache bypassed with \`cache=no_rd\`), median of
$ROUNDS runs, on $(nproc) CPU(s), $(date -u +%Y-%m-%d).

| kind | process time | per question |
|---|---|---|
| no question (literal answer) | $(( T[none] / 1000 )) ms | - |
| \`\${lookup mtasts{...}}\` (one connection, reused) | $(( T[module] / 1000 )) ms | $mod_us µs |
| \`\${readsocket{...}}\` (one connection per question) | $(( T[readsocket] / 1000 )) ms | $rs_us µs |

The module is **${ratio}x** cheaper per question than readsocket (target ≥ 3x: $verdict).
<!-- /bench:exim -->
EOF
)
printf '%s\n' "$report"
if [ -n "${BENCH_OUT:-}" ]; then
    if [ -f "$BENCH_OUT" ] && grep -q '<!-- bench:exim -->' "$BENCH_OUT"; then
        /usr/bin/python3 - "$BENCH_OUT" "$report" <<'PY'
import re, sys
path, new = sys.argv[1], sys.argv[2]
s = open(path).read()
s = re.sub(r"<!-- bench:exim -->.*?<!-- /bench:exim -->", lambda m: new, s, flags=re.S)
open(path, "w").write(s)
PY
    else
        printf '\n%s\n' "$report" >> "$BENCH_OUT"
    fi
fi
