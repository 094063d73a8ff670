#!/usr/bin/env bash
# t_exim_local_scan.sh - every symbol mtasts_lookup.so takes from Exim
# (t_exim_module_abi.sh's LOCAL_SCAN_USED, checked there against nm) is one
# that the Exim the tests build declares in its local_scan.h, the interface
# Exim keeps for modules (exim-module/README.md).
. tests/lib.sh
LSH=${WORLD_EXIM_MODULES%/bin/*}/src/src/local_scan.h
USED=$(sed -n 's/^LOCAL_SCAN_USED="\(.*\)"$/\1/p' tests/cli/t_exim_module_abi.sh)
if [ ! -f "$LSH" ]; then
    fail local-scan-h-found "no $LSH (tests/world/build-exim.sh keeps Exim's source there)"
else
    pass local-scan-h-found
    expect_match local-scan-used-list-read "$USED" '^[a-z_0-9 ]+$'
    for sym in $USED; do
        if grep -Eq "[^a-z_]$sym[^a-z_0-9]" "$LSH"; then
            pass "local-scan-h-declares-$sym"
        else
            fail "local-scan-h-declares-$sym" "not in $LSH"
        fi
    done
fi
[ "$TESTS_FAILED" -eq 0 ]
