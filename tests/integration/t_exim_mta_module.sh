#!/usr/bin/env bash
# t_exim_mta_module.sh - the eleven behaviours and the fail-closed cases with
# the module-capable Exim 4.96 and mtasts_lookup.so
# (tests/integration/exim_suite.sh)
EL_KIND=module
. tests/integration/exim_suite.sh
[ "$TESTS_FAILED" -eq 0 ]
