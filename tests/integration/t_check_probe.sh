#!/usr/bin/env bash
# t_check_probe.sh - `mtasts check --probe` against the world's MX servers:
# EHLO, STARTTLS, TLS 1.2 or later, certificate valid for the MX name
# (RFC 8461 §4.2), and the RFC 8460 result type an enforcing sender would
# report for each failure.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
Z=$WORLD_ZONE
tmp=$(mktemp -d /tmp/mtasts-probe.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/check.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
fetch_allow_address = 127.0.2.0/24
fetch_timeout = 5s
fetch_connect_timeout = 5s
EOF

# probe LABEL - check --probe --json; JSON in $tmp/LABEL.json
probe() {
    $WORLD_EXEC "$M" check --probe --json -c "$tmp/check.conf" "$1.$Z" >"$tmp/$1.json" 2>"$tmp/$1.err"
    echo $? >"$tmp/$1.rc"
}
# p LABEL - per probed address: host, address, deliverable, result type, TLS version
p() { jq -c '[.mx.hosts[]|.host as $h|.probes[]|[$h,.address,.deliverable,.result_type,.tls_version]]' "$tmp/$1.json" 2>&1; }

for l in enforce enforce-fallback enforce-wrongname enforce-expired enforce-selfsigned \
         enforce-plain enforce-tls11 dane testing-bad; do
    probe "$l"
done

# RFC 8461 §4.2: STARTTLS, TLS 1.2+, certificate valid for the MX name
expect_eq probe_good_hosts_pass "$(p enforce)" \
    "[[\"mx1.$Z\",\"$WORLD_MX_MX1\",true,null,\"TLSv1.3\"],[\"mx2.$Z\",\"$WORLD_MX_MX2\",true,null,\"TLSv1.3\"]]"
expect_eq probe_good_exit_0 "$(cat "$tmp/enforce.rc")" 0
expect_eq probe_good_port "$(jq -c '[.mx.hosts[].probes[].port]|unique' "$tmp/enforce.json")" '[25]'
check probe_reached_mx1 grep -q starttls "$WORLD_MX_DIR/mx1/events.log"

# RFC 8460 §4.3 result types for each failure
expect_eq probe_fallback_first_fails_next_passes "$(p enforce-fallback)" \
    "[[\"mx-wrongname.$Z\",\"$WORLD_MX_WRONGNAME\",false,\"certificate-host-mismatch\",\"TLSv1.3\"],[\"mx1.$Z\",\"$WORLD_MX_MX1\",true,null,\"TLSv1.3\"]]"
expect_eq probe_wrong_name "$(p enforce-wrongname)" \
    "[[\"mx-wrongname.$Z\",\"$WORLD_MX_WRONGNAME\",false,\"certificate-host-mismatch\",\"TLSv1.3\"]]"
expect_eq probe_expired "$(p enforce-expired)" \
    "[[\"mx-expired.$Z\",\"$WORLD_MX_EXPIRED\",false,\"certificate-expired\",\"TLSv1.3\"]]"
expect_eq probe_self_signed "$(p enforce-selfsigned)" \
    "[[\"mx-selfsigned.$Z\",\"$WORLD_MX_SELFSIGNED\",false,\"certificate-not-trusted\",\"TLSv1.3\"]]"
expect_eq probe_no_starttls "$(p enforce-plain)" \
    "[[\"mx-plain.$Z\",\"$WORLD_MX_PLAIN\",false,\"starttls-not-supported\",null]]"
# RFC 8461 §7.2, RFC 8996: TLS 1.1 only is refused, and named
expect_eq probe_tls11 "$(p enforce-tls11)" \
    "[[\"mx-tls11.$Z\",\"$WORLD_MX_TLS11\",false,\"validation-failure\",null]]"
expect_match probe_tls11_reason "$(jq -r '.mx.hosts[0].probes[0].reason' "$tmp/enforce-tls11.json")" 'offers only TLSv1\.1'
expect_eq probe_dane_host_pkix_ok "$(p dane)" "[[\"mx-dane.$Z\",\"$WORLD_MX_DANE\",true,null,\"TLSv1.3\"]]"

# the human output: a FAIL per failing matching host, the verdict of the
# whole, and the fix; testing mode only warns
out=$($WORLD_EXEC "$M" check --probe -c "$tmp/check.conf" "enforce-plain.$Z" 2>&1)
expect_match probe_human_fail_line "$out" '^FAIL probe mx-plain\.example\.test \[127\.0\.3\.14\]:25: STARTTLS is not offered \[starttls-not-supported\]$'
expect_match probe_human_nothing_passes "$out" '^FAIL no MX host that matches the policy passes the probe'
expect_match probe_human_fix "$out" '^fix: offer STARTTLS on mx-plain\.example\.test$'
out=$($WORLD_EXEC "$M" check --probe -c "$tmp/check.conf" "testing-bad.$Z" 2>&1)
expect_match probe_testing_warns "$out" '^warn probe mx-selfsigned\.example\.test .*\[certificate-not-trusted\]$'
out=$($WORLD_EXEC "$M" check --probe -c "$tmp/check.conf" "enforce-fallback.$Z" 2>&1)
if grep -q '^FAIL no MX host that matches' <<<"$out"; then
    fail probe_fallback_still_deliverable "$out"
else
    pass probe_fallback_still_deliverable
fi

# smtp_probe_port: nothing listens on 2525 there, so the connection fails
printf 'smtp_probe_port = 2525\n' >>"$tmp/check.conf"
probe enforce
expect_eq probe_port_configured "$(jq -c '[.mx.hosts[].probes[]|[.port,.connected,.deliverable]]' "$tmp/enforce.json")" \
    '[[2525,false,false],[2525,false,false]]'
for l in enforce enforce-fallback enforce-plain dane; do
    [ -s "$tmp/$l.err" ] && fail "probe_stderr_$l" "$(head -c 300 "$tmp/$l.err")"
done
pass probe_stderr_checked
exit 0
