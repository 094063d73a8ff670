# exim_suite.sh - the eleven behaviours of design.md ("What a real Exim must
# do with our configuration") and the fail-closed cases, proven by real mail
# through a real Exim to the test world's MX servers; also recipient
# verification with cutthrough delivery and callouts, and a user's
# MTASTS_IGNORE_TARGET_HOSTS item that cannot be checked.
#
#   EL_KIND=module|readsocket; . tests/integration/exim_suite.sh
#
# Sourced by t_exim_mta_module.sh (the module-capable Exim and
# mtasts_lookup.so) and t_exim_mta_readsocket.sh (Debian's stock exim4 and
# ${readsocket}): the same assertions for both. Every test names the
# behaviour's number and the RFC section it proves. Evidence comes from the
# MX servers (what each stored, with which TLS version, who was contacted:
# tests/world/mxd.py) and from Exim's main log and retry database.
. tests/lib.sh
. tests/integration/exim_lib.sh
K=$EL_KIND
Z=${WORLD_ZONE:-example.test}
N=0

# rcpt DOMAIN - a fresh recipient address at DOMAIN.example.test
rcpt() { N=$((N + 1)); R="t$$-$N-$K@$1.$Z"; }

# delivered TEST INSTANCE RCPT SERVER CV - the message went to SERVER,
# verified as CV says (yes, dane, no, or "-" for a plain delivery)
delivered() {
    local t=$1 inst=$2 r=$3 srv=$4 cv=$5 line
    line=$(el_lines "$inst" "$EL_ID" | grep -F "=> $r " | tail -n 1)
    if [ -z "$line" ]; then
        fail "$t" "no delivery of $r: $(el_lines "$inst" "$EL_ID" | tail -n 3 | tr '\n' ' ')"
        return 1
    fi
    if ! el_mx_has "$srv" "$r"; then
        fail "$t" "MX server $srv did not store $r; log: $line"
        return 1
    fi
    case $cv in
        yes|dane|no) if [[ $line != *" CV=$cv"* ]]; then fail "$t" "not CV=$cv: $line"; return 1; fi ;;
        -) ;;
    esac
    if [ "$cv" != - ] && [ "$cv" != no ] && ! [[ $line =~ \ X=TLS1\.[23]: ]]; then
        fail "$t" "not TLS 1.2 or later: $line"
        return 1
    fi
    pass "$t"
}

# deferred TEST INSTANCE RCPT REGEX - deferred (not bounced, not delivered)
# with a log line matching REGEX
deferred() {
    local t=$1 inst=$2 r=$3 re=$4 lines
    lines=$(el_lines "$inst" "$EL_ID")
    if printf '%s\n' "$lines" | grep -qF "=> $r "; then
        fail "$t" "delivered: $(printf '%s\n' "$lines" | grep -F "=> $r ")"
    elif printf '%s\n' "$lines" | grep -qF "** $r"; then
        fail "$t" "bounced: $(printf '%s\n' "$lines" | grep -F "** $r")"
    elif ! printf '%s\n' "$lines" | grep -F "== $r " | grep -Eq -- "$re"; then
        fail "$t" "no deferral matching /$re/: $(printf '%s\n' "$lines" | tail -n 3 | tr '\n' ' ')"
    else
        pass "$t"
    fi
}

# routed TEST INSTANCE RCPT ROUTER TRANSPORT - RCPT's delivery line (of
# message EL_ID) names ROUTER and TRANSPORT
routed() {
    local line
    line=$(el_lines "$2" "$EL_ID" | grep -F "=> $3 " | tail -n 1)
    if [[ $line == *" R=$4 T=$5 "* ]]; then pass "$1"; else fail "$1" "${line:-no delivery of $3}"; fi
}

# not_stored TEST SERVER RCPT - no MX server SERVER has the message
not_stored() {
    if el_mx_has "$2" "$3"; then fail "$1" "$2 stored $3"; else pass "$1"; fi
}

# ---------------------------------------------------------------------------
el_daemon_start answer_deadline=2s txt_recheck_interval=1s dane_admits_unlisted_mx=yes ||
    { fail "exim-$K-daemon" "mtastsd did not start"; exit 1; }
el_exim main "$K" || { fail "exim-$K-config" "the shipped configuration did not load"; exit 1; }

# Warm the daemon's cache: the first contact with each domain may answer
# tempfail while the policy is fetched (design.md: first-contact window).
for d in enforce enforce-other-first enforce-nomatch enforce-fallback enforce-wrongname \
         enforce-expired enforce-selfsigned enforce-plain enforce-tls11 testing testing-bad \
         none notxt shared change dane dane-bad dane-outside; do
    for _ in $(seq 50); do
        a=$(el_ask "allowed $d.$Z")
        case $a in tempfail*) sleep 0.2 ;; *) break ;; esac
    done
done

# 1. enforce, matching MX, valid certificate, TLS >= 1.2: delivered, CV=yes
# RFC 8461 §4.1, §4.2, §5
rcpt enforce; el_send main "b1$N" "$R"
delivered "exim-$K-1-enforce-verified-delivery" main "$R" mx1 yes

# the guide's other Debian layout: the unsplit configuration with .include
el_exim unsplit "$K" SPLIT=no || fail "exim-$K-config-unsplit" "did not load"
rcpt enforce; el_send unsplit "b1u$N" "$R"
delivered "exim-$K-1-enforce-unsplit-configuration" unsplit "$R" mx1 yes

# the site's message options reach MTA-STS deliveries: Debian's DKIM_*
# macros sign mail to a policy domain as remote_smtp signs the rest
install -m 0600 -o Debian-exim "$WORLD_DKIM_KEY" "$EL_TOP/dkim.key"
el_exim dkim "$K" "DKIM_DOMAIN=$WORLD_DKIM_DOMAIN" "DKIM_SELECTOR=$WORLD_DKIM_SELECTOR" \
    "DKIM_PRIVATE_KEY=$EL_TOP/dkim.key" || fail "exim-$K-config-dkim" "did not load"
rcpt enforce; el_send dkim "b1k$N" "$R"
delivered "exim-$K-1-enforce-dkim-delivery" dkim "$R" mx1 yes
eml=$(grep -lF "\"$R\"" "$WORLD_MX_DIR"/mx1/*.json 2>/dev/null | tail -n 1)
expect_match "exim-$K-1-enforce-dkim-signed" "$(tr -d '\r\n\t ' < "${eml%.json}.eml" 2>/dev/null)" \
    "DKIM-Signature:.*d=$WORLD_DKIM_DOMAIN;.*s=$WORLD_DKIM_SELECTOR;"

# 2. enforce, an MX outside the policy is never used; the next matching MX is
# RFC 8461 §4.1: enforce-other-first has MX 10 mx-other (not in the policy), 20 mx1
mark_other=$(el_mx_mark other)
rcpt enforce-other-first; el_send main "b2a$N" "$R"
delivered "exim-$K-2-nonmatching-mx-skipped-next-used" main "$R" mx1 yes
if el_mx_contacted other "$mark_other"; then
    fail "exim-$K-2-nonmatching-mx-never-contacted" "mx-other saw a connection"
else
    pass "exim-$K-2-nonmatching-mx-never-contacted"
fi
# no MX left: deferred (not bounced) with a line naming MTA-STS and the domain
# RFC 8461 §5.1 (no permanent failure before re-checking the policy)
rcpt enforce-nomatch; nomatch_rcpt=$R; el_send main "b2b$N" "$R"
deferred "exim-$K-2-no-matching-mx-deferred" main "$R" "R=mtasts_defer .*MTA-STS: enforce-nomatch\.$Z: no MX host matching the enforce policy"
if el_run main -bp | grep -qF "$nomatch_rcpt"; then
    pass "exim-$K-2-deferred-message-stays-queued"
else
    fail "exim-$K-2-deferred-message-stays-queued" "not in the queue"
fi

# 4. (before 3.: a host that failed TLS for an enforce domain gets a host
# retry record that would delay testing-bad's delivery to the same host -
# the known limit of README.md) testing: delivered as without a policy (also over a certificate that
# does not verify); none / no policy: plain opportunistic delivery
# RFC 8461 §5 (testing), §3.3 (no policy)
rcpt testing-bad; el_send main "b4$N" "$R"
delivered "exim-$K-4-testing-delivers-despite-bad-cert" main "$R" selfsigned no
for dom in none notxt shared; do
    rcpt "$dom"; el_send main "b4$dom$N" "$R"
    line=$(el_lines main "$EL_ID" | grep -F "=> $R ")
    if [[ $line == *" R=dnslookup T=remote_smtp "* ]] && el_mx_has "$(case $dom in shared) echo other;; *) echo mx1;; esac)" "$R"; then
        pass "exim-$K-4-$dom-unchanged-opportunistic"
    else
        fail "exim-$K-4-$dom-unchanged-opportunistic" "${line:-no delivery}"
    fi
done

# 11. testing still verifies certificates (tls_try_verify_hosts): a good
# certificate logs CV=yes, a bad one CV=no (above) - failures are seen
# RFC 8460 §4.3 (failures must be observable to be reported)
rcpt testing; el_send main "b11$N" "$R"
delivered "exim-$K-11-testing-verifies-certificates" main "$R" mx1 yes
if el_lines main "$EL_ID" | grep -F "=> $R " | grep -q " R=mtasts_testing T=mtasts_testing_smtp "; then
    pass "exim-$K-11-testing-uses-verifying-transport"
else
    fail "exim-$K-11-testing-uses-verifying-transport" "$(el_lines main "$EL_ID" | tail -n 2 | tr '\n' ' ')"
fi

# 3. enforce, matching MX without STARTTLS / wrong name / expired /
# untrusted / TLS 1.1 only: never delivered there, deferred
# RFC 8461 §4.2, §5; RFC 8996
for c in "plain:plain:-38" "wrongname:wrongname:-37" "expired:expired:-37" \
         "selfsigned:selfsigned:-37" "tls11:tls11:-37"; do
    IFS=: read -r dom srv errno <<<"$c"
    rcpt "enforce-$dom"; el_send main "b3$N" "$R"
    deferred "exim-$K-3-$dom-deferred" main "$R" "R=mtasts_enforce T=mtasts_enforce_smtp defer \\($errno\\)"
    not_stored "exim-$K-3-$dom-not-delivered" "$srv" "$R"
done
# the known limit: that TLS failure left a host retry record; the shipped
# tls_required retry rule (mtasts-retry.conf) retries it after 2 minutes,
# not the catch-all's 15
rec=$(el_retrydb main | grep -A1 "^ *T:mx-selfsigned\.$Z:" | tail -n 1)
if [ -n "$rec" ]; then
    read -r _ _ _ t_last _ t_next <<<"$rec"
    gap=$(( $(date -d "$t_next" +%s) - $(date -d "$t_last" +%s) ))
    if [ "$gap" -le 120 ]; then pass "exim-$K-limit-tls-failure-retry-soon"
    else fail "exim-$K-limit-tls-failure-retry-soon" "next try $gap s after the failure: $rec"; fi
else
    fail "exim-$K-limit-tls-failure-retry-soon" "no retry record for mx-selfsigned: $(el_retrydb main | head -n 20 | tr '\n' ' ')"
fi
# and the next matching MX is used when the first fails TLS
rcpt enforce-fallback; el_send main "b3f$N" "$R"
delivered "exim-$K-3-tls-failure-falls-back-to-next-mx" main "$R" mx1 yes
not_stored "exim-$K-3-tls-failure-host-not-used" wrongname "$R"

# 5. DANE governs an MX with DNSSEC-valid TLSA records; a failing DANE
# validation is never rescued by MTA-STS. RFC 8461 §2; RFC 7672
rcpt dane; el_send main "b5$N" "$R"
delivered "exim-$K-5-dane-verified" main "$R" dane dane
rcpt dane-bad; el_send main "b5b$N" "$R"
deferred "exim-$K-5-dane-failure-not-rescued" main "$R" "T=mtasts_enforce_smtp defer"
not_stored "exim-$K-5-dane-failure-not-delivered" danebad "$R"
# default: the policy's patterns always apply, DANE or not
mark_dane=$(el_mx_mark dane)
rcpt dane-outside; el_send main "b5o$N" "$R"
delivered "exim-$K-5-unlisted-dane-mx-not-used-by-default" main "$R" mx1 yes
if el_mx_contacted dane "$mark_dane"; then
    fail "exim-$K-5-unlisted-dane-mx-never-contacted" "mx-dane saw a connection"
else
    pass "exim-$K-5-unlisted-dane-mx-never-contacted"
fi
# the option: a host admitted because of DANE ...
el_exim daneopt "$K" MTASTS_DANE_ADMITS_UNLISTED_MX=yes ||
    fail "exim-$K-5-config-dane-option" "did not load"
rcpt dane-outside; el_send daneopt "b5d$N" "$R"
delivered "exim-$K-5-dane-admitted-mx-used-with-dane" daneopt "$R" dane dane
# ... and only with DANE: where Exim's own resolver does not validate (its
# resolver here is NSD itself, authoritative, which never sets the AD bit)
# that host is never contacted; the policy's own MX is used instead
el_exim danenv "$K" MTASTS_DANE_ADMITS_UNLISTED_MX=yes "RESOLVER=$WORLD_DNS_ADDR" ||
    fail "exim-$K-5-config-no-dnssec" "did not load"
mark_dane=$(el_mx_mark dane)
rcpt dane-outside; el_send danenv "b5n$N" "$R"
not_stored "exim-$K-5-daemon-dane-exim-insecure-never-without-dane" dane "$R"
if el_mx_contacted dane "$mark_dane"; then
    fail "exim-$K-5-daemon-dane-exim-insecure-host-not-contacted" "mx-dane saw a connection"
else
    pass "exim-$K-5-daemon-dane-exim-insecure-host-not-contacted"
fi
delivered "exim-$K-5-daemon-dane-exim-insecure-policy-mx-used" danenv "$R" mx1 yes
# the same with only the DANE host: deferred, never bounced
# (dane-outside's policy lists mx1 only; with mx1 ignored by Exim's
# own bogon list no host is left)
el_exim danenv2 "$K" MTASTS_DANE_ADMITS_UNLISTED_MX=yes "RESOLVER=$WORLD_DNS_ADDR" \
    "MTASTS_IGNORE_TARGET_HOSTS=${WORLD_MX_MX1:-127.0.3.1} ;" || fail "exim-$K-5-config-no-dnssec-2" "did not load"
rcpt dane-outside; el_send danenv2 "b5m$N" "$R"
deferred "exim-$K-5-daemon-dane-exim-insecure-deferred-not-bounced" danenv2 "$R" "R=mtasts_defer .*MTA-STS: dane-outside\.$Z"

# 7. skipping an MX for domain A leaves no retry record or delay for domain
# B sharing it: enforce-nomatch skipped mx-other (2.); shared uses it
rdb=$(el_retrydb main)
if printf '%s\n' "$rdb" | grep -q "mx-other\|127\.0\.3\.3"; then
    fail "exim-$K-7-skipped-mx-no-retry-record" "$(printf '%s\n' "$rdb" | grep "mx-other\|127\.0\.3\.3")"
else
    pass "exim-$K-7-skipped-mx-no-retry-record"
fi
rcpt shared; el_send main "b7$N" "$R"
delivered "exim-$K-7-other-domain-on-skipped-mx-not-delayed" main "$R" other -

# 10. two domains of one message, sharing MX hosts, each by its own policy
# (multi_domain = false): enforce (mx1 mx2), enforce-other-first (mx1 only,
# MX mx-other first), shared (no policy, MX mx-other)
rcpt enforce; ra=$R; rcpt enforce-other-first; rb=$R; rcpt shared; rc=$R
mark_other=$(el_mx_mark other)
el_send main "b10$N" "$ra" "$rb" "$rc"
EL_ID10=$EL_ID
delivered "exim-$K-10-domain-a-own-policy" main "$ra" mx1 yes
EL_ID=$EL_ID10; delivered "exim-$K-10-domain-b-own-policy" main "$rb" mx1 yes
EL_ID=$EL_ID10; delivered "exim-$K-10-domain-c-no-policy" main "$rc" other -
not_stored "exim-$K-10-domain-b-not-on-its-excluded-mx" other "$rb"

# 8. a new TXT id with a new policy takes effect on the next delivery
# RFC 8461 §3.3 (id change -> fetch), §5.1
# (the world is shared: first put change.example.test into a known state,
# its policy mx1 and mx2 under a fresh id, and wait for the daemon to see it)
# serve_change ID MX... - change.example.test's policy (enforce, these MX)
# under TXT id ID, and wait until the daemon has fetched it
serve_change() {
    local id=$1 mx; shift
    { printf 'version: STSv1\nmode: enforce\n'
      for mx; do printf 'mx: %s.%s\n' "$mx" "$Z"; done
      printf 'max_age: 86400\n'; } > "$EL_TOP/change.txt"
    "$WORLD_SET_POLICY" "$WORLD_RUNDIR" "change.$Z" "$EL_TOP/change.txt" "$id" >/dev/null 2>&1 ||
        fail "exim-$K-8-world-change" "set-policy.sh failed"
    for _ in $(seq 100); do
        el_ask "policy change.$Z" | grep -q " id=$id " && return 0
        sleep 0.1
    done
    fail "exim-$K-8-world-change" "the daemon did not fetch id $id in 10 s"
}
serve_change "o$(date +%s)$N" mx1 mx2
rcpt change; el_send main "b8a$N" "$R"
delivered "exim-$K-8-old-policy-first" main "$R" mx1 yes
serve_change "e$(date +%s)$N" mx2
rcpt change; el_send main "b8b$N" "$R"
delivered "exim-$K-8-new-policy-next-delivery" main "$R" mx2 yes
not_stored "exim-$K-8-old-mx-dropped" mx1 "$R"
# the world's original policy and id back, for the next test
serve_change change1 mx1 mx2

# 9. smart host: the smart host's domain is the policy domain (RFC 8461 §3.4)
el_exim sh "$K" "DC_SMARTHOST=mx1.$Z" "MTASTS_SMARTHOST_DOMAIN=enforce.$Z" ||
    fail "exim-$K-9-config-smarthost" "did not load"
rcpt shared; el_send sh "b9$N" "$R"
delivered "exim-$K-9-smarthost-policy-applied" sh "$R" mx1 yes
if el_lines sh "$EL_ID" | grep -F "=> $R " | grep -q " R=mtasts_smarthost_enforce "; then
    pass "exim-$K-9-smarthost-enforce-router"
else
    fail "exim-$K-9-smarthost-enforce-router" "$(el_lines sh "$EL_ID" | tail -n 2 | tr '\n' ' ')"
fi
el_exim shbad "$K" "DC_SMARTHOST=mx-other.$Z" "MTASTS_SMARTHOST_DOMAIN=enforce.$Z" ||
    fail "exim-$K-9-config-smarthost-bad" "did not load"
rcpt shared; el_send shbad "b9b$N" "$R"
deferred "exim-$K-9-smarthost-outside-policy-deferred" shbad "$R" "MTA-STS: smart host mx-other\.$Z \(policy domain enforce\.$Z\)"
not_stored "exim-$K-9-smarthost-outside-policy-not-used" other "$R"

# Recipient verification and cutthrough delivery: an ACL that asks Exim to
# deliver during reception (control = cutthrough_delivery) and to verify
# by callout. Exim would deliver with the routing of the verification;
# mtasts_verify gives policy domains none (no host, no callout), so the
# message is spooled and delivered by the MTA-STS routers: to a policy MX
# over verified TLS. enforce-other-first's first MX, mx-other, is outside
# its policy (that is where dnslookup and remote_smtp would go). RFC 8461 §4.1, §5
cat > "$EL_TOP/cutthrough.acl" <<'EOF_ACL'
accept control = cutthrough_delivery
       verify = recipient/callout=10s
EOF_ACL
chmod 0644 "$EL_TOP/cutthrough.acl"
el_exim cut "$K" "MAIN_ACL_CHECK_RCPT=$EL_TOP/cutthrough.acl" ||
    fail "exim-$K-verify-config-cutthrough" "did not load"
mark_other=$(el_mx_mark other)
rcpt enforce-other-first
if el_smtp cut "ct$N@$EL_SENDER_DOMAIN" "$R"; then
    if el_lines cut "$EL_ID" | grep -qF ">> $R "; then
        fail "exim-$K-verify-cutthrough-not-used-for-enforce" "$(el_lines cut "$EL_ID" | grep -F ">> $R ")"
    else
        pass "exim-$K-verify-cutthrough-not-used-for-enforce"
    fi
    delivered "exim-$K-verify-cutthrough-enforce-delivered-by-policy" cut "$R" mx1 yes
    routed "exim-$K-verify-cutthrough-enforce-routers" cut "$R" mtasts_enforce mtasts_enforce_smtp
else
    fail "exim-$K-verify-cutthrough-enforce-accepted" "$(tr '\r\n' '  ' < "$EL_TOP/cut/smtp.out")"
fi
if el_mx_contacted other "$mark_other"; then
    fail "exim-$K-verify-no-callout-outside-policy" "mx-other saw a connection (callout or cutthrough)"
else
    pass "exim-$K-verify-no-callout-outside-policy"
fi
# the same ACL does deliver during reception for a domain without a policy
# (the test above is not vacuous): ">>" is Exim's cutthrough delivery line
rcpt shared
if el_smtp cut "cs$N@$EL_SENDER_DOMAIN" "$R" &&
    el_lines cut "$EL_ID" | grep -F ">> $R " | grep -q " R=dnslookup T=remote_smtp " &&
    el_mx_has other "$R"; then
    pass "exim-$K-verify-cutthrough-still-used-without-policy"
else
    fail "exim-$K-verify-cutthrough-still-used-without-policy" "$(el_lines cut "$EL_ID" | tail -n 2 | tr '\n' ' ')"
fi

# the same through a smart host: the smart host's policy domain governs
# (behaviour 9); Debian's smarthost router and remote_smtp_smarthost would
# otherwise deliver during reception
el_exim shcut "$K" "DC_SMARTHOST=mx1.$Z" "MTASTS_SMARTHOST_DOMAIN=enforce.$Z" \
    "MAIN_ACL_CHECK_RCPT=$EL_TOP/cutthrough.acl" || fail "exim-$K-verify-config-smarthost-cutthrough" "did not load"
rcpt shared
if el_smtp shcut "cm$N@$EL_SENDER_DOMAIN" "$R" && ! el_lines shcut "$EL_ID" | grep -qF ">> $R " &&
    el_lines shcut "$EL_ID" | grep -F "=> $R " | grep -q " R=mtasts_smarthost_enforce .* CV=yes "; then
    pass "exim-$K-verify-smarthost-no-cutthrough-policy-applied"
else
    fail "exim-$K-verify-smarthost-no-cutthrough-policy-applied" "$(el_lines shcut "$EL_ID" | tail -n 2 | tr '\n' ' ')"
fi

# MTASTS_IGNORE_TARGET_HOSTS: an item of the user's that cannot be checked
# does not end the list before the policy's items (Exim keeps every MX
# when a host list item defers or fails); the enforce router ignores the
# host instead: nothing outside the policy, deferred. A DNS lookup that
# defers (Exim's resolver here is NSD, which refuses names outside its
# zones) and a name that does not exist (NXDOMAIN).
for c in "defer:mx.example.invalid:RESOLVER=$WORLD_DNS_ADDR" "unknown:no-such-host.$Z:"; do
    IFS=: read -r how item extra <<<"$c"
    el_exim "ign$how" "$K" "MTASTS_IGNORE_TARGET_HOSTS=$item ;" ${extra:+"$extra"} ||
        fail "exim-$K-ignore-list-config-$how" "did not load"
    mark_other=$(el_mx_mark other)
    rcpt enforce-other-first; el_send "ign$how" "bi$how$N" "$R"
    deferred "exim-$K-ignore-list-$how-item-fails-closed" "ign$how" "$R" \
        "R=mtasts_defer .*MTA-STS: enforce-other-first\.$Z: no MX host matching the enforce policy"
    if el_mx_contacted other "$mark_other"; then
        fail "exim-$K-ignore-list-$how-item-no-host-outside-policy" "mx-other saw a connection"
    else
        pass "exim-$K-ignore-list-$how-item-no-host-outside-policy"
    fi
    expect_match "exim-$K-ignore-list-$how-item-logged" "$(el_lines "ign$how" "$EL_ID")" \
        "accepted by \+include_$how"
done

# Fail-closed: a daemon answering tempfail (a policy still being fetched at
# the answer deadline, design.md's answer table) defers
for _ in 1; do
    rcpt https-slow; el_send main "fc1$N" "$R"
    deferred "exim-$K-fc-daemon-tempfail-deferred" main "$R" "MTA-STS: https-slow\.$Z: no policy decision: mtastsd answered \"tempfail"
done
# a fake daemon that answers tempfail to everything
el_fake_start tempfail tempfail
el_exim faketemp "$K" "MTASTS_SOCKET=$EL_TOP/tempfail.sock" || fail "exim-$K-fc-config" "faketemp"
rcpt enforce; el_send faketemp "fc2$N" "$R"
deferred "exim-$K-fc-tempfail-answer-deferred" faketemp "$R" "MTA-STS: enforce\.$Z: no policy decision"
# garbage
el_fake_start garbage garbage
el_exim fakegarbage "$K" "MTASTS_SOCKET=$EL_TOP/garbage.sock" || fail "exim-$K-fc-config" "fakegarbage"
rcpt enforce; el_send fakegarbage "fc3$N" "$R"
deferred "exim-$K-fc-garbage-answer-deferred" fakegarbage "$R" "MTA-STS: enforce\.$Z: no policy decision"
not_stored "exim-$K-fc-garbage-answer-not-delivered" mx1 "$R"
# a daemon that accepts and never answers: the bounded timeout, then defer
el_fake_start silent silent
el_exim fakesilent "$K" "MTASTS_SOCKET=$EL_TOP/silent.sock" MTASTS_TIMEOUT=2s || fail "exim-$K-fc-config" "fakesilent"
rcpt enforce; t0=$(date +%s); el_send fakesilent "fc4$N" "$R"; t1=$(date +%s)
deferred "exim-$K-fc-silent-daemon-deferred" fakesilent "$R" "MTA-STS: enforce\.$Z: no policy decision: mtastsd answered \"tempfail reason=daemon-unreachable"
if [ $((t1 - t0)) -lt 30 ]; then pass "exim-$K-fc-silent-daemon-bounded"; else fail "exim-$K-fc-silent-daemon-bounded" "$((t1 - t0)) s"; fi

# 6. daemon unreachable: default defer with a clear line; never a silent
# downgrade of a known enforce domain. "opportunistic" is the operator's
# choice, and says so: its own router, and a main log line per address.
el_exim opp "$K" MTASTS_DAEMON_DOWN=opportunistic || fail "exim-$K-6-config-opportunistic" "did not load"
el_exim shopp "$K" "DC_SMARTHOST=mx1.$Z" "MTASTS_SMARTHOST_DOMAIN=enforce.$Z" MTASTS_DAEMON_DOWN=opportunistic ||
    fail "exim-$K-6-config-smarthost-opportunistic" "did not load"
el_daemon_stop
rcpt enforce; el_send main "b6$N" "$R"; down_rcpt=$R; down_id=$EL_ID
deferred "exim-$K-6-daemon-down-deferred" main "$R" "R=mtasts_defer .*MTA-STS: enforce\.$Z: no policy decision: mtastsd answered \"tempfail reason=daemon-unreachable\""
not_stored "exim-$K-6-daemon-down-not-delivered" mx1 "$R"
# while the daemon is down, accepting mail does not depend on it: RCPT
# accepted (mtasts_verify), the message queued, no cutthrough
rcpt enforce
if el_smtp cut "b6c$N@$EL_SENDER_DOMAIN" "$R"; then
    deferred "exim-$K-6-daemon-down-smtp-accepted-then-deferred" cut "$R" "R=mtasts_defer .*MTA-STS: enforce\.$Z: no policy decision"
else
    fail "exim-$K-6-daemon-down-smtp-accepted-then-deferred" "$(tr '\r\n' '  ' < "$EL_TOP/cut/smtp.out")"
fi
rcpt shared; el_send opp "b6o$N" "$R"
delivered "exim-$K-6-daemon-down-opportunistic-delivers" opp "$R" other -
# an enforce domain in opportunistic mode: delivered (without MTA-STS),
# but never silently: R=mtasts_daemon_down and the router's own log line
rcpt enforce; el_send opp "b6e$N" "$R"
delivered "exim-$K-6-opportunistic-enforce-delivered" opp "$R" mx1 -
routed "exim-$K-6-opportunistic-names-fallback-router" opp "$R" mtasts_daemon_down remote_smtp
expect_match "exim-$K-6-opportunistic-logged" "$(el_lines opp "$EL_ID")" \
    "MTA-STS: enforce\.$Z: mtastsd could not be asked \(\"tempfail reason=daemon-unreachable\"\): sending without MTA-STS \(opportunistic fall-back\)"
# the same through a smart host (RFC 8461 §3.4 setup of behaviour 9)
rcpt shared; el_send shopp "b6s$N" "$R"
delivered "exim-$K-6-opportunistic-smarthost-delivered" shopp "$R" mx1 -
routed "exim-$K-6-opportunistic-smarthost-names-fallback-router" shopp "$R" \
    mtasts_smarthost_daemon_down remote_smtp_smarthost
# back up: the deferred message goes out on the next queue run
el_daemon_start answer_deadline=2s txt_recheck_interval=1s dane_admits_unlisted_mx=yes ||
    fail "exim-$K-6-daemon-restart" "did not start"
el_retry main
EL_ID=$down_id
delivered "exim-$K-6-delivered-once-daemon-back" main "$down_rcpt" mx1 yes
