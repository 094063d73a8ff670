#!/usr/bin/env bash
# t_exim_mta_readsocket.sh - the eleven behaviours and the fail-closed cases with
# Debian's stock exim4 through ${readsocket}
# (tests/integration/exim_suite.sh)
EL_KIND=readsocket
. tests/integration/exim_suite.sh
[ "$TESTS_FAILED" -eq 0 ]
