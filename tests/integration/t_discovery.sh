#!/usr/bin/env bash
# t_discovery.sh - discovery (daemon/discovery.c through `mtasts check --json`)
# against every domain of the test world: the exact outcome, RFC 8460 result
# type and cause of each DNS, DNSSEC, fetch and policy case.
#
# Runs inside the world's namespace. The policy hosts are resolved through
# the test DNS (libunbound straight to NSD, DNSSEC-validated with the world's
# trust anchor) and fetched at the addresses the zone names, on port 443, with
# no connect_to: the world's 127.0.2.0/24 is admitted by fetch_allow_address.
# t_discovery_refused.sh covers the refusal of such addresses by default.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
Z=$WORLD_ZONE
tmp=$(mktemp -d /tmp/mtasts-disc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/check.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
fetch_allow_address = $WORLD_POLICY_ADDR/32
fetch_allow_address = $WORLD_POLICY_TLS11_ADDR
fetch_allow_address = $WORLD_POLICY_REFUSED_ADDR
fetch_timeout = 3s
fetch_connect_timeout = 2s
dns_timeout = 5s
EOF

# discover LABEL [CONF] - run check --json for LABEL.$Z; JSON in $tmp/LABEL.json, exit in $tmp/LABEL.rc
discover() {
    local conf=${2:-$tmp/check.conf}
    $WORLD_EXEC "$M" check --json -c "$conf" "$1.$Z" >"$tmp/$1.json" 2>"$tmp/$1.err"
    echo $? >"$tmp/$1.rc"
}

# j LABEL FILTER - a jq filter over the JSON of LABEL, compact
j() { jq -c "$2" "$tmp/$1.json" 2>&1 | tail -n 1; }

# want NAME LABEL FILTER VALUE - expect_eq over one jq filter
want() { expect_eq "$1" "$(j "$2" "$3")" "$4"; }

# outcome NAME LABEL STATUS VERDICT EXIT RESULT_TYPE PROBLEM - the main facts of one domain
outcome() {
    local n=$1 l=$2
    want "${n}_status" "$l" .status "\"$3\""
    want "${n}_verdict" "$l" .verdict "\"$4\""
    expect_eq "${n}_exit" "$(cat "$tmp/$l.rc")" "$5"
    want "${n}_result_type" "$l" '.failure.result_type // "-"' "\"$6\""
    want "${n}_problem" "$l" '.failure.problem // "-"' "\"$7\""
}

labels="enforce enforce-other-first enforce-nomatch enforce-wildcard implicit testing testing-bad
none notxt shared twotxt split cname badtxt nonsts bogus dane dane-nopolicy dane-bad
dane-outside https-ctype https-redirect https-notfound https-big https-slow https-noheaders
https-expired https-wrongname https-untrusted https-tls11 https-crlf https-invalid
https-nohost https-refused child insecure"
# the two slow ones (timeouts) in the background while the others run
discover https-slow & slow1=$!
discover https-noheaders & slow2=$!
for l in $labels; do
    case $l in https-slow|https-noheaders) continue ;; esac
    discover "$l"
done
wait $slow1 $slow2

# RFC 8461 §3.1-§3.3, the good case: DNSSEC-validated record, policy host
# looked up in the test DNS (no connect_to) and fetched on 443
outcome enforce_valid enforce policy enforce 0 - -
want enforce_txt_secure enforce '.txt.dnssec' '"secure"'
want enforce_txt_id enforce '.txt.id' '"enforce1"'
want enforce_policy_host_from_dns enforce '.policy_host|[.routed,.addresses,.dnssec]' "[false,[\"$WORLD_POLICY_ADDR\"],\"secure\"]"
want enforce_fetched_on_the_zones_address enforce '.fetch|[.ip,.http_status,.content_type]' "[\"$WORLD_POLICY_ADDR\",200,\"text/plain\"]"
want enforce_policy enforce '.policy|[.mode,.max_age,.mx]' "[\"enforce\",86400,[\"mx1.$Z\",\"mx2.$Z\"]]"
# RFC 8461 §4.1, RFC 5321 §5.1: MX in preference order, matched
want enforce_mx_in_order enforce '[.mx.hosts[]|[.preference,.host,.matches]]' "[[10,\"mx1.$Z\",true],[20,\"mx2.$Z\",true]]"
# RFC 8460 §3
want enforce_tlsrpt enforce '.tlsrpt|[.result,.rua]' "[\"one\",[\"mailto:$WORLD_REPORT_RCPT\"]]"

outcome other_first enforce-other-first policy enforce 0 - -
want other_first_mx_match enforce-other-first '[.mx.hosts[]|[.host,.matches]]' "[[\"mx-other.$Z\",false],[\"mx1.$Z\",true]]"
outcome nomatch enforce-nomatch policy enforce 0 - -
want nomatch_no_mx_matches enforce-nomatch '[.mx.hosts[].matches]' '[false]'
# RFC 8461 §4.1: "*." matches one left-most label
want wildcard_matches enforce-wildcard '[.policy.mx,.mx.hosts[0].matches]' "[[\"*.$Z\"],true]"

# RFC 5321 §5.1: no MX record, the domain itself
outcome implicit_mx implicit policy enforce 0 - -
want implicit_mx_host implicit '[.mx.outcome,.mx.dnssec,[.mx.hosts[]|[.host,.implicit,.matches]]]' "[\"nodata\",\"secure\",[[\"implicit.$Z\",true,true]]]"

outcome testing_mode testing policy testing 0 - -
want testing_tlsrpt_https testing '.tlsrpt.rua' "[\"$WORLD_TLSRPT_URL\"]"
want testing_bad_tlsrpt_both testing-bad '.tlsrpt.rua' "[\"mailto:$WORLD_REPORT_RCPT\",\"$WORLD_TLSRPT_URL\"]"
# RFC 8461 §5: mode none is a policy that switches MTA-STS off
outcome mode_none none policy none 0 - -

# RFC 8461 §3.1: the record rule
outcome notxt_no_policy notxt no-policy none 0 - -
want notxt_nxdomain_proven notxt '.txt|[.outcome,.dnssec,.result]' '["nxdomain","secure","none"]'
want notxt_no_fetch notxt '[.policy_host,.fetch]' '[null,null]'
outcome shared_no_policy shared no-policy none 0 - -
outcome two_records_no_policy twotxt no-policy none 0 - -
want two_records_result twotxt '[.txt.result,(.txt.records|length)]' '["many",2]'
outcome split_strings_joined split policy enforce 0 - -
want split_strings_id split '.txt.records' '["v=STSv1; id=split1;"]'
outcome cname_followed cname policy enforce 0 - -
want cname_id cname '.txt.id' '"cname1"'
outcome invalid_record badtxt no-policy none 0 - -
want invalid_record_result badtxt '.txt.result' '"invalid"'
outcome non_sts_record nonsts no-policy none 0 - -
want non_sts_result nonsts '.txt.result' '"none"'

# DNSSEC: bogus is a temporary failure, never "no record"
outcome bogus_tempfail bogus tempfail unknown 1 - -
want bogus_outcome bogus '.txt|[.outcome,.dnssec,.result]' '["bogus","bogus",null]'
# a secure delegation and an insecure one
outcome child_zone child policy enforce 0 - -
want child_secure child '[.txt.dnssec,.policy_host.dnssec,.mx.dnssec]' '["secure","secure","secure"]'
outcome insecure_zone insecure policy enforce 0 - -
want insecure_unsigned insecure '[.txt.dnssec,.policy_host.dnssec,.mx.dnssec]' '["insecure","insecure","insecure"]'

# RFC 7672: TLSA status per MX
want dane_tlsa_usable dane '[.mx.hosts[]|[.host,.tlsa.outcome,.tlsa.dnssec,.tlsa.usable]]' "[[\"mx-dane.$Z\",\"ok\",\"secure\",true]]"
outcome dane_nopolicy dane-nopolicy no-policy none 0 - -
want dane_nopolicy_tlsa dane-nopolicy '[.mx.hosts[]|[.tlsa.usable,.matches]]' '[[true,null]]'
want dane_bad_tlsa_present dane-bad '.mx.hosts[0].tlsa.usable' true
want dane_outside_match dane-outside '[.mx.hosts[]|[.host,.matches,.tlsa.usable]]' "[[\"mx-dane.$Z\",false,true],[\"mx1.$Z\",true,false]]"
want no_tlsa_nxdomain enforce '[.mx.hosts[].tlsa.outcome]' '["nxdomain","nxdomain"]'

# RFC 8461 §3.3: the fetch rules, each with its RFC 8460 result type
outcome media_type https-ctype no-policy none 0 sts-policy-invalid media-type
want media_type_seen https-ctype '.fetch.content_type' '"text/html"'
outcome redirect_not_followed https-redirect no-policy none 0 sts-policy-fetch-error redirect
want redirect_status https-redirect '.fetch.http_status' 301
outcome not_found https-notfound no-policy none 0 sts-policy-fetch-error http-status
want not_found_status https-notfound '.fetch.http_status' 404
outcome body_over_64k https-big no-policy none 0 sts-policy-invalid too-big
outcome slow_body_times_out https-slow tempfail unknown 1 sts-policy-fetch-error timeout
want slow_body_had_headers https-slow '.fetch.http_status' 200
outcome no_headers_times_out https-noheaders tempfail unknown 1 sts-policy-fetch-error timeout
want no_headers_no_status https-noheaders '.fetch.http_status' null
outcome expired_cert https-expired no-policy none 0 sts-webpki-invalid certificate
expect_match expired_cert_reason "$(j https-expired .reason)" 'certificate has expired'
outcome wrong_name_cert https-wrongname no-policy none 0 sts-webpki-invalid certificate
expect_match wrong_name_reason "$(j https-wrongname .reason)" 'subject name'
outcome untrusted_cert https-untrusted no-policy none 0 sts-webpki-invalid certificate
expect_match untrusted_reason "$(j https-untrusted .reason)" 'self-signed'
outcome tls11_refused https-tls11 no-policy none 0 sts-policy-fetch-error tls-version
want tls11_fetch_reached https-tls11 '[.fetch.ip,.fetch.http_status]' "[\"$WORLD_POLICY_TLS11_ADDR\",null]"
# RFC 8461 §3.2: CRLF line ends are valid
outcome crlf_valid https-crlf policy enforce 0 - -
want crlf_text https-crlf '.policy.text|contains("\r\n")' true
outcome invalid_policy https-invalid no-policy none 0 sts-policy-invalid invalid-policy
expect_match invalid_policy_names_line "$(j https-invalid .reason)" 'line 2'
outcome no_policy_host https-nohost no-policy none 0 sts-policy-fetch-error no-address
want no_policy_host_nxdomain https-nohost '[.policy_host.outcome,.fetch]' '["nxdomain",null]'
outcome refused_connection https-refused tempfail unknown 1 sts-policy-fetch-error connect
want refused_connection_temporary https-refused '.failure.temporary' true

# nothing on stderr for any domain
for l in $labels; do
    [ -s "$tmp/$l.err" ] && fail "stderr_empty_$l" "$(head -c 300 "$tmp/$l.err")"
done
pass discovery_stderr_checked

# a connect_to route: no lookup of the policy host, the route's (loopback)
# address used although no allow-list admits it
route=$(tr ' ' '\n' <<<"$WORLD_CONNECT_TO" | grep "^mta-sts.enforce.$Z:")
cat >"$tmp/route.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
connect_to = $route
EOF
discover enforce "$tmp/route.conf"
outcome routed_fetch enforce policy enforce 0 - -
want routed_no_lookup enforce '[.policy_host.routed,.policy_host.addresses,.fetch.ip]' "[true,[],\"$WORLD_POLICY_ADDR\"]"

# a wrong CA file: the failure is ours, temporary, and says where to look
sed "s|^ca_file = .*|ca_file = /nonexistent/ca.pem|" "$tmp/check.conf" >"$tmp/noca.conf"
discover enforce "$tmp/noca.conf"
outcome missing_ca_is_local enforce tempfail unknown 1 sts-policy-fetch-error local

# configuration errors exit 2
printf 'connect_to = mta-sts.x:443:localhost:443\n' >"$tmp/bad.conf"
$WORLD_EXEC "$M" check -c "$tmp/bad.conf" enforce.$Z >/dev/null 2>"$tmp/bad.err"
expect_eq bad_connect_to_exit_2 $? 2
expect_match bad_connect_to_says_why "$(cat "$tmp/bad.err")" 'not an IP address'
printf 'unbound_config = /nonexistent/unbound.conf\n' >"$tmp/bad2.conf"
$WORLD_EXEC "$M" check -c "$tmp/bad2.conf" enforce.$Z >/dev/null 2>&1
expect_eq bad_unbound_config_exit_2 $? 2
"$M" check >/dev/null 2>&1
expect_eq check_usage_exit_2 $? 2
"$M" check -c "$tmp/check.conf" 'not a domain!' >/dev/null 2>&1
expect_eq check_bad_domain_exit_2 $? 2
exit 0
