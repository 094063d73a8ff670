#!/usr/bin/env bash
# run.sh - run every test and count: the last line is
# "N passed, N failed, N skipped".
#
#   tests/run.sh BUILD_DIR
#
# Unit tests: every program BUILD_DIR/tests/test_*.
# CLI tests: every tests/cli/t_*.sh (no servers, no world).
# Integration tests: every tests/integration/t_*.sh, run against one test
# world that this script starts (tests/world/up.sh) and always stops.
# A test prints "PASS: name", "FAIL: name: why" or "SKIP: name: why" lines;
# a program that exits non-zero without a FAIL line counts as one failure.
# TESTS=regex limits the run to tests whose file name matches.
set -u
BUILD=${1:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
passed=0 failed=0 skipped=0
failures=()
timings=()

# run_one NAME CMD... - run one test program, echo its output, count it
run_one() {
    local name=$1; shift
    local out rc p f s t0
    t0=$(date +%s.%N)
    out=$(timeout "$TEST_TIMEOUT" "$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    timings+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$name" 'BEGIN { printf "%7.1fs  %s", b - a, n }')")
    p=$(printf '%s\n' "$out" | grep -ac '^PASS: ')
    f=$(printf '%s\n' "$out" | grep -ac '^FAIL: ')
    s=$(printf '%s\n' "$out" | grep -ac '^SKIP: ')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL: $name: exited with status $rc"
        f=1
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$f" -gt 0 ]; then
        while IFS= read -r l; do failures+=("$l"); done < <(printf '%s\n' "$out" | grep -a '^FAIL: ')
        [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -ac '^FAIL: ')" -eq 0 ] && failures+=("FAIL: $name: exited with status $rc")
    fi
}

selected() { [ -z "${TESTS:-}" ] || [[ "$1" =~ $TESTS ]]; }

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    selected "$(basename "$t")" || continue
    echo "--- $(basename "$t")"
    run_one "$(basename "$t")" "$t"
done

# Command-line tests that need no servers: tests/cli/t_*.sh, no world.
for t in tests/cli/t_*.sh; do
    [ -f "$t" ] || continue
    selected "$(basename "$t")" || continue
    echo "--- $(basename "$t")"
    run_one "$(basename "$t")" bash "$t"
done

integration=()
for t in tests/integration/t_*.sh; do
    [ -f "$t" ] || continue
    selected "$(basename "$t")" || continue
    integration+=("$t")
done

if [ ${#integration[@]} -gt 0 ]; then
    WORLD_RUNDIR=$(mktemp -d /tmp/mtasts-world.XXXXXX)
    export WORLD_RUNDIR
    trap 'tests/world/down.sh "$WORLD_RUNDIR" >/dev/null 2>&1; rm -rf "$WORLD_RUNDIR"' EXIT
    echo "--- starting the test world in $WORLD_RUNDIR"
    if tests/world/up.sh "$WORLD_RUNDIR" > "$WORLD_RUNDIR/env.sh" 2> "$WORLD_RUNDIR/up.log"; then
        # shellcheck disable=SC1091
        . "$WORLD_RUNDIR/env.sh"
        for t in "${integration[@]}"; do
            echo "--- $(basename "$t")"
            run_one "$(basename "$t")" bash "$t"
        done
    else
        cat "$WORLD_RUNDIR/up.log"
        echo "FAIL: test-world: tests/world/up.sh failed"
        failures+=("FAIL: test-world: tests/world/up.sh failed")
        failed=$((failed + 1 + ${#integration[@]}))
    fi
fi

echo "--- slowest tests"
printf '%s\n' "${timings[@]}" | sort -rn | head -n 8
if [ ${#failures[@]} -gt 0 ]; then
    echo "--- failures"
    printf '%s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
