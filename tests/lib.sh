# lib.sh - helpers for integration tests (source it).
#
#   pass NAME                 count a passing test
#   fail NAME REASON...       count a failing test
#   check NAME CMD...         pass if CMD exits 0, else fail with its output
#   expect_eq NAME GOT WANT   pass if the two strings are equal
#   expect_match NAME TEXT REGEX  pass if a line of TEXT matches (grep -E;
#                             a REGEX with newlines is several patterns)
#   expect_all NAME TEXT REGEX    pass if the whole TEXT matches REGEX (bash
#                             =~: ^ and $ are its ends, . matches newlines)
# Each prints one "PASS: " / "FAIL: " line, read by tests/run.sh.
: "${BUILD:=build}"
TESTS_FAILED=0

pass() { echo "PASS: $1"; }
fail() { local n=$1; shift; echo "FAIL: $n: $*"; TESTS_FAILED=$((TESTS_FAILED + 1)); }

check() {
    local n=$1 out; shift
    if out=$("$@" 2>&1); then pass "$n"; else fail "$n" "command failed: $* :: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"; fi
}

expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

expect_match() {
    if printf '%s' "$2" | grep -Eq -- "$3"; then pass "$1"; else fail "$1" "'$(printf '%s' "$2" | head -c 400)' does not match /$3/"; fi
}

expect_all() {
    if [[ $2 =~ $3 ]]; then pass "$1"; else fail "$1" "'$(printf '%s' "$2" | head -c 600)' does not match /$3/"; fi
}
