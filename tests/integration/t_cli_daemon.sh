#!/usr/bin/env bash
# t_cli_daemon - the command line's verbs that ask a running mtastsd
# (mtasts(1): query, cache list|show|flush, stats) against the test world:
# the human output, --json (read back with jq), the exit status (0 ok and
# none, 1 tempfail, error or refusal, 2 usage), errors for bad names and
# unknown domains on standard error, and flush's privilege check.
. tests/lib.sh
. tests/integration/daemon_lib.sh
Z=$WORLD_ZONE
world_conf
daemon_start -n answer_deadline=2s socket_mode=0666 || { fail daemon_starts "see log"; exit 1; }
pass daemon_starts

# mt VERB ARGS... - mtasts VERB -s SOCKET ARGS...: $out (stdout), $err, $rc
mt() { out=$("$BUILD/mtasts" "$1" -s "$D_SOCK" "${@:2}" 2>"$D_DIR/err"); rc=$?; err=$(cat "$D_DIR/err"); }
# jqf FILTER - FILTER applied to $out (the --json answer)
jqf() { printf '%s' "$out" | jq -r "$1" 2>&1; }
# expect_run NAME RC OUT_REGEX ERR_REGEX - the last mt's status and streams
expect_run() {
    expect_all "$1" "$rc|$out|$err" "^$2\|$3\|$4\$"
}
D='[0-9]+'

# --- query DOMAIN: the policy verb ----------------------------------------
mt query "enforce.$Z"
expect_run query_policy "0" \
    "ok
  mode +enforce
  id +enforce1
  max_age +86400
  fetched +$D
  expires +$D
  mx +mx1\\.$Z,mx2\\.$Z" ""
mt query "enforce.$Z" --json
expect_eq query_policy_json "$rc $(jqf '"\(.status) \(.mode) \(.id) \(.max_age|type) \(.max_age) \(.expires > .fetched) \(.mx)"')" \
    "0 ok enforce enforce1 number 86400 true mx1.$Z,mx2.$Z"
mt query "notxt.$Z"
expect_run query_no_record_is_none_exit_0 0 "none
  reason +no-record" ""
mt query "notxt.$Z" --json
expect_eq query_no_record_json "$rc $(jqf '"\(.status) \(.reason)"')" "0 none no-record"
mt query "none.$Z" --json
expect_eq query_mode_none_json "$rc $(jqf '"\(.status) \(.reason) \(.mode) \(.id)"')" "0 none mode-none none none1"
mt query "bogus.$Z"
expect_run query_tempfail_exit_1 1 "tempfail
  reason +dnssec-bogus" ""
mt query "bogus.$Z" --json
expect_eq query_tempfail_json "$rc $(jqf '"\(.status) \(.reason)"')" "1 tempfail dnssec-bogus"

# --- query DOMAIN --mx HOST: the mx verb ----------------------------------
mt query "enforce.$Z" --mx "mx1.$Z"
expect_run query_mx_listed_host_enforce 0 "ok
  verdict +enforce
  match +yes
  mode +enforce
  tlsa +(no|unknown)
  id +enforce1" ""
mt query "enforce.$Z" --mx "mx-other.$Z" --json
expect_eq query_mx_unlisted_host_reject_json "$rc $(jqf '"\(.status) \(.verdict) \(.match) \(.mode) \(.id)"')" \
    "0 ok reject no enforce enforce1"
mt query "testing.$Z" --json --mx "mx-other.$Z"
expect_eq query_mx_testing_json "$rc $(jqf '"\(.verdict) \(.match) \(.mode)"')" "0 testing no testing"
mt query "notxt.$Z" --mx "mx1.$Z" --json
expect_eq query_mx_no_policy_json "$rc $(jqf '"\(.status) \(.verdict) \(.reason)"')" "0 none none no-record"

# --- query: errors and usage ---------------------------------------------
mt query "bad..domain"
expect_run query_bad_domain_error_on_stderr 1 "" "error
  reason +bad-domain"
mt query "bad..domain" --json
expect_eq query_bad_domain_json_on_stdout "$rc $(jqf '"\(.status) \(.reason)"') [$err]" "1 error bad-domain []"
mt query "enforce.$Z" --mx "bad host"
expect_run query_bad_mx_host_error 1 "" "error
  reason +bad-host"
mt query
expect_run query_without_domain_is_usage 2 "" "usage: mtasts query DOMAIN .*"
mt query "a.$Z" "b.$Z"
expect_run query_two_domains_is_usage 2 "" "usage: mtasts query .*"
mt query "a.$Z" --bogus
expect_run query_unknown_option_is_usage 2 "" "mtasts query: unknown option --bogus
usage: .*"
mt query "a.$Z" --mx
expect_run query_mx_without_host_is_usage 2 "" "mtasts query: option --mx needs a value
usage: .*"
mt query --help
expect_run query_help_exit_0 0 "usage: mtasts query .*" ""

# --- cache list ----------------------------------------------------------
mt cache list
expect_all cache_list_header "$rc|$(echo "$out" | head -n 1)" '^0\|DOMAIN +STATE +MODE +EXPIRES +ID$'
expect_all cache_list_cached_policy "$out" \
    "(^|
)enforce\\.$Z +cached +enforce +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +enforce1(
|$)"
expect_all cache_list_no_record "$out" "(^|
)notxt\\.$Z +no-record +- +- +-(
|$)"
expect_all cache_list_failed "$out" "(^|
)bogus\\.$Z +failed +- +- +-(
|$)"
rows=$(($(echo "$out" | wc -l) - 1))
mt cache list --json
expect_eq cache_list_json_one_object_per_row "$rc $(jqf 'length')" "0 $rows"
expect_eq cache_list_json_cached_policy \
    "$(jqf ".[] | select(.domain == \"enforce.$Z\") | \"\\(.state) \\(.mode) \\(.id) \\(.expires|type) \\(.last_used|type)\"")" \
    "cached enforce enforce1 number number"
expect_eq cache_list_json_no_record "$(jqf ".[] | select(.domain == \"notxt.$Z\") | \"\\(.state) \\(.mode)\"")" \
    "no-record null"
mt cache list extra
expect_run cache_list_with_argument_is_usage 2 "" "usage: mtasts cache list .*"

# --- cache show DOMAIN -----------------------------------------------------
mt cache show "enforce.$Z"
expect_run cache_show_policy 0 "ok
  domain +enforce\\.$Z
  state +cached
  mode +enforce
  id +enforce1
.*
  text +
      version: STSv1
      mode: enforce
      mx: mx1\\.$Z
      mx: mx2\\.$Z
      max_age: 86400" ""
mt cache show "enforce.$Z" --json
expect_eq cache_show_json_fields "$rc $(jqf '"\(.status) \(.state) \(.id) \(.fail_count) \(.first_contact|type) \(.refresh_due > .fetched)"')" \
    "0 ok cached enforce1 0 number true"
expect_eq cache_show_json_text_is_the_served_policy "$(jqf .text)" "$(cat "$WORLD_WWW/enforce.$Z.txt")"
mt cache show "never-asked.$Z"
expect_run cache_show_unknown_domain_exit_1 1 "none
  domain +never-asked\\.$Z
  reason +unknown-domain" ""
mt cache show "never-asked.$Z" --json
expect_eq cache_show_unknown_domain_json "$rc $(jqf '"\(.status) \(.reason)"')" "1 none unknown-domain"
mt cache show "bad..domain"
expect_run cache_show_bad_domain_error 1 "" "error
  reason +bad-domain"
mt cache show
expect_run cache_show_without_domain_is_usage 2 "" "usage: mtasts cache list .*"

# --- cache flush DOMAIN ------------------------------------------------------
# Not root: refused by the daemon (SO_PEERCRED), the policy stays. The
# unprivileged peer runs a copy in $D_DIR (the checkout may be unreadable).
cp "$BUILD/mtasts" "$D_DIR/mtasts"; chmod 0755 "$D_DIR/mtasts"
nobody() {
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$D_DIR/mtasts" "$1" -s "$D_SOCK" "${@:2}" 2>"$D_DIR/err")
    rc=$?; err=$(cat "$D_DIR/err")
}
nobody cache flush "enforce.$Z"
expect_run cache_flush_refused_to_unprivileged_user 1 "" "error
  reason +permission-denied"
nobody cache flush "enforce.$Z" --json
expect_eq cache_flush_refused_json "$rc $(jqf '"\(.status) \(.reason)"')" "1 error permission-denied"
nobody cache show "enforce.$Z" --json
expect_eq cache_show_allowed_to_unprivileged_user "$rc $(jqf .state)" "0 cached"
# root (these tests run as root): allowed
f0=$(stat_of flights)
mt cache flush "enforce.$Z"
expect_run cache_flush_by_root 0 "flushed enforce\\.$Z" ""
mt cache show "enforce.$Z" --json
expect_eq cache_flush_forgets_the_domain "$rc $(jqf .reason)" "1 unknown-domain"
mt query "enforce.$Z" --json
expect_eq query_after_flush_fetches_again "$rc $(jqf .id) $(( $(stat_of flights) - f0 ))" "0 enforce1 1"
mt cache flush "testing.$Z" --json
expect_eq cache_flush_json "$rc $(jqf '"\(.status) \(.domain)"')" "0 ok testing.$Z"
mt cache flush "never-asked.$Z"
expect_run cache_flush_unknown_domain_is_ok 0 "flushed never-asked\\.$Z" ""
mt cache flush "bad..domain"
expect_run cache_flush_bad_domain_error 1 "" "error
  reason +bad-domain"
mt cache flush "a.$Z" "b.$Z"
expect_run cache_flush_two_domains_is_usage 2 "" "usage: .*"
mt cache
expect_run cache_without_subcommand_is_usage 2 "" "usage: mtasts cache list .*"
mt cache frobnicate "a.$Z"
expect_run cache_unknown_subcommand_is_usage 2 "" "usage: mtasts cache list .*"

# --- stats -------------------------------------------------------------------
mt stats
expect_run stats_plain 0 "ok
  version +[^ ]+
  uptime +$D
.*" ""
mt stats --json
expect_eq stats_json "$rc $(jqf '"\(.status) \(.uptime|type) \(.cache_entries >= 2) \(.requests_flush >= 3)"')" \
    "0 ok number true true"
mt stats --json --prometheus
expect_run stats_json_and_prometheus_is_usage 2 "" "usage: mtasts stats .*"
mt stats --prometheus
expect_eq stats_prometheus_exit_0 "$rc" 0
types=$(printf '%s\n' "$out" | sed -n 's/^# TYPE \([^ ]*\) \([a-z]*\)$/\1 \2/p')
# Prometheus: a value that goes down is a gauge; counters only go up (_total)
levels=$(echo "$types" | grep -E '^mtastsd_(uptime|[a-z_]+_(now|running|entries|bytes|scheduled)(_total)?) ')
expect_eq stats_prometheus_every_level_is_a_gauge "$(echo "$levels" | grep -v ' gauge$')" ""
expect_eq stats_prometheus_refresh_running_gauge "$(echo "$types" | grep -c '^mtastsd_refresh_running gauge$')" 1
expect_eq stats_prometheus_counters_end_in_total "$(echo "$types" | grep ' counter$' | grep -v '_total counter$')" ""
expect_eq stats_prometheus_nothing_untyped "$(echo "$types" | grep -v ' \(gauge\|counter\)$')" ""
expect_eq stats_prometheus_every_sample_well_formed \
    "$(printf '%s\n' "$out" | grep -v '^#' | grep -Ev '^mtastsd_[a-z_]+(\{[a-z]+="[^"\\]*"\})? [0-9]+$')" ""
expect_match stats_prometheus_per_verb "$out" "mtastsd_requests_total\\{verb=\"flush\"\\} [0-9]+"

daemon_stop
exit 0
