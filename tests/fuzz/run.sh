#!/usr/bin/env bash
# run.sh - run every libFuzzer target for SECONDS each, then replay every
# kept crash input (tests/fuzz/regress/<target>/) as a regression test.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
status=0
for bin in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); short=${name#fuzz_}
    work="$BUILD/fuzz-corpus/$short"; mkdir -p "$work"
    seeds="tests/fuzz/corpus/$short"; mkdir -p "$seeds"
    regress="tests/fuzz/regress/$short"
    if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
        echo "--- $name: replaying $(ls "$regress" | wc -l) kept crash inputs"
        "$bin" -runs=0 "$regress"/* >/dev/null 2>"$BUILD/$name.regress.log" || { cat "$BUILD/$name.regress.log"; status=1; }
    fi
    echo "--- $name: fuzzing for ${SECONDS_EACH}s"
    if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
         -artifact_prefix="$BUILD/$name-" "$work" "$seeds" >"$BUILD/$name.log" 2>&1; then
        tail -n 40 "$BUILD/$name.log"
        echo "fuzz: $name found a crash; the input is in $BUILD/$name-*"
        status=1
    else
        grep -E '^(#[0-9]+\s+DONE|Done)' "$BUILD/$name.log" | tail -n 1 || true
    fi
done
exit $status
