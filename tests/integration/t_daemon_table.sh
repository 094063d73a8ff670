#!/usr/bin/env bash
# t_daemon_table - design.md "Policy life cycle": the answer table, row by
# row, against the test world with the real discovery (libunbound, libcurl),
# plus the verbs built on it (mx, allowed) and replacement rules.
. tests/lib.sh
. tests/integration/daemon_lib.sh
Z=$WORLD_ZONE
world_conf

# ask_until NAME REGEX LINE - ask LINE until the answer matches (at most 15 s)
ask_until() {
    local n=$1 re=$2 line=$3 out i
    for i in $(seq 60); do
        out=$(ask "$line")
        printf '%s' "$out" | grep -Eq -- "$re" && { pass "$n"; return 0; }
        sleep 0.25
    done
    fail "$n" "last answer '$out' does not match /$re/"
}

# Row 3's DNS failures: two zones below the world's, each served by a stub in
# the world's namespace that answers SERVFAIL or nothing (dnsstub.py).
STUBS=()
stop_stubs() { [ ${#STUBS[@]} -eq 0 ] || kill "${STUBS[@]}" 2>/dev/null; daemon_cleanup; }
trap stop_stubs EXIT
cp "$WORLD_UNBOUND_CONF" "$D_DIR/unbound.conf"
for s in "dnsfail 127.0.1.77 servfail" "dnshang 127.0.1.78 silent"; do
    set -- $s
    printf 'stub-zone:\n    name: "%s.%s."\n    stub-addr: %s@53\n' "$1" "$Z" "$2" >> "$D_DIR/unbound.conf"
    "$WORLD_EXEC_SH" /usr/bin/python3 tests/integration/dnsstub.py "$2" "$3" &
    STUBS+=($!)
done
echo "unbound_config = $D_DIR/unbound.conf" >> "$WORLD_MTASTSD_CONF"

# --- a daemon with the default first-contact window (10 minutes) -------------
daemon_start -n answer_deadline=2s fetch_timeout=3s txt_recheck_interval=1h || { fail daemon_starts "see log"; exit 1; }
pass daemon_starts

# Row 7: a valid policy is the answer (mode none answers none).
expect_match row7_valid_policy_enforce "$(ask "policy enforce.$Z")" \
    "^ok mode=enforce id=enforce1 max_age=86400 fetched=[0-9]+ expires=[0-9]+ mx=mx1\\.$Z,mx2\\.$Z$"
expect_match row7_valid_policy_testing "$(ask "policy testing.$Z")" "^ok mode=testing id=testing1 "
expect_match row7_mode_none_answers_none "$(ask "policy none.$Z")" "^none reason=mode-none mode=none id=none1 "

# Row 1: a cached policy is answered at once, without the network.
f0=$(stat_of flights)
t0=$(date +%s%N)
out=$(ask "policy enforce.$Z" "policy enforce.$Z" "policy enforce.$Z")
t1=$(date +%s%N)
expect_match row1_cached_policy_answered "$out" "^ok mode=enforce id=enforce1"
expect_eq row1_cached_answer_starts_no_flight "$(stat_of flights)" "$f0"
expect_eq row1_cached_answers_counted_as_hits "$( [ "$(stat_of cache_hits)" -ge 3 ] && echo yes)" yes
[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] && pass row1_cached_answer_is_immediate || fail row1_cached_answer_is_immediate "$(( (t1 - t0) / 1000000 )) ms"

# Row 2: no record, several, invalid -> none.
expect_eq row2_no_record_none "$(ask "policy notxt.$Z")" "none reason=no-record"
expect_eq row2_not_an_sts_record_none "$(ask "policy nonsts.$Z")" "none reason=no-record"
expect_eq row2_several_records_none "$(ask "policy twotxt.$Z")" "none reason=several-records"
expect_eq row2_invalid_record_none "$(ask "policy badtxt.$Z")" "none reason=invalid-record"
expect_eq row2_nxdomain_none "$(ask "policy nosuchdomain.$Z")" "none reason=no-record"

# Row 3: DNSSEC-bogus -> tempfail inside the window (a failure, not "no record").
expect_eq row3_bogus_tempfail_in_window "$(ask "policy bogus.$Z")" "tempfail reason=dnssec-bogus"
check row3_bogus_logged_loudly grep -q "warning: bogus.$Z: MTA-STS TXT lookup failed (dnssec-bogus)" "$D_LOG"
# ... and so are SERVFAIL and a DNS server that never answers (dns_timeout 3 s)
expect_eq row3_servfail_tempfail_in_window "$(ask "policy dnsfail.$Z")" "tempfail reason=dns-servfail"
check row3_servfail_logged_loudly grep -q "warning: dnsfail.$Z: MTA-STS TXT lookup failed (dns-servfail)" "$D_LOG"
# (dns_timeout 3 s is after the answer deadline: first the deadline)
expect_eq row3_dns_hang_deadline_first "$(ask "policy dnshang.$Z")" "tempfail reason=answer-deadline"
ask_until row3_dns_timeout_tempfail_in_window "^tempfail reason=dns-timeout$" "policy dnshang.$Z"
check row3_dns_timeout_logged_loudly grep -q "warning: dnshang.$Z: MTA-STS TXT lookup failed (dns-timeout)" "$D_LOG"

# Row 4: fetch still running at the answer deadline -> tempfail in the window.
expect_eq row4_deadline_tempfail_in_window "$(ask "policy https-noheaders.$Z")" "tempfail reason=answer-deadline"

# Row 5: connect error -> tempfail in the window.
expect_match row5_connect_error_tempfail_in_window "$(ask "policy https-refused.$Z")" "^tempfail reason=fetch-unreachable"
# ... and a fetch that times out (the body trickles; fetch_timeout 3 s is
# after the answer deadline: first the deadline, then the timeout)
expect_eq row5_slow_fetch_deadline_first "$(ask "policy https-slow.$Z")" "tempfail reason=answer-deadline"
ask_until row5_fetch_timeout_tempfail_in_window "^tempfail reason=fetch-unreachable" "policy https-slow.$Z"
check row5_fetch_timeout_logged grep -q "https-slow.$Z: policy host unreachable .*within 3 s (fetch_timeout)" "$D_LOG"

# Row 6: definitive failures -> none, counted for TLS-RPT.
ff0=$(stat_of fetch_failures)
expect_eq row6_http_404_none "$(ask "policy https-notfound.$Z")" "none reason=policy-fetch-error"
expect_match row6_wrong_content_type_none "$(ask "policy https-ctype.$Z")" "^none reason=(policy-fetch-error|policy-invalid)"
expect_match row6_redirect_none "$(ask "policy https-redirect.$Z")" "^none reason=policy-fetch-error"
expect_match row6_too_big_none "$(ask "policy https-big.$Z")" "^none reason=(policy-fetch-error|policy-invalid)"
expect_eq row6_untrusted_certificate_none "$(ask "policy https-untrusted.$Z")" "none reason=webpki-invalid"
expect_eq row6_expired_certificate_none "$(ask "policy https-expired.$Z")" "none reason=webpki-invalid"
expect_eq row6_certificate_for_other_name_none "$(ask "policy https-wrongname.$Z")" "none reason=webpki-invalid"
expect_eq row6_invalid_body_none "$(ask "policy https-invalid.$Z")" "none reason=policy-invalid"
ff1=$(stat_of fetch_failures)
expect_eq row6_failures_counted "$(( ff1 - ff0 ))" 8

# The verbs built on the policy.
expect_match mx_matching_host_enforce "$(ask "mx enforce.$Z mx1.$Z")" "^ok verdict=enforce match=yes mode=enforce tlsa=(no|unknown) id=enforce1$"
expect_match mx_other_host_reject "$(ask "mx enforce.$Z other.$Z")" "^ok verdict=reject match=no mode=enforce "
expect_match mx_testing "$(ask "mx testing.$Z mx-other.$Z")" "^ok verdict=testing match=no mode=testing "
expect_match mx_dane_host "$(ask "mx dane.$Z mx-dane.$Z")" "^ok verdict=dane match=yes mode=enforce tlsa=yes "
expect_match mx_dane_outside_policy_still_reject "$(ask "mx dane-outside.$Z mx-dane.$Z")" "^ok verdict=reject match=no mode=enforce tlsa=yes "
expect_match mx_no_policy_none "$(ask "mx notxt.$Z mx1.$Z")" "^none verdict=none reason=no-record$"
expect_eq allowed_names "$(ask "allowed enforce.$Z")" \
    "ok mode=enforce id=enforce1 allowed=!^(?i)mx1\\.example\\.test\$;!^(?i)mx2\\.example\\.test\$"
expect_eq allowed_wildcard_one_label "$(ask "allowed enforce-wildcard.$Z")" \
    "ok mode=enforce id=enforcewildcard1 allowed=!^(?i)[^.]+\\.example\\.test\$"
expect_match allowed_testing_is_none "$(ask "allowed testing.$Z")" "^none mode=testing id=testing1$"
expect_eq allowed_no_policy_none "$(ask "allowed notxt.$Z")" "none reason=no-record"
daemon_stop

# --- first_contact_window = 0: temporary failures answer none -------------------
daemon_start -n answer_deadline=2s fetch_timeout=3s first_contact_window=0 state_dir=$D_DIR/state-nowindow || { fail daemon_starts_no_window "see log"; exit 1; }
expect_eq row3_bogus_none_without_window "$(ask "policy bogus.$Z")" "none reason=dnssec-bogus"
expect_eq row3_servfail_none_without_window "$(ask "policy dnsfail.$Z")" "none reason=dns-servfail"
expect_eq row3_dns_hang_deadline_none_without_window "$(ask "policy dnshang.$Z")" "none reason=answer-deadline"
ask_until row3_dns_timeout_none_without_window "^none reason=dns-timeout$" "policy dnshang.$Z"
expect_eq row4_deadline_none_without_window "$(ask "policy https-noheaders.$Z")" "none reason=answer-deadline"
expect_match row5_connect_error_none_without_window "$(ask "policy https-refused.$Z")" "^none reason=fetch-unreachable"
expect_eq row5_slow_fetch_deadline_none_without_window "$(ask "policy https-slow.$Z")" "none reason=answer-deadline"
ask_until row5_fetch_timeout_none_without_window "^none reason=fetch-unreachable" "policy https-slow.$Z"
daemon_stop

# --- a short window runs out: tempfail inside it, none after it ----------------
daemon_start -n answer_deadline=2s first_contact_window=3s state_dir=$D_DIR/state-shortwindow || { fail daemon_starts_short_window "see log"; exit 1; }
expect_match window_tempfail_before_it_ends "$(ask "policy https-refused.$Z")" "^tempfail reason=fetch-unreachable"
expect_eq window_bogus_tempfail_before_it_ends "$(ask "policy bogus.$Z")" "tempfail reason=dnssec-bogus"
sleep 3.5
expect_match window_none_after_it_ends "$(ask "policy https-refused.$Z")" "^none reason=fetch-unreachable"
expect_eq window_bogus_none_after_it_ends "$(ask "policy bogus.$Z")" "none reason=dnssec-bogus"
daemon_stop

# --- behind a cached policy: the TXT id is re-checked; only a new valid policy replaces it
orig=$(mktemp); bad=$(mktemp); new=$(mktemp)
cp "$WORLD_WWW/change.$Z.txt" "$orig" || fail change_policy_saved "no $WORLD_WWW/change.$Z.txt"
printf 'version: STSv1\nmode: enforce\nmx: mx1.%s\n' "$Z" > "$bad"		# no max_age: invalid
printf 'version: STSv1\nmode: testing\nmx: mx1.%s\nmax_age: 3600\n' "$Z" > "$new"
restore_change() { "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" "$orig" change1 >/dev/null 2>&1; rm -f "$orig" "$bad" "$new"; stop_stubs; }
trap restore_change EXIT
daemon_start -n answer_deadline=2s txt_recheck_interval=1s state_dir=$D_DIR/state-recheck || { fail daemon_starts_recheck "see log"; exit 1; }
expect_match recheck_first_policy "$(ask "policy change.$Z")" "^ok mode=enforce id=change1 "
"$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" "$bad" change2 >/dev/null
ff0=$(stat_of fetch_failures)
sleep 2
for i in $(seq 12); do ask "policy change.$Z" >/dev/null; sleep 0.25; done
expect_match invalid_new_policy_does_not_replace "$(ask "policy change.$Z")" "^ok mode=enforce id=change1 "
expect_eq invalid_new_policy_counted "$( [ "$(stat_of fetch_failures)" -gt "$ff0" ] && echo yes)" yes
"$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" "$new" change3 >/dev/null
sleep 2
ask_until new_valid_policy_replaces "^ok mode=testing id=change3 " "policy change.$Z"
expect_eq replacement_counted "$(stat_of policies_replaced)" 1
daemon_stop
exit 0
