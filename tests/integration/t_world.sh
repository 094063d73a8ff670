#!/usr/bin/env bash
# NAME
#	t_world.sh - self-test of the hermetic test world (tests/world/)
# DESCRIPTION
#	Run by tests/run.sh with the world's exports in the environment.
#	Checks that each piece answers as designed: DNSSEC answers through
#	the namespace's validating resolver and through libunbound with the
#	exported configuration; each HTTPS policy-host case with curl; each
#	MX case with openssl s_client and a delivery with swaks; the TLS-RPT
#	collector; both Exim binaries (DNSSEC through the system resolver,
#	the module directory, real deliveries with CV=dane and CV=yes);
#	set-policy.sh; and, with a second private world, that up.sh twice is
#	harmless and down.sh leaves no process, namespace or /etc/netns entry.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib.sh"
. "$top/tests/world/lib.sh"
: "${WORLD_NETNS:?run by tests/run.sh, with the world up}"
Z=$WORLD_ZONE
CA=$WORLD_CA_FILE
T=$(mktemp -d "$WORLD_RUNDIR/selftest.XXXXXX")
chmod 0755 "$T"
second=""
cleanup() {
    [ -n "$second" ] && "$top/tests/world/down.sh" "$second" >/dev/null 2>&1 && rm -rf "$second"
    rm -f "$WORLD_EXIM_LOOKUP_MODULE_DIR/worldtest_lookup.so"
}
trap cleanup EXIT

# --- DNS through the namespace's validating unbound ---------------------------
# dns_case NAME TYPE QNAME STATUS AD(yes|no) [REGEX-of-answer]
dns_case() {
    local n=$1 type=$2 q=$3 status=$4 ad=$5 re=${6:-} out flags
    out=$(world_dig "$type" "$q" 2>&1)
    flags=$(printf '%s\n' "$out" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p')
    if ! printf '%s' "$out" | grep -q "status: $status,"; then
        fail "$n" "want status $status: $(printf '%s' "$out" | grep -m1 status:)"
    elif [ "$ad" = yes ] && ! [[ " $flags " == *" ad "* ]]; then
        fail "$n" "no AD bit (flags: $flags)"
    elif [ "$ad" = no ] && [[ " $flags " == *" ad "* ]]; then
        fail "$n" "AD bit set (flags: $flags)"
    elif [ -n "$re" ] && ! printf '%s\n' "$out" | grep -v '^;' | grep -Eq -- "$re"; then
        fail "$n" "answer does not match /$re/: $(printf '%s\n' "$out" | grep -v '^;' | grep . | head -n 3 | tr '\n' ' ')"
    else
        pass "$n"
    fi
}
dns_case dns_secure_txt_has_ad TXT "_mta-sts.enforce.$Z" NOERROR yes 'TXT.*"v=STSv1; id=enforce1;"'
dns_case dns_bogus_txt_is_servfail TXT "_mta-sts.bogus.$Z" SERVFAIL no
out=$(world_dig +cd TXT "_mta-sts.bogus.$Z")
expect_match dns_bogus_txt_data_was_edited "$out" 'id=bogus1x;'
dns_case dns_insecure_delegation_no_ad TXT "_mta-sts.insecure.$Z" NOERROR no 'id=insecure1;'
dns_case dns_insecure_delegation_has_no_ds DS "insecure.$Z" NOERROR yes
dns_case dns_secure_child_zone_has_ad TXT "_mta-sts.child.$Z" NOERROR yes 'id=child1;'
dns_case dns_child_ds_in_parent DS "child.$Z" NOERROR yes 'DS[[:space:]]+[0-9]+ 13 2 '
dns_case dns_no_txt_is_nxdomain TXT "_mta-sts.notxt.$Z" NXDOMAIN yes
out=$(world_dig +short TXT "_mta-sts.notxt.$Z"); expect_eq dns_no_txt_empty "$out" ""
out=$(world_dig +short TXT "_mta-sts.twotxt.$Z" | sort | tr '\n' '|')
expect_eq dns_two_sts_records "$out" '"v=STSv1; id=twotxt1;"|"v=STSv1; id=twotxt1b;"|'
out=$(world_dig +short TXT "_mta-sts.split.$Z")
expect_eq dns_split_record_strings "$out" '"v=STSv1; " "id=split1;"'
dns_case dns_cname_mta_sts TXT "_mta-sts.cname.$Z" NOERROR yes 'CNAME[[:space:]]+_mta-sts\.cname-target'
dns_case dns_cname_target_txt TXT "_mta-sts.cname.$Z" NOERROR yes 'TXT[[:space:]]+"v=STSv1; id=cname1;"'
dns_case dns_invalid_record TXT "_mta-sts.badtxt.$Z" NOERROR yes 'id=not-valid!;'
dns_case dns_non_sts_record TXT "_mta-sts.nonsts.$Z" NOERROR yes 'v=spf1'
out=$(world_dig +short MX "enforce-other-first.$Z" | sort | tr '\n' '|')
expect_eq dns_mx_set_preferences "$out" "10 mx-other.$Z.|20 mx1.$Z.|"
dns_case dns_implicit_mx_has_a_no_mx MX "implicit.$Z" NOERROR yes
out=$(world_dig +short A "implicit.$Z"); expect_eq dns_implicit_mx_address "$out" "$WORLD_MX_IMPLICIT"
dns_case dns_policy_host_address A "mta-sts.enforce.$Z" NOERROR yes "A[[:space:]]+$WORLD_POLICY_ADDR"
dns_case dns_policy_host_tls11_address A "mta-sts.https-tls11.$Z" NOERROR yes "A[[:space:]]+$WORLD_POLICY_TLS11_ADDR"
dns_case dns_policy_host_missing A "mta-sts.https-nohost.$Z" NXDOMAIN yes
want=$(openssl x509 -in "$WORLD_CERT_DIR/mx-dane.$Z.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
dns_case dns_tlsa_secure TLSA "_25._tcp.mx-dane.$Z" NOERROR yes 'TLSA[[:space:]]+3 1 1 '
out=$(world_dig +short TLSA "_25._tcp.mx-dane.$Z" | tr -d ' ')
expect_eq dns_tlsa_matches_mx_key "$out" "311${want^^}"
dns_case dns_tlsa_bad_mx TLSA "_25._tcp.mx-danebad.$Z" NOERROR yes 'TLSA[[:space:]]+3 1 1 '
dns_case dns_tlsrpt_mailto TXT "_smtp._tls.enforce.$Z" NOERROR yes "v=TLSRPTv1; rua=mailto:$WORLD_REPORT_RCPT"
dns_case dns_tlsrpt_https TXT "_smtp._tls.testing.$Z" NOERROR yes "rua=https://tlsrpt.$Z/report"
dns_case dns_tlsrpt_both TXT "_smtp._tls.testing-bad.$Z" NOERROR yes "rua=mailto:.*,https://"
dns_case dns_dkim_key TXT "$WORLD_DKIM_SELECTOR._domainkey.$WORLD_DKIM_DOMAIN" NOERROR yes 'v=DKIM1; k=rsa;'
out=$(world_exec cat /etc/resolv.conf)
expect_match resolv_conf_is_world_unbound "$out" "nameserver $WORLD_RESOLVER_ADDR"
out=$(world_exec getent hosts "mx1.$Z")
expect_match system_resolver_finds_mx "$out" "^$WORLD_MX_MX1 "

# --- libunbound with the exported configuration (unbound-host) ----------------------
# ub_case NAME QNAME WANT-REGEX
ub_case() {
    local out
    out=$(world_exec unbound-host -C "$WORLD_UNBOUND_CONF" -v -t TXT "$2" 2>&1)
    expect_match "$1" "$out" "$3"
}
ub_case libunbound_secure "_mta-sts.enforce.$Z" 'id=enforce1;" \(secure\)'
ub_case libunbound_bogus "_mta-sts.bogus.$Z" 'BOGUS'
ub_case libunbound_insecure "_mta-sts.insecure.$Z" 'id=insecure1;" \(insecure\)'
ub_case libunbound_nxdomain_secure "_mta-sts.notxt.$Z" 'NXDOMAIN.*\(secure\)'
out=$(world_exec unbound-host -C "$WORLD_UNBOUND_CONF" -v -t TXT "_mta-sts.enforce.$Z" 2>&1 </dev/null; echo "dnsaddr=$WORLD_DNS_ADDR:$WORLD_DNS_PORT")
expect_match exports_dns_server "$out" "dnsaddr=127\.[0-9.]+:53"
check exports_trust_anchor_is_ds grep -q "^$Z\.[[:space:]].*DS[[:space:]]" "$WORLD_TRUST_ANCHOR"

# --- HTTPS policy hosts ---------------------------------------------------------------
# https_case NAME DOMAIN CURL-RC HTTP-CODE CONTENT-TYPE [ERROR-REGEX] [MAX-TIME]
https_case() {
    local n=$1 dom=$2 wrc=$3 wcode=$4 wtype=$5 werr=${6:-} max=${7:-5} out rc
    out=$(world_exec curl -sS -o "$T/$n.body" -D "$T/$n.head" -w '%{http_code} %{content_type}' \
        --max-time "$max" --cacert "$CA" "https://mta-sts.$dom/.well-known/mta-sts.txt" 2>"$T/$n.err")
    rc=$?
    if [ "$rc" != "$wrc" ]; then fail "$n" "curl exit $rc, want $wrc: $(head -c 300 "$T/$n.err")"
    elif [ "$out" != "$wcode $wtype" ] && [ "$out" != "$wcode ${wtype}" ]; then fail "$n" "got '$out', want '$wcode $wtype'"
    elif [ -n "$werr" ] && ! grep -Eq -- "$werr" "$T/$n.err"; then fail "$n" "error '$(head -c 300 "$T/$n.err")' does not match /$werr/"
    else pass "$n"; fi
}
https_case https_valid_policy "enforce.$Z" 0 200 text/plain
expect_eq https_valid_policy_body "$(cat "$T/https_valid_policy.body")" "version: STSv1
mode: enforce
mx: mx1.$Z
mx: mx2.$Z
max_age: 86400"
https_case https_testing_policy "testing.$Z" 0 200 text/plain
check https_testing_mode grep -qx 'mode: testing' "$T/https_testing_policy.body"
https_case https_none_policy "none.$Z" 0 200 text/plain
check https_none_mode grep -qx 'mode: none' "$T/https_none_policy.body"
https_case https_child_zone_policy "child.$Z" 0 200 text/plain
https_case https_insecure_zone_policy "insecure.$Z" 0 200 text/plain
https_case https_wrong_content_type "https-ctype.$Z" 0 200 text/html
https_case https_redirect "https-redirect.$Z" 0 301 text/html
check https_redirect_location grep -qi "^location: https://mta-sts.enforce.$Z/" "$T/https_redirect.head"
https_case https_not_found "https-notfound.$Z" 0 404 text/html
https_case https_big_body "https-big.$Z" 0 200 text/plain
size=$(stat -c %s "$T/https_big_body.body")
if [ "$size" -gt 65536 ]; then pass https_big_body_over_64k; else fail https_big_body_over_64k "$size bytes"; fi
https_case https_slow_body "https-slow.$Z" 28 200 text/plain 'timed out' 2
if [ "$(stat -c %s "$T/https_slow_body.body")" -lt 1000 ]; then pass https_slow_body_partial; else fail https_slow_body_partial "whole body arrived"; fi
https_case https_headers_never_sent "https-noheaders.$Z" 28 000 "" 'timed out' 2
https_case https_expired_cert "https-expired.$Z" 60 000 "" 'expired'
https_case https_wrong_name_cert "https-wrongname.$Z" 60 000 "" 'subject name|does not match'
https_case https_untrusted_cert "https-untrusted.$Z" 60 000 "" 'self.signed'
https_case https_tls11_refused_by_default "https-tls11.$Z" 35 000 ""
out=$(world_exec timeout 10 openssl s_client -connect "$WORLD_POLICY_TLS11_ADDR:443" -servername "mta-sts.https-tls11.$Z" \
    -tls1_1 -cipher DEFAULT@SECLEVEL=0 -CAfile "$CA" -verify_return_error -brief </dev/null 2>&1)
expect_match https_tls11_speaks_tls11 "$out" 'Protocol version: TLSv1\.1'
out=$(world_exec timeout 10 openssl s_client -connect "$WORLD_POLICY_TLS11_ADDR:443" -servername "mta-sts.https-tls11.$Z" \
    -tls1_2 -brief </dev/null 2>&1)
expect_match https_tls11_only "$out" 'alert|unsupported protocol|handshake failure'
https_case https_crlf_policy "https-crlf.$Z" 0 200 text/plain
check https_crlf_line_ends grep -q $'^mode: enforce\r$' "$T/https_crlf_policy.body"
https_case https_invalid_policy "https-invalid.$Z" 0 200 text/plain
check https_invalid_policy_body grep -qx 'mode: bogus' "$T/https_invalid_policy.body"
https_case https_no_policy_host "https-nohost.$Z" 6 000 ""
https_case https_connection_refused "https-refused.$Z" 7 000 ""
# the connect-to mappings reach each host without DNS
# (a private mount namespace hides the resolver from curl)
line=$(grep "^mta-sts.enforce.$Z:" "$WORLD_CONNECT_TO_FILE")
echo "nameserver 127.0.0.99" > "$T/no-resolver.conf"
out=$(world_exec unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$T/no-resolver.conf" \
    curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA" \
    --connect-to "$line" "https://mta-sts.enforce.$Z/.well-known/mta-sts.txt" 2>&1)
expect_eq https_connect_to_mapping "$out" 200
out=$(world_exec unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh "$T/no-resolver.conf" \
    curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA" \
    "https://mta-sts.enforce.$Z/.well-known/mta-sts.txt" 2>&1)
expect_match https_connect_to_test_has_no_dns "$out" "resolve"
n=$(wc -l < "$WORLD_CONNECT_TO_FILE"); w=$(echo "$WORLD_CONNECT_TO" | wc -w)
expect_eq connect_to_file_and_variable_agree "$n" "$w"
check connect_to_tls11_host grep -qx "mta-sts.https-tls11.$Z:443:$WORLD_POLICY_TLS11_ADDR:443" "$WORLD_CONNECT_TO_FILE"

# --- the TLS-RPT collector -------------------------------------------------------------
printf '{"organization-name":"selftest"}' | gzip > "$T/report.gz"
out=$(world_exec curl -sS -w '%{http_code}' -o /dev/null --max-time 5 --cacert "$CA" \
    -H 'Content-Type: application/tlsrpt+gzip' --data-binary @"$T/report.gz" "$WORLD_TLSRPT_URL" 2>&1)
expect_eq tlsrpt_post_accepted "$out" 200
last=$(ls "$WORLD_TLSRPT_DIR"/*.json 2>/dev/null | tail -n 1)
out=$(cat "$last" 2>/dev/null)
expect_match tlsrpt_stored_with_content_type "$out" '"content_type": "application/tlsrpt\+gzip"'
check tlsrpt_body_stored cmp "${last%.json}.body" "$T/report.gz"
out=$(world_exec curl -sS -w '%{http_code}' -o /dev/null --max-time 5 --cacert "$CA" \
    --data-binary x "https://tlsrpt.$Z/fail" 2>&1)
expect_eq tlsrpt_failure_path_503 "$out" 503

# --- SMTP MX servers ----------------------------------------------------------------------
# smtp_tls NAME HOST REGEX [s_client options] - STARTTLS with name and chain checks
smtp_tls() {
    local n=$1 h=$2 re=$3 out; shift 3
    out=$(world_exec timeout 10 openssl s_client -starttls smtp -connect "$h:25" -servername "$h" \
        -verify_hostname "$h" -verify_return_error -CAfile "$CA" -brief "$@" </dev/null 2>&1)
    expect_match "$n" "$out" "$re"
}
for h in mx1 mx2 mx-other implicit mx-dane mx-danebad; do
    smtp_tls "smtp_valid_cert_$h" "$h.$Z" 'Verification: OK'
done
smtp_tls smtp_valid_is_tls13 "mx1.$Z" 'Protocol version: TLSv1\.3'
smtp_tls smtp_wrong_name "mx-wrongname.$Z" 'hostname mismatch'
smtp_tls smtp_expired "mx-expired.$Z" 'certificate has expired'
smtp_tls smtp_self_signed "mx-selfsigned.$Z" 'self.signed certificate'
smtp_tls smtp_tls11_speaks_tls11 "mx-tls11.$Z" 'Protocol version: TLSv1\.1' -tls1_1 -cipher DEFAULT@SECLEVEL=0
smtp_tls smtp_tls11_only "mx-tls11.$Z" 'alert|unsupported protocol|handshake failure' -tls1_2
out=$(world_exec timeout 10 swaks --server "mx-plain.$Z" --quit-after EHLO 2>&1)
if printf '%s' "$out" | grep -q '250'; then
    if printf '%s' "$out" | grep -qi STARTTLS; then fail smtp_plain_offers_no_starttls "$out"; else pass smtp_plain_offers_no_starttls; fi
else fail smtp_plain_offers_no_starttls "no EHLO answer: $out"; fi
out=$(world_exec timeout 10 swaks --server "mx1.$Z" --quit-after EHLO 2>&1)
expect_match smtp_valid_offers_starttls "$out" 'STARTTLS'

# swaks delivery to the good MX, recorded with TLS version and cipher
before=$(world_mx_count mx1)
out=$(world_exec timeout 20 swaks --server "mx1.$Z" --tls --tls-verify --tls-ca-path "$CA" \
    --from "selftest@sender.$Z" --to "user@enforce.$Z" --header "Subject: world self-test" 2>&1)
expect_match smtp_swaks_delivery "$out" '250 2\.0\.0 stored as'
after=$(world_mx_count mx1)
expect_eq smtp_message_stored "$after" "$((before + 1))"
meta=$(cat "$WORLD_MX_DIR/mx1/$(printf '%04d' "$after").json" 2>/dev/null)
expect_match smtp_stored_tls_version "$meta" '"tls": \{"version": "TLSv1\.3", "cipher": "[A-Z0-9_]+"\}'
expect_match smtp_stored_envelope "$meta" "\"rcpt_tos\": \\[\"user@enforce.$Z\"\\]"
check smtp_stored_data grep -q 'Subject: world self-test' "$WORLD_MX_DIR/mx1/$(printf '%04d' "$after").eml"
check smtp_events_logged grep -q 'starttls TLSv1.3' "$WORLD_MX_DIR/mx1/events.log"
before=$(world_mx_count reports)
out=$(world_exec timeout 20 swaks --server "mx-reports.$Z" --from "selftest@sender.$Z" --to "$WORLD_REPORT_RCPT" 2>&1)
expect_eq smtp_report_sink_stores "$(world_mx_count reports)" "$((before + 1))"
meta=$(cat "$WORLD_MX_DIR/reports/$(printf '%04d' "$((before + 1))").json" 2>/dev/null)
expect_match smtp_report_sink_plain "$meta" '"tls": null'

# --- Exim: both binaries see the test DNS with the AD bit --------------------------------
mkdir -p "$T/spool" "$T/log"
chown -R Debian-exim:Debian-exim "$T/spool" "$T/log"
# exim_conf BINARY - a minimal sending configuration (DANE for dane.*, else verified TLS)
exim_conf() {
    cat > "$T/exim-$2.conf" <<EOF
primary_hostname = sender.$Z
# every world address is on the namespace's lo: without this Exim takes
# the MX hosts for itself ("lowest numbered MX record points to local host")
local_interfaces = 127.0.9.1
spool_directory = $T/spool
log_file_path = $T/log/%slog
exim_path = $1
keep_environment =
dns_dnssec_ok = 1
begin routers
dane:
  driver = dnslookup
  domains = dane.$Z
  dnssec_request_domains = *
  transport = dane
  no_more
verified:
  driver = dnslookup
  dnssec_request_domains = *
  transport = verified
  no_more
begin transports
dane:
  driver = smtp
  hosts_try_dane = *
  hosts_require_dane = *
  tls_verify_certificates = $CA
verified:
  driver = smtp
  hosts_require_tls = *
  tls_verify_hosts = *
  tls_verify_cert_hostnames = *
  tls_verify_certificates = $CA
begin retry
* * F,1m,1m
EOF
    chmod 0644 "$T/exim-$2.conf"
}
exim_conf "$WORLD_EXIM_STOCK" stock
exim_conf "$WORLD_EXIM_MODULES" modules
for x in stock modules; do
    bin=$WORLD_EXIM_STOCK; [ $x = modules ] && bin=$WORLD_EXIM_MODULES
    out=$(printf '%s\n' '${lookup dnsdb{dnssec_lax,txt=_mta-sts.enforce.'"$Z"'}{$value $lookup_dnssec_authenticated}}' \
        '${lookup dnsdb{dnssec_lax,txt=_mta-sts.insecure.'"$Z"'}{$value $lookup_dnssec_authenticated}}' |
        world_exec "$bin" -C "$T/exim-$x.conf" -be 2>&1 | tr '\n' '|')
    expect_eq "exim_${x}_sees_ad_bit" "$out" "> v=STSv1; id=enforce1; yes|> v=STSv1; id=insecure1; no|> |"
    # a real delivery with DANE, and one with a verified certificate
    for case in "dane dane CV=dane" "enforce mx1 CV=yes"; do
        set -- $case
        before=$(world_mx_count "$2")
        printf 'Subject: exim %s via %s\n\nbody\n' "$x" "$1" |
            world_exec timeout 60 "$bin" -C "$T/exim-$x.conf" -odi -f "selftest@sender.$Z" "user@$1.$Z" >/dev/null 2>&1
        if [ "$(world_mx_count "$2")" = "$((before + 1))" ] &&
            grep -q "=> user@$1.$Z .* $3 " "$T/log/mainlog" 2>/dev/null; then
            pass "exim_${x}_delivers_${1}_$3"
        else
            fail "exim_${x}_delivers_${1}_$3" "$(tail -n 4 "$T/log/mainlog" 2>/dev/null | tr '\n' ' ')"
        fi
    done
done
out=$("$WORLD_EXIM_MODULES" -bV -C "$T/exim-modules.conf" 2>&1 | grep '^Exim version')
expect_match exim_modules_is_4_96 "$out" '^Exim version 4\.96 '
check exim_modules_dir_compiled_in grep -q "$WORLD_EXIM_LOOKUP_MODULE_DIR_BUILTIN" "$WORLD_EXIM_MODULES"
out=$("$WORLD_EXIM_STOCK" -bV -C "$T/exim-stock.conf" 2>&1 | grep '^Exim version')
expect_match exim_stock_is_debian "$out" '^Exim version 4\.'

# --- Exim: the module directory of this world -----------------------------------------
if "${CC:-cc}" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -shared \
        -I"$WORLD_EXIM_SRC/src" -I"$(ls -d "$WORLD_EXIM_SRC"/build-*/ | head -n 1)" \
        -o "$T/worldtest_lookup.so" "$top/tests/world/worldtest_lookup.c" 2>"$T/cc.err"; then
    pass exim_test_module_builds
    cp "$T/worldtest_lookup.so" "$WORLD_EXIM_LOOKUP_MODULE_DIR/"
    out=$(echo '${lookup worldtest{hello}}' | world_exec "$WORLD_EXIM_MODULES" -C "$T/exim-modules.conf" -be 2>&1)
    expect_eq exim_loads_module_in_world "$out" "> worldtest:hello
> "
    out=$(echo '${lookup worldtest{hello}}' | "$WORLD_EXIM_MODULES" -C "$T/exim-modules.conf" -be 2>&1)
    expect_match exim_module_dir_private_to_world "$out" 'unknown lookup type "worldtest"'
    rm -f "$WORLD_EXIM_LOOKUP_MODULE_DIR/worldtest_lookup.so"
else
    fail exim_test_module_builds "$(head -c 400 "$T/cc.err")"
fi

# --- set-policy.sh: a new id and a new policy, seen at once ---------------------------------
printf 'version: STSv1\nmode: testing\nmx: mx2.%s\nmax_age: 600\n' "$Z" > "$T/p2.txt"
start=$(date +%s%N)
check set_policy_runs "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" "$T/p2.txt" change2
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "set-policy.sh took $ms ms"
dns_case set_policy_new_id_secure TXT "_mta-sts.change.$Z" NOERROR yes 'id=change2;'
out=$(world_exec curl -sS --max-time 5 --cacert "$CA" "https://mta-sts.change.$Z/.well-known/mta-sts.txt" 2>&1)
expect_eq set_policy_new_body "$out" "$(cat "$T/p2.txt")"
check set_policy_bogus_stays_bogus "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "bogus.$Z" - bogus2
dns_case set_policy_bogus_still_servfail TXT "_mta-sts.bogus.$Z" SERVFAIL no
check set_policy_insecure_zone "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "insecure.$Z" - insecure2
dns_case set_policy_insecure_new_id TXT "_mta-sts.insecure.$Z" NOERROR no 'id=insecure2;'
check set_policy_remove_record "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" - none
out=$(world_dig +short TXT "_mta-sts.change.$Z"); expect_eq set_policy_record_gone "$out" ""
check set_policy_restore "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" - change1
if "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "cname.$Z" - x >/dev/null 2>&1; then
    fail set_policy_refuses_cname "changed a CNAME"
else pass set_policy_refuses_cname; fi
# leave the world as up.sh made it, for the tests that follow
check set_policy_restore_all sh -c '"$1" "$2" "bogus.$3" - bogus1 && "$1" "$2" "insecure.$3" - insecure1 &&
    printf "version: STSv1\nmode: enforce\nmx: mx1.$3\nmx: mx2.$3\nmax_age: 86400\n" > "$4" &&
    "$1" "$2" "change.$3" "$4"' sh "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "$Z" "$T/p1.txt"
dns_case set_policy_restored_bogus TXT "_mta-sts.bogus.$Z" SERVFAIL no
out=$(world_dig +cd +short TXT "_mta-sts.bogus.$Z"); expect_eq set_policy_restored_bogus_id "$out" '"v=STSv1; id=bogus1x;"'


# --- a second, private world: coexistence, up twice, down leaves nothing ---------------------
second=$(mktemp -d /tmp/mtasts-world2.XXXXXX)
start=$(date +%s%N)
if "$top/tests/world/up.sh" "$second" > "$second/env1" 2> "$second/up.log"; then
    pass second_world_up
else
    fail second_world_up "$(tail -n 5 "$second/up.log" | tr '\n' ' ')"
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "second world up in $ms ms"
ns2=$(sed -n 's/^export WORLD_NETNS=//p' "$second/env1")
if [ -n "$ns2" ] && [ "$ns2" != "$WORLD_NETNS" ]; then pass second_world_own_namespace; else fail second_world_own_namespace "'$ns2'"; fi
out=$(ip netns exec "$ns2" dig +short +tries=1 +time=3 @127.0.0.1 TXT "_mta-sts.enforce.$Z" 2>&1)
expect_eq second_world_answers "$out" '"v=STSv1; id=enforce1;"'
# both worlds answer on the same addresses, each with its own keys
ta1=$(cat "$WORLD_TRUST_ANCHOR"); ta2=$(cat "$second/dns/trust-anchor.ds" 2>/dev/null)
if [ -n "$ta2" ] && [ "$ta1" != "$ta2" ]; then pass second_world_own_keys; else fail second_world_own_keys "same trust anchor"; fi
"$top/tests/world/up.sh" "$second" > "$second/env2" 2>/dev/null
check up_twice_is_harmless cmp "$second/env1" "$second/env2"
pids2=$(ip netns pids "$ns2" 2>/dev/null | wc -l)
if [ "$pids2" -ge 4 ]; then pass second_world_processes_running; else fail second_world_processes_running "$pids2 processes"; fi
check down_runs "$top/tests/world/down.sh" "$second"
if [ -e "/run/netns/$ns2" ]; then fail down_removes_namespace "$ns2 still exists"; else pass down_removes_namespace; fi
if [ -e "/etc/netns/$ns2" ]; then fail down_removes_etc_netns "/etc/netns/$ns2 still exists"; else pass down_removes_etc_netns; fi
# (the pattern "[.]" keeps grep from finding its own command line)
left=$(grep -l -- "$(printf '%s' "$second" | sed 's/\./[.]/g')" /proc/[0-9]*/cmdline 2>/dev/null | wc -l)
expect_eq down_leaves_no_process "$left" 0
check down_twice_is_harmless "$top/tests/world/down.sh" "$second"
rm -rf "$second"; second=""
empty=$(mktemp -d /tmp/mtasts-world3.XXXXXX)
check down_without_up_is_harmless "$top/tests/world/down.sh" "$empty"
rmdir "$empty"
# the first world is untouched
dns_case first_world_still_answers TXT "_mta-sts.enforce.$Z" NOERROR yes 'id=enforce1;'

[ "$TESTS_FAILED" -eq 0 ]
