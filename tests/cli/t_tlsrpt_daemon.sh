#!/usr/bin/env bash
# t_tlsrpt_daemon.sh - TLS-RPT through a real mtastsd, without the test world:
# report lines on the socket, counts across a restart and a kill -9, the
# report shown, built and sent to an HTTPS sink and a sendmail stand-in,
# DKIM-verified, and never sent twice (RFC 8460 §4, §5.3, §5.4).
# Self-contained: libunbound serves the test zone itself (auth-zone), the
# HTTPS sink is tests/tlsrpt_https_sink.py on 127.0.0.1; everything it
# starts is stopped by the trap.
. tests/lib.sh
set -u
PY=/usr/bin/python3
dir=$(mktemp -d /tmp/t_tlsrpt_daemon.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT

# keys: the HTTPS sink's certificate, the DKIM key and its TXT record
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
    -subj /CN=report.example.test -addext subjectAltName=DNS:report.example.test >/dev/null 2>&1
openssl genrsa -out "$dir/dkim.pem" 2048 >/dev/null 2>&1
pub=$(openssl rsa -in "$dir/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
echo "sel._domainkey.sender.test v=DKIM1; k=rsa; p=$pub" > "$dir/dkim.txt"

$PY tests/tlsrpt_https_sink.py "$dir/port" "$dir/cert.pem" "$dir/key.pem" "$dir" 0 </dev/null >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(cat "$dir/port")

cat > "$dir/sendmail" <<EOS
#!/bin/sh
echo "\$@" > $dir/mail.args
cat > $dir/mail.msg
EOS
chmod 755 "$dir/sendmail"

cat > "$dir/example.test.zone" <<'EOZ'
$ORIGIN example.test.
@ 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
@ 3600 IN NS ns.example.test.
ns 3600 IN A 127.0.0.1
_smtp._tls 3600 IN TXT "v=TLSRPTv1; rua=https://report.example.test/tlsrpt,mailto:rua@example.test"
EOZ
cat > "$dir/unbound.conf" <<EOU
server:
    do-not-query-localhost: no
    local-zone: "test." nodefault
auth-zone:
    name: "example.test."
    zonefile: "$dir/example.test.zone"
    for-upstream: yes
    for-downstream: no
    fallback-enabled: no
EOU
cat > "$dir/mtastsd.conf" <<EOC
socket = $dir/sock
state_dir = $dir/state
unbound_config = $dir/unbound.conf
dnssec = no
ca_file = $dir/cert.pem
connect_to = report.example.test:443:127.0.0.1:$port
organization_name = Sender Org
contact_info = postmaster@sender.test
report_submitter = mail.sender.test
report_from = tlsrpt@sender.test
sendmail_command = $dir/sendmail
dkim_key_file = $dir/dkim.pem
dkim_selector = sel
dkim_domain = sender.test
tlsrpt_commit_interval = 1s
EOC
mkdir -p "$dir/state"

# start NAME - start the daemon (in this shell: its pid must be ours to stop)
start() {
    "$BUILD/mtastsd" -c "$dir/mtastsd.conf" -f </dev/null >/dev/null 2>>"$dir/daemon.log" &
    daemon=$!
    pids+=("$daemon")
    for _ in $(seq 50); do
        if [ -S "$dir/sock" ]; then pass "$1"; return 0; fi
        sleep 0.1
    done
    fail "$1" "no socket after 5 s: $(tail -n 3 "$dir/daemon.log")"
}
# lines - send request lines on one connection, print the answers
lines() { $PY tests/integration/mtclient.py "$dir/sock" "$@"; }
b64() { printf '%s' "$1" | base64 -w0; }
mt() { "$BUILD/mtasts" "$@" -s "$dir/sock"; }

start daemon_starts

# Exim's lines: 3 successes, 2 GnuTLS host mismatches, 1 connection refused
ok="report example.test result=success mx=mx1.example.test ip=127.0.0.21 sip=127.0.0.1"
bad="report example.test errno=-37 msg=b64:$(b64 'TLS session: (certificate verification failed)') mx=mx2.example.test ip=127.0.0.22 sip=127.0.0.1"
refused="report example.test errno=111 msg=b64:$(b64 'Connection refused')"
out=$(lines "$ok" "$ok" "$ok" "$bad" "$bad" "$refused")
expect_eq report_verb_answers "$(printf '%s\n' "$out" | sort | uniq -c | tr -s ' ' | tr '\n' '|')" \
    " 1 ok counted=0 reason=not-tls| 5 ok counted=1|"
# the longest line Exim's mtasts-tlsrpt.conf builds: a domain and a host of
# 253 octets, error text cut to 300 and certificate names to 400 bytes
long253=$(printf '%063d.%063d.%063d.%061d' 0 0 0 0 | tr 0 a)
longmx=$(printf '%063d.%063d.%063d.%061d' 0 0 0 0 | tr 0 m)
longline="report b64:$(b64 "$long253") errno=-37 msg=b64:$(b64 "$(printf '%0300d' 0 | tr 0 e)") \
notafter=4102444800 san=b64:$(b64 "$(printf '%0400d' 0 | tr 0 s)") mx=b64:$(b64 "$longmx") \
ip=ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 sip=ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
[ ${#longline} -gt 1500 ] && pass longest_report_line_is_long || fail longest_report_line_is_long "${#longline} bytes"
expect_eq longest_report_line_counted "$(lines "$longline")" "ok counted=1"
expect_match report_verb_refuses_garbage "$(lines 'report example.test result=nonsense')" '^error reason=bad-result'

list=$(mt report list --day today)
expect_match list_counts "$list" 'example\.test +3 +2 +none'

# a restart loses nothing (clean shutdown commits)
kill -TERM "$daemon"; wait "$daemon" 2>/dev/null
start daemon_restarts
expect_match restart_keeps_counts "$(mt report list --day today)" 'example\.test +3 +2 +none'

# kill -9 after the commit interval: the counts are in LMDB already
lines "$ok" >/dev/null
sleep 2
kill -9 "$daemon"; wait "$daemon" 2>/dev/null
rm -f "$dir/sock"
start daemon_restarts_after_kill9
expect_match kill9_after_commit_keeps_counts "$(mt report list --day today)" 'example\.test +4 +2 +none'

# show: the JSON that would be sent, RFC 8460 §4.4 field by field
mt report show example.test --day today > "$dir/show.json"
check show_passes_schema $PY tests/tlsrpt_schema.py "$dir/show.json"
expect_eq show_success_count "$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["policies"][0]["summary"]["total-successful-session-count"], r["policies"][0]["summary"]["total-failure-session-count"], r["policies"][0]["failure-details"][0]["result-type"], r["policies"][0]["policy"]["policy-type"])' "$dir/show.json")" \
    "4 2 certificate-host-mismatch no-policy-found"

# dry run: where it would go, nothing sent
expect_match dry_run_lists "$(mt report send --day today --dry-run)" 'example\.test +https://report\.example\.test/tlsrpt,mailto:rua@example\.test'
expect_eq dry_run_sends_nothing "$(ls "$dir" | grep -c '^post\.')" "0"

# send: both deliveries, the POST and the mail checked
out=$(mt report send --day today 2>&1)
expect_match send_answers "$out" 'sent +2'
expect_match send_built_one "$out" 'built +1'
expect_eq post_media_type "$(cat "$dir/post.1.type" 2>/dev/null)" "application/tlsrpt+gzip"
gzip -dc < "$dir/post.1.body" > "$dir/post.json" 2>/dev/null
check post_passes_schema $PY tests/tlsrpt_schema.py "$dir/post.json"
mt report show example.test --day today > "$dir/show2.json"
expect_eq post_is_the_built_report "$(cat "$dir/post.json")" "$(cat "$dir/show2.json")"
check mail_is_rfc8460_5_3_and_dkim_verifies $PY tests/tlsrpt_mail_check.py "$dir/mail.msg" \
    --dkim-txt "$dir/dkim.txt" --domain example.test --submitter mail.sender.test \
    --json-out "$dir/mail.json"
expect_eq mail_is_the_built_report "$(cat "$dir/mail.json")" "$(cat "$dir/show2.json")"
expect_match mail_envelope_sender "$(cat "$dir/mail.args" 2>/dev/null)" '-f tlsrpt@sender\.test'
expect_match list_says_sent "$(mt report list --day today)" 'example\.test +4 +2 +sent'

# nothing is sent twice
out=$(mt report send --day today 2>&1)
expect_match send_again_sends_nothing "$out" 'sent +0'
expect_eq still_one_post "$(ls "$dir" | grep -c '^post\..*\.body$')" "1"

# JSON output of the CLI
expect_match list_json "$(mt report list --day today --json)" '"domain":"example.test"'

kill -TERM "$daemon"; wait "$daemon" 2>/dev/null
[ "$TESTS_FAILED" -eq 0 ] || { echo "--- daemon log"; tail -n 30 "$dir/daemon.log"; }
exit 0
