#!/usr/bin/env bash
# t_tlsrpt_exim_module.sh - TLS-RPT end to end through the module-capable
# Exim 4.96 and mtasts_lookup.so (tests/integration/tlsrpt_e2e.sh).
EL_KIND=module
. tests/integration/tlsrpt_e2e.sh
