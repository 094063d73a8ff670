#!/usr/bin/env bash
# t_lint.sh - mtasts lint-policy and lint-record, end to end through the
# binary (no servers): exit statuses, messages, JSON (checked with jq-free
# python3), --help and --version.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
tmp=$(mktemp -d /tmp/mtasts-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run NAME WANT_RC CMD... - run, keep stdout/stderr in $out/$err, check rc
run() {
    local n=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
    if [ "$rc" -eq "$want" ]; then pass "$n"; else fail "$n" "exit $rc, want $want; stderr: $err"; fi
}

# json_get JSON EXPR - evaluate a python expression over the parsed object j
json_get() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>&1 | tail -n 1; }

printf 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.Example.NET.\nmax_age: 9999999999\n' >"$tmp/long"
printf 'version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 86400\r\n' >"$tmp/crlf"
printf 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: bad_name.example.com\nmax_age: 86400\n' >"$tmp/badmx"
printf 'version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\nmode: none\nnot a field\n' >"$tmp/dup"

# RFC 8461 §3.2: the shipped example is valid
run lint_policy_example_valid 0 "$M" lint-policy examples/mta-sts.txt
expect_match lint_policy_example_prints_mode "$out" '^mode: enforce$'

# RFC 8461 §3.2: CRLF and stdin ("-")
run lint_policy_stdin_crlf 0 "$M" lint-policy - <"$tmp/crlf"
expect_match lint_policy_stdin_crlf_mode "$out" 'mode: testing'

# RFC 8461 §3.2: an invalid mx names line and rule, exit 1, nothing on stdout
run lint_policy_invalid_exit_1 1 "$M" lint-policy "$tmp/badmx"
expect_match lint_policy_invalid_names_line_and_rule "$err" 'line 4, column 8: .*\(RFC 8461 §3\.2\)'
expect_eq lint_policy_invalid_no_stdout "$out" ""

# RFC 8461 §3.2: duplicates ignored with a warning, exit 0
run lint_policy_duplicate_warns 0 "$M" lint-policy "$tmp/dup"
expect_match lint_policy_duplicate_warning_text "$err" 'line 5.*repeated field .mode. ignored'
expect_match lint_policy_nonfield_warning_text "$err" "line 6.*without ':'"

# --json: fields, capped max_age, lower-cased mx without the final dot
run lint_policy_json 0 "$M" lint-policy --json "$tmp/long"
expect_eq lint_policy_json_fields "$(json_get "$out" 'sorted(j.keys())')" "['max_age', 'mode', 'mx', 'version']"
expect_eq lint_policy_json_max_age_capped "$(json_get "$out" 'j["max_age"]')" "31557600"
expect_eq lint_policy_json_mx "$(json_get "$out" 'j["mx"]')" "['mail.example.com', '*.example.net']"
expect_eq lint_policy_json_version_mode "$(json_get "$out" 'j["version"]+" "+j["mode"]')" "STSv1 enforce"

# --mx HOST: RFC 8461 §4.1 matching, reported, exit status unchanged
run lint_policy_mx_match 0 "$M" lint-policy --json --mx MX1.example.net. "$tmp/long"
expect_eq lint_policy_mx_match_true "$(json_get "$out" 'j["mx_match"]')" "True"
run lint_policy_mx_nomatch 0 "$M" lint-policy --mx a.b.example.net --json "$tmp/long"
expect_eq lint_policy_mx_match_false "$(json_get "$out" 'j["mx_match"]')" "False"
run lint_policy_mx_human 0 "$M" lint-policy --mx mail.example.com "$tmp/long"
expect_match lint_policy_mx_human_text "$out" 'mx mail.example.com: matches'

# usage errors: exit 2
run lint_policy_no_file_usage 2 "$M" lint-policy
run lint_policy_missing_file 2 "$M" lint-policy "$tmp/does-not-exist"
run lint_policy_bad_option 2 "$M" lint-policy --frobnicate "$tmp/crlf"
run lint_policy_mx_without_host 2 "$M" lint-policy "$tmp/crlf" --mx
run lint_policy_help 0 "$M" lint-policy --help
expect_match lint_policy_help_text "$out" '^usage: mtasts lint-policy'

# RFC 8461 §3.1 records
run lint_record_valid 0 "$M" lint-record 'v=STSv1; id=20160831085700Z;'
run lint_record_json 0 "$M" lint-record --json 'v=STSv1; id=abc123'
expect_eq lint_record_json_fields "$(json_get "$out" 'j["v"]+" "+j["id"]')" "STSv1 abc123"
expect_eq lint_record_json_only_v_id "$(json_get "$out" 'sorted(j.keys())')" "['id', 'v']"
run lint_record_stsv10_invalid 1 "$M" lint-record 'v=STSv10; id=abc'
run lint_record_long_id_invalid 1 "$M" lint-record 'v=STSv1; id=012345678901234567890123456789012'
expect_match lint_record_error_names_rule "$err" 'column [0-9]+: .*\(RFC 8461 §3\.1\)'
run lint_record_usage 2 "$M" lint-record
run lint_record_two_args_usage 2 "$M" lint-record 'v=STSv1; id=a' 'v=STSv1; id=b'
run lint_record_help 0 "$M" lint-record --help

# RFC 8460 §3 records
run lint_record_tlsrpt_valid 0 "$M" lint-record --tlsrpt --json 'v=TLSRPTv1; rua=mailto:tls@example.com, https://r.example.com/x'
expect_eq lint_record_tlsrpt_json "$(json_get "$out" 'j["v"]+" "+",".join(j["rua"])')" "TLSRPTv1 mailto:tls@example.com,https://r.example.com/x"
run lint_record_tlsrpt_invalid 1 "$M" lint-record --tlsrpt 'v=TLSRPTv1; rua=tls@example.com'
expect_match lint_record_tlsrpt_error_rule "$err" '\(RFC 8460 §3\)'
run lint_record_tlsrpt_is_not_sts 1 "$M" lint-record 'v=TLSRPTv1; rua=mailto:tls@example.com'

# control characters from the input never reach the terminal
printf 'version: STSv1\nmode: \033[31menforce\nmx: a.example\nmax_age: 1\n' >"$tmp/esc"
run lint_policy_escape_invalid 1 "$M" lint-policy "$tmp/esc"
if printf '%s' "$err" | grep -q $'\033'; then fail lint_policy_no_escape_in_message "ESC on stderr"; else pass lint_policy_no_escape_in_message; fi

# the top-level command
run mtasts_version 0 "$M" --version
expect_match mtasts_version_text "$out" '^mtasts [0-9]+\.[0-9]+'
run mtasts_help 0 "$M" --help
expect_match mtasts_help_lists_lint "$out" 'lint-policy.*'
run mtasts_unknown_command 2 "$M" frobnicate

exit $((TESTS_FAILED > 0))
