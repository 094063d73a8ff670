#!/usr/bin/env bash
# t_tlsrpt_exim_readsocket.sh - TLS-RPT end to end through Debian's stock
# exim4 and ${readsocket} (tests/integration/tlsrpt_e2e.sh).
EL_KIND=readsocket
. tests/integration/tlsrpt_e2e.sh
