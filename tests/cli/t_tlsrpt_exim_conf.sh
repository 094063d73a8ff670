#!/usr/bin/env bash
# t_tlsrpt_exim_conf.sh - packaging/exim/mtasts-tlsrpt.conf parses and
# expands in Debian's Exim (exim4 -be) after mtasts-main.conf and
# mtasts-ask-readsocket.conf, as its header says: outside an event the
# action and the request line are empty (it never vetoes anything, and
# asks nothing). What it sends during real deliveries is proven end to
# end by tests/integration/t_tlsrpt_exim_*.sh.
. tests/lib.sh
set -u
dir=$(mktemp -d /tmp/t_tlsrpt_exim_conf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
{
    printf 'MTASTS_SOCKET = %s/sock\nMTASTS_TIMEOUT = 5s\n' "$dir"
    cat packaging/exim/mtasts-main.conf packaging/exim/mtasts-ask-readsocket.conf \
        packaging/exim/mtasts-tlsrpt.conf
} > "$dir/exim.conf"
EXIM=$(command -v exim4 || command -v exim)
out=$("$EXIM" -C "$dir/exim.conf" -be 'MTASTS_EVENT_ACTION' 2>&1); rc=$?
expect_eq event_action_expands_empty_outside_events "$rc:$out" "0:"
out=$("$EXIM" -C "$dir/exim.conf" -be 'MTASTS_TLSRPT_LINE' 2>&1); rc=$?
expect_eq request_line_is_empty_outside_events "$rc:$out" "0:"
out=$("$EXIM" -C "$dir/exim.conf" -be '${if MTASTS_TLSRPT_IS_REPORT{yes}{no}}' 2>&1); rc=$?
expect_eq report_test_expands "$rc:$out" "0:no"
exit 0
