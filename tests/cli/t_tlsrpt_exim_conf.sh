#!/usr/bin/env bash
# t_tlsrpt_exim_conf.sh - packaging/exim/mtasts-tlsrpt.conf parses and
# expands in Debian's Exim (exim4 -be): outside an event the action is
# empty (it never vetoes anything), and the request line it builds is one
# mtastsd's report parser accepts.
. tests/lib.sh
set -u
dir=$(mktemp -d /tmp/t_tlsrpt_exim_conf.XXXXXX)
trap 'rm -rf "$dir"' EXIT
{
    printf 'MTASTS_SOCKET = %s/sock\nMTASTS_TIMEOUT = 5s\n' "$dir"
    # as mtasts-ask-readsocket.conf defines them
    printf 'MTASTS_ASK_BEGIN = ${readsocket{MTASTS_SOCKET}{\n'
    printf 'MTASTS_ASK_END = \\n}{MTASTS_TIMEOUT}{}{tempfail reason=daemon-unreachable}}\n'
    cat packaging/exim/mtasts-tlsrpt.conf
} > "$dir/exim.conf"
EXIM=$(command -v exim4 || command -v exim)
out=$("$EXIM" -C "$dir/exim.conf" -be 'MTASTS_EVENT_ACTION' 2>&1); rc=$?
expect_eq event_action_expands_empty_outside_events "$rc:$out" "0:"
line=$("$EXIM" -C "$dir/exim.conf" -be 'MTASTS_TLSRPT_LINE' 2>&1)
expect_match line_is_a_report_request "$line" '^report b64: result=starttls-not-supported policy=auto mx= ip= sip=$'
exit 0
