#!/usr/bin/env bash
# t_prefetch - mtasts prefetch against a daemon in the test world: every
# listed domain is discovered and cached, the summary counts each kind,
# failures are listed, --json says the same, the progress bar appears on
# a terminal only; and the daemon's own prefetch_file at start.
. tests/lib.sh
. tests/integration/daemon_lib.sh
Z=$WORLD_ZONE
world_conf
MTASTS=$D_TOP/$BUILD/mtasts
[ "${BUILD#/}" != "$BUILD" ] && MTASTS=$BUILD/mtasts

daemon_start -n || { fail daemon_starts "see log"; exit 1; }

cat > "$D_DIR/list" <<EOF
# domains we send mail to
enforce.$Z
testing.$Z     # testing mode

none.$Z
notxt.$Z
bogus.$Z
not_a_domain!
EOF

# --- the summary, for a person ---------------------------------------------------
out=$("$MTASTS" prefetch "$D_DIR/list" -s "$D_SOCK" 2>"$D_DIR/stderr"); rc=$?
expect_eq failures_mean_exit_1 "$rc" 1
expect_match summary_counts "$out" \
    "^prefetched 6 domains in [0-9.]+ s: 1 enforce, 1 testing, 1 none, 1 no policy, 2 failed"
expect_match failure_listed_bogus "$out" "tempfail  dnssec-bogus  bogus\.$Z"
expect_match failure_listed_bad_name "$out" "error  bad-domain  not_a_domain!"
expect_eq quiet_without_terminal "$(cat "$D_DIR/stderr")" ""
expect_match prefetched_domain_is_cached "$(ask "show enforce.$Z")" "^ok domain=enforce\.$Z state=cached mode=enforce"
expect_match prefetched_testing_is_cached "$(ask "show testing.$Z")" " state=cached mode=testing"

# --- --json, from standard input ---------------------------------------------------
json=$(grep -v -e bogus -e not_a "$D_DIR/list" | "$MTASTS" prefetch - --json -s "$D_SOCK"); rc=$?
expect_eq no_failures_exit_0 "$rc" 0
expect_eq json_counts "$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
print(o["total"], o["enforce"], o["testing"], o["none"], o["no_policy"], o["failed"], len(o["failures"]))')" \
    "4 1 1 1 1 0 0"
json=$("$MTASTS" prefetch "$D_DIR/list" --json -s "$D_SOCK")
expect_eq json_failures_listed "$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(sorted(f["domain"] + ":" + f["reason"] for f in o["failures"])))')" \
    "bogus.$Z:dnssec-bogus not_a_domain!:bad-domain"

# --- the progress bar, on a terminal -----------------------------------------------
if command -v script >/dev/null; then
    tty_out=$(script -qec "'$MTASTS' prefetch '$D_DIR/list' -s '$D_SOCK'" /dev/null | tr '\r' '\n')
    expect_match progress_bar_on_terminal "$tty_out" "^\[#{30}\] 6/6  enforce 1  testing 1  none 1  no policy 1  failed 2"
else
    fail progress_bar_on_terminal "script(1) is missing (bsdutils)"
fi

# --- usage errors -------------------------------------------------------------------
"$MTASTS" prefetch /nonexistent/list -s "$D_SOCK" >/dev/null 2>&1
expect_eq unreadable_list_exit_2 "$?" 2
daemon_stop

# --- the daemon's prefetch_file, at start -------------------------------------------
printf 'enforce-wildcard.%s\n# comment\ntesting-bad.%s\nnot valid\n' "$Z" "$Z" > "$D_DIR/startlist"
daemon_start -n "state_dir=$D_DIR/state2" "prefetch_file=$D_DIR/startlist" \
    || { fail daemon_starts_with_prefetch_file "see log"; exit 1; }
for _ in $(seq 100); do
    grep -q "prefetch of 2 domains done" "$D_LOG" && break
    sleep 0.1
done
expect_match prefetch_file_summary_logged "$(grep -a "prefetch of" "$D_LOG")" \
    "prefetch of 2 domains done in [0-9]+ s: 1 enforce, 1 testing, 0 none, 0 no policy, 0 failed"
expect_match prefetch_file_bad_line_logged "$(grep -a "startlist line 4" "$D_LOG")" "not a domain name"
expect_match prefetch_file_cached "$(ask "show enforce-wildcard.$Z")" " state=cached mode=enforce"
daemon_stop
D_ARGS=(-o "prefetch_file=/nonexistent/list")
if daemon_launch 2>/dev/null; then
    fail missing_prefetch_file_stops_start "the daemon started"
else
    expect_match missing_prefetch_file_stops_start "$(grep -a "mtastsd: prefetch_file" "$D_LOG")" \
        "prefetch_file /nonexistent/list: No such file"
fi
exit 0
