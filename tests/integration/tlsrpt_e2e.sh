# tlsrpt_e2e.sh - TLS-RPT (RFC 8460) end to end: real mail through a real
# Exim with the shipped configuration (packaging/exim/, mtasts-tlsrpt.conf
# included) to the test world's good and bad MX servers, then a report run
# for the day: every result type Exim can observe produced for real and
# counted as sent, the JSON checked field by field (tests/tlsrpt_schema.py),
# the mail found in the world's SMTP sink, RFC 8460 §5.3 and DKIM-verified
# against the key the world publishes, the HTTPS POST found on the world's
# collector (media type, same JSON), a failing endpoint retried, a restart
# between collecting and reporting losing nothing, a report to a domain
# whose MX fails its enforce policy delivered and not counted, and the
# same exemption refused to a look-alike message arriving over SMTP.
#
#   EL_KIND=module|readsocket; . tests/integration/tlsrpt_e2e.sh
#
# Sourced by t_tlsrpt_exim_module.sh (the module-capable Exim 4.96 and
# mtasts_lookup.so) and t_tlsrpt_exim_readsocket.sh (Debian's exim4 and
# ${readsocket}). Uses tests/integration/exim_lib.sh for the daemon and the
# Exim instance; its EXIT trap stops everything started here.
. tests/lib.sh
. tests/integration/exim_lib.sh
set -u
K=$EL_KIND
Z=${WORLD_ZONE:-example.test}
PY=/usr/bin/python3
SUBMITTER=sender.example.test
FROM=tlsrpt@sender.example.test
PK=$EL_PK	# exim_lib.sh's copy of packaging/exim/
TESTING_RUA="v=TLSRPTv1; rua=https://tlsrpt.$Z/report"

# put back what this test changes in the shared world, then exim_lib's cleanup
tl_cleanup() {
    "$EL_REPO/tests/world/set-txt.sh" "$WORLD_RUNDIR" "_smtp._tls.testing.$Z" "$TESTING_RUA" \
        >/dev/null 2>&1
    el_cleanup
}
trap tl_cleanup EXIT

# The daemon's view of the world: libunbound straight to NSD, the world's CA,
# connect_to for the policy hosts only (the report host tlsrpt.example.test
# is found by the daemon's own resolver), the world's loopback addresses
# allowed by the address filter.
WORLD_MTASTSD_CONF=$EL_TOP/world.conf
{
    echo "unbound_config = $WORLD_UNBOUND_CONF"
    echo "ca_file = $WORLD_CA_FILE"
    sed 's/^/connect_to = /' "$WORLD_CONNECT_TO_FILE"
    echo "fetch_allow_address = 127.0.0.0/8"
} > "$WORLD_MTASTSD_CONF"

# tl_exim - the sending Exim: exim_lib's instance plus mtasts-tlsrpt.conf
# at the end of the main section (Debian split configuration: appended to
# conf.d/main/05_mtasts, as its header says), and one test-only router:
# the report about enforce-wrongname also goes to postmaster@ that domain,
# whose only MX fails its enforce policy (RFC 8460 §5.3).
tl_exim() {
    local d=$EL_TOP/main
    el_exim main "$K" "MTASTS_TLSRPT_FROM=$FROM" || return 1
    grep -q '^log_file_path' "$d/exim4.conf" ||
        sed -i "/^begin acl/i log_file_path = $d/log/%slog" "$d/exim4.conf"
    sed -i -e "/^begin acl/i .include $PK/mtasts-tlsrpt.conf" \
        -e "/^begin routers/a tl_test_report_copy:\\
  driver = redirect\\
  domains = reports.$Z\\
  condition = \${if eq{\$h_TLS-Report-Domain:}{enforce-wrongname.$Z}}\\
  data = \$local_part@\$domain, postmaster@enforce-wrongname.$Z" "$d/exim4.conf"
    el_in "$(el_bin main)" -C "$d/exim4.conf" -bV > "$d/bV.log" 2>&1 || { cat "$d/bV.log" >&2; return 1; }
    grep -q 'event_action = ' "$d/exim4.conf"
}

tl_daemon() {
    local exim
    exim=$(el_bin main)
    el_daemon_start answer_deadline=2s socket_group=Debian-exim log_debug=yes \
        "organization_name=Sender Org" contact_info=postmaster@$SUBMITTER \
        report_submitter=$SUBMITTER report_from=$FROM \
        "sendmail_command=$exim -C $EL_TOP/main/exim4.conf -odi -i -t" \
        dkim_key_file="$WORLD_DKIM_KEY" dkim_selector="$WORLD_DKIM_SELECTOR" \
        dkim_domain="$WORLD_DKIM_DOMAIN" tlsrpt_commit_interval=1s
}

mt() { el_in "$EL_BUILD/mtasts" "$@" -s "$EL_SOCK"; }

# warm - the daemon knows a domain's policy (the first contact may tempfail)
warm() {
    local d a
    for d in "$@"; do
        for _ in $(seq 50); do
            a=$(el_ask "allowed $d.$Z")
            case $a in tempfail*) sleep 0.2 ;; *) break ;; esac
        done
    done
}

# send DOMAIN N - N messages to DOMAIN, each its own delivery (and session)
send() {
    local i
    for i in $(seq "$2"); do
        el_send main "tl$i" "u$$-$i-$K@$1.$Z" || fail "send-$1" "exim did not take the message"
    done
}

# summary DOMAIN - the report JSON as one line: for each policy
# "TYPE ok=N fail=N RESULT@MX/IP<-SIP=COUNT ..." (sorted)
summary() {
    mt report show "$1.$Z" --day today > "$EL_TOP/show.$1.json" 2>&1
    $PY - "$EL_TOP/show.$1.json" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print("no JSON: %s" % open(sys.argv[1]).read().strip()[:200]); sys.exit(0)
out = []
for p in r["policies"]:
    s = p["summary"]
    f = sorted("%s@%s/%s<-%s=%d" % (d["result-type"], d.get("receiving-mx-hostname", "-"),
               d.get("receiving-ip", "-"), d.get("sending-mta-ip", "-"),
               d["failed-session-count"]) for d in p.get("failure-details", []))
    out.append(" ".join([p["policy"]["policy-type"], "ok=%d" % s["total-successful-session-count"],
                         "fail=%d" % s["total-failure-session-count"]] + f))
print(" | ".join(sorted(out)))
EOF
}

# ------------------------------------------------------------------- collect
tl_exim || { fail "tlsrpt-$K-exim" "the shipped configuration with mtasts-tlsrpt.conf did not load"; exit 1; }
tl_daemon || { fail "tlsrpt-$K-daemon" "mtastsd did not start"; exit 1; }
pass "tlsrpt-$K-setup"

warm testing-bad testing enforce enforce-other-first enforce-nomatch enforce-wrongname \
    enforce-expired enforce-selfsigned enforce-plain enforce-tls11 dane dane-bad
# testing-bad first: its MX is enforce-selfsigned's, which the enforce
# failure gives a host retry record (mtasts-retry.conf)
send testing-bad 2
send testing 2
send enforce 3
send enforce-other-first 1
send enforce-nomatch 1
send enforce-wrongname 1
send enforce-expired 1
send enforce-selfsigned 1
send enforce-plain 1
send enforce-tls11 1
send dane 1
send dane-bad 1
# the daemon's own failures, from fetching the policies these messages ask for
send https-expired 1
send https-notfound 1
send https-invalid 1
for _ in $(seq 100); do
    n=$(mt report list --day today | grep -cE '^https-(expired|notfound|invalid)\.')
    [ "$n" -ge 3 ] && break
    sleep 0.1
done

mx=127.0.3
# RFC 8460 §4.4: what was sent, counted as sent (receiving IP, and sending
# IP as Exim saw it: in the world's namespace the kernel picks the MX's own
# loopback address as the source)
expect_eq "tlsrpt-$K-testing-untrusted" "$(summary testing-bad)" \
    "sts ok=0 fail=2 certificate-not-trusted@mx-selfsigned.$Z/$mx.13<-$mx.13=2"
expect_eq "tlsrpt-$K-testing-success" "$(summary testing)" "sts ok=2 fail=0"
expect_eq "tlsrpt-$K-enforce-success" "$(summary enforce)" "sts ok=3 fail=0"
expect_eq "tlsrpt-$K-skipped-mx" "$(summary enforce-other-first)" \
    "sts ok=1 fail=1 validation-failure@mx-other.$Z/-<--=1"
expect_eq "tlsrpt-$K-skipped-mx-none-left" "$(summary enforce-nomatch)" \
    "sts ok=0 fail=1 validation-failure@mx-other.$Z/-<--=1"
expect_eq "tlsrpt-$K-host-mismatch" "$(summary enforce-wrongname)" \
    "sts ok=0 fail=1 certificate-host-mismatch@mx-wrongname.$Z/$mx.11<-$mx.11=1"
expect_eq "tlsrpt-$K-expired" "$(summary enforce-expired)" \
    "sts ok=0 fail=1 certificate-expired@mx-expired.$Z/$mx.12<-$mx.12=1"
expect_eq "tlsrpt-$K-not-trusted" "$(summary enforce-selfsigned)" \
    "sts ok=0 fail=1 certificate-not-trusted@mx-selfsigned.$Z/$mx.13<-$mx.13=1"
expect_eq "tlsrpt-$K-starttls-not-supported" "$(summary enforce-plain)" \
    "sts ok=0 fail=1 starttls-not-supported@mx-plain.$Z/$mx.14<-$mx.14=1"
expect_eq "tlsrpt-$K-validation-failure" "$(summary enforce-tls11)" \
    "sts ok=0 fail=1 validation-failure@mx-tls11.$Z/$mx.15<-$mx.15=1"
expect_eq "tlsrpt-$K-dane-success" "$(summary dane)" "tlsa ok=1 fail=0"
expect_eq "tlsrpt-$K-dane-fail" "$(summary dane-bad)" \
    "tlsa ok=0 fail=1 validation-failure@mx-danebad.$Z/$mx.17<-$mx.17=1"
expect_eq "tlsrpt-$K-sts-webpki-invalid" "$(summary https-expired)" \
    "sts ok=0 fail=1 sts-webpki-invalid@-/-<--=1"
expect_eq "tlsrpt-$K-sts-policy-fetch-error" "$(summary https-notfound)" \
    "sts ok=0 fail=1 sts-policy-fetch-error@-/-<--=1"
expect_eq "tlsrpt-$K-sts-policy-invalid" "$(summary https-invalid)" \
    "sts ok=0 fail=1 sts-policy-invalid@-/-<--=1"
for d in testing-bad enforce-other-first enforce-expired dane-bad https-expired; do
    check "tlsrpt-$K-schema-$d" $PY tests/tlsrpt_schema.py "$EL_TOP/show.$d.json"
done

# the report verb is one of the dispatcher's registered verbs (verbs_add)
expect_match "tlsrpt-$K-report-verb-in-stats" "$(el_ask stats)" ' requests_report=[1-9][0-9]* '

# ------------------------------------------------- restart: nothing is lost
before=$(mt report list --day today)
el_daemon_stop
tl_daemon || fail "tlsrpt-$K-restart" "mtastsd did not start again"
expect_eq "tlsrpt-$K-restart-keeps-counts" "$(mt report list --day today)" "$before"

# -------------------------------------------------------------------- report
# testing's reports go to a failing endpoint and to the collector
"$EL_REPO/tests/world/set-txt.sh" "$WORLD_RUNDIR" "_smtp._tls.testing.$Z" \
    "v=TLSRPTv1; rua=https://tlsrpt.$Z/fail,https://tlsrpt.$Z/report" ||
    fail "tlsrpt-$K-set-rua" "set-txt.sh failed"
# (the world is shared: only what arrives from now on is ours)
ls "$WORLD_MX_DIR/reports/" > "$EL_TOP/sink.before" 2>/dev/null
ls "$WORLD_TLSRPT_DIR/" > "$EL_TOP/posts.before" 2>/dev/null
sink_before=$(grep -c '\.json$' "$EL_TOP/sink.before")
posts_before=$(grep -c '\.json$' "$EL_TOP/posts.before")
# new DIR BEFORE - the .json files of DIR not listed in BEFORE
new() { ls "$1" 2>/dev/null | grep '\.json$' | grep -vxFf "$2" | sed "s|^|$1/|"; }
out=$(mt report send --day today 2>&1)
# enforce, enforce-wrongname, dane-bad (mailto), testing (2 x https),
# testing-bad (mailto + https): 5 reports, 7 deliveries, 1 of them fails
expect_match "tlsrpt-$K-run-builds" "$out" 'built +5'
expect_match "tlsrpt-$K-run-sends" "$out" 'sent +6'
expect_match "tlsrpt-$K-run-one-failed" "$out" 'failed +1'
expect_match "tlsrpt-$K-run-signed" "$out" 'signed +yes'

# the mail: in the world's sink, §5.3, DKIM-verified with the published key
dkim_txt=$EL_TOP/dkim.txt
printf '%s._domainkey.%s %s\n' "$WORLD_DKIM_SELECTOR" "$WORLD_DKIM_DOMAIN" \
    "$(el_in dig +short TXT "$WORLD_DKIM_SELECTOR._domainkey.$WORLD_DKIM_DOMAIN" | sed 's/" "//g; s/"//g')" \
    > "$dkim_txt"
for _ in $(seq 100); do
    [ "$(ls "$WORLD_MX_DIR/reports/"*.json 2>/dev/null | wc -l)" -ge $((sink_before + 4)) ] && break
    sleep 0.1
done
found=0
for j in $(new "$WORLD_MX_DIR/reports" "$EL_TOP/sink.before"); do
    eml=${j%.json}.eml
    grep -q "^TLS-Report-Submitter: $SUBMITTER" "$eml" 2>/dev/null || continue
    dom=$(sed -n 's/^TLS-Report-Domain: //p' "$eml" | tr -d '\r')
    case $dom in enforce.$Z|enforce-wrongname.$Z|testing-bad.$Z|dane-bad.$Z) ;; *) continue ;; esac
    found=$((found + 1))
    if check "tlsrpt-$K-mail-$dom" $PY tests/tlsrpt_mail_check.py "$eml" --dkim-txt "$dkim_txt" \
        --domain "$dom" --submitter "$SUBMITTER" --json-out "$EL_TOP/mail.$dom.json"; then
        mt report show "$dom" --day today > "$EL_TOP/built.$dom.json"
        expect_eq "tlsrpt-$K-mail-is-the-built-report-$dom" \
            "$(cat "$EL_TOP/mail.$dom.json")" "$(cat "$EL_TOP/built.$dom.json")"
    fi
done
expect_eq "tlsrpt-$K-four-mailed-reports" "$found" 4

# the report to enforce-wrongname's own mailbox: its MX fails the enforce
# policy, yet the report went there (through the site's router, not the
# MTA-STS ones), and that session was not counted. The enforce failure
# above left a host retry record for that MX (mtasts-retry.conf: retried
# after 2 minutes), so the copy waits for its retry: forced here for that
# message alone (exim -M), not a queue run (which would retry, and count,
# the deferred test messages again).
if ! grep -qF "=> postmaster@enforce-wrongname.$Z" "$EL_TOP/main/log/mainlog"; then
    id=$(grep -F "== postmaster@enforce-wrongname.$Z" "$EL_TOP/main/log/mainlog" | tail -n 1 | awk '{print $3}')
    [ -n "$id" ] && el_in "$(el_bin main)" -C "$EL_TOP/main/exim4.conf" -M "$id" 2>/dev/null
fi
line=$(grep -F "=> postmaster@enforce-wrongname.$Z" "$EL_TOP/main/log/mainlog" | tail -n 1)
expect_match "tlsrpt-$K-report-delivered-despite-failing-mx" "$line" \
    "R=dnslookup T=remote_smtp H=mx-wrongname\\.$Z"
check "tlsrpt-$K-report-stored-by-failing-mx" el_mx_has wrongname "postmaster@enforce-wrongname.$Z"
expect_match "tlsrpt-$K-report-not-counted" "$(mt report list --day today)" \
    "enforce-wrongname\\.$Z +0 +1 "

# the POSTs: the collector has testing's and testing-bad's, gzip, same JSON
for _ in $(seq 50); do
    [ "$(ls "$WORLD_TLSRPT_DIR/"*.json 2>/dev/null | wc -l)" -ge $((posts_before + 2)) ] && break
    sleep 0.1
done
posts=0
for j in $(new "$WORLD_TLSRPT_DIR" "$EL_TOP/posts.before"); do
    body=${j%.json}.body
    json=$(gzip -dc < "$body" 2>/dev/null) || continue
    dom=$(printf '%s' "$json" | $PY -c 'import json,sys; r=json.load(sys.stdin); print(r["policies"][0]["policy"]["policy-domain"], r["report-id"])')
    case $dom in "testing.$Z "*@$SUBMITTER|"testing-bad.$Z "*@$SUBMITTER) ;; *) continue ;; esac
    dom=${dom%% *}
    posts=$((posts + 1))
    expect_eq "tlsrpt-$K-post-media-type-$dom" \
        "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["content_type"])' "$j")" \
        "application/tlsrpt+gzip"
    printf '%s' "$json" > "$EL_TOP/post.$dom.json"
    check "tlsrpt-$K-post-schema-$dom" $PY tests/tlsrpt_schema.py "$EL_TOP/post.$dom.json"
    expect_eq "tlsrpt-$K-post-is-the-built-report-$dom" "$json" \
        "$(mt report show "$dom" --day today)"
done
expect_eq "tlsrpt-$K-two-posts" "$posts" 2

# retry (RFC 8460 §5.4): the failing endpoint stays pending, the one that
# took the report is not sent to again; sending again retries only it
expect_match "tlsrpt-$K-list-partial" "$(mt report list --day today)" "testing\\.$Z +2 +0 +partial"
out=$(mt report send --day today 2>&1)
expect_match "tlsrpt-$K-retry-sends-nothing-again" "$out" '^ *sent +0$'
expect_match "tlsrpt-$K-retry-tries-the-failed-one" "$out" '^ *failed +1$'
expect_eq "tlsrpt-$K-nothing-posted-twice" \
    "$(ls "$WORLD_TLSRPT_DIR/"*.json 2>/dev/null | wc -l)" "$((posts_before + 2))"
expect_match "tlsrpt-$K-retry-keeps-report-id" "$(mt report show testing.$Z --day today)" \
    "\"report-id\":\"[0-9]{8}[0-9a-f]{16}@$SUBMITTER\""
# ------------------------------ the report exemption is mtastsd's alone
# mtasts-tlsrpt.conf exempts a message from MTA-STS (RFC 8460 §5.3) only
# when it was submitted on this machine without SMTP, as mtastsd submits
# (sendmail_command): the same envelope sender and "TLS-Required: No"
# arriving over SMTP from a client (exim -bs -oMa: as from 127.0.0.1, a
# relaying host) are enforced. enforce-other-first's MX 10 is mx-other,
# outside its policy: the exempt message goes there (routed as without a
# policy), the enforced one to mx1 over verified TLS.
mark=$(el_mx_mark other)
r=smtp$$-$K@enforce-other-first.$Z
EL_SMTP_ARGS="-oMa 127.0.0.1" EL_SMTP_HEADERS="TLS-Required: No" el_smtp main "$FROM" "$r" ||
    fail "tlsrpt-$K-smtp-lookalike-accepted" "$(tr '\r\n' '  ' < "$EL_TOP/main/smtp.out")"
expect_match "tlsrpt-$K-smtp-lookalike-enforced" "$(el_lines main "$EL_ID" | grep -F "=> $r ")" \
    "R=mtasts_enforce T=mtasts_enforce_smtp H=mx1\\.$Z .* CV=yes "
if el_mx_contacted other "$mark"; then
    fail "tlsrpt-$K-smtp-lookalike-not-outside-policy" "mx-other saw a connection"
else
    pass "tlsrpt-$K-smtp-lookalike-not-outside-policy"
fi
r=local$$-$K@enforce-other-first.$Z
printf 'From: %s\nTo: %s\nTLS-Required: No\nSubject: submitted as mtastsd does\n\nbody\n' "$FROM" "$r" |
    el_run main -odi -i -f "$FROM" "$r" 2>>"$EL_TOP/main/send.err"
expect_match "tlsrpt-$K-local-report-exempt" "$(grep -F "=> $r " "$EL_TOP/main/log/mainlog")" \
    "R=dnslookup T=remote_smtp H=mx-other\\.$Z "

[ "$TESTS_FAILED" -eq 0 ] || { echo "--- mtastsd log"; tail -n 40 "$EL_TOP/mtastsd.log"; }
exit 0
