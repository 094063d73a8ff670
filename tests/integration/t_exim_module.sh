#!/usr/bin/env bash
# t_exim_module.sh - mtasts_lookup.so inside the module-capable Exim 4.96:
# loading, version report, queries against a real mtastsd, the fail-closed
# answers, the bounded timeout, connection reuse and reconnection, caching,
# the connection closed at Exim's tidy-up, and what exim -d+lookup shows
# (exim-module/README.md).
. tests/lib.sh
. tests/integration/exim_lib.sh
Z=${WORLD_ZONE:-example.test}

el_daemon_start || { fail module-daemon "mtastsd did not start"; exit 1; }
el_exim be module || { fail module-config "the module configuration did not load"; exit 1; }
EXIM=$(el_bin be)
CONF=$EL_TOP/be/exim4.conf

# be STRING - expand STRING in the module-capable Exim (stdin, one line)
be() { printf '%s\n' "$1" | el_in "$EXIM" -C "$CONF" -be 2>"$EL_TOP/be.err" | sed 's/^> //; /^$/d'; }

# the module loads and names itself in the version report
check module-version-report sh -c "ip netns exec $WORLD_NETNS $EXIM -C $CONF -d -bV 2>&1 |
    grep -q 'Library version: mtasts lookup module .* (Exim lookup ABI 4.96-4.97, magic 0x4c4d4935)'"

# queries mirror the daemon's verbs; the answer is the daemon's line
expect_match module-ping "$(be "\${lookup mtasts,socket=$EL_SOCK{ping}}")" '^ok version=[^ ]+ protocol=[0-9]+$'
for _ in $(seq 50); do
    a=$(be "\${lookup mtasts,socket=$EL_SOCK{policy enforce.$Z}}")
    case $a in tempfail*) sleep 0.2 ;; *) break ;; esac
done
expect_match module-policy-enforce "$a" '^ok mode=enforce id=[A-Za-z0-9]+ .*mx=mx1\.example\.test,mx2\.example\.test'
expect_match module-allowed-items "$(be "\${lookup mtasts,socket=$EL_SOCK{allowed enforce.$Z}}")" \
    '^ok mode=enforce .*allowed=!\^\(\?i\)mx1\\\.example\\\.test\$;!\^\(\?i\)mx2\\\.example\\\.test\$'
expect_match module-mx-verdict "$(be "\${lookup mtasts,socket=$EL_SOCK{mx enforce.$Z mx-other.$Z}}")" '^ok verdict=reject match=no mode=enforce'
expect_match module-b64-domain "$(be "\${lookup mtasts,socket=$EL_SOCK{policy b64:\${base64:enforce.$Z}}}")" '^ok mode=enforce '
expect_match module-none "$(be "\${lookup mtasts,socket=$EL_SOCK{policy shared.$Z}}")" '^none( |$)'

# exim -d+lookup shows what was asked and what came back
el_in "$EXIM" -C "$CONF" -d+lookup -be "\${lookup mtasts,socket=$EL_SOCK{ping}}" >"$EL_TOP/dbg.out" 2>&1
expect_match module-debug-asked "$(cat "$EL_TOP/dbg.out")" "mtasts: asking $EL_SOCK \(timeout 10000 ms\): ping"
expect_match module-debug-answer "$(cat "$EL_TOP/dbg.out")" 'mtasts: answer after [0-9]+ ms: ok version='
# tidy(): Exim's tidy-up (search_tidyup, also run at exit) closes the
# module's connection, after the answer and before the process ends
expect_match module-tidy-closes-connection "$(sed -n '/mtasts: answer after/,$p' "$EL_TOP/dbg.out" |
    grep -E 'search_tidyup called|mtasts: tidy: |terminating with rc' | tr '\n' ' ')" \
    'search_tidyup called mtasts: tidy: closing connection fd [0-9]+ .*terminating with rc=0'

# never DEFER: every failure is an OK answer with a status word
expect_eq module-unreachable "$(be "\${lookup mtasts,socket=$EL_TOP/nothing.sock{policy enforce.$Z}{\$value}{LOOKUP-FAILED}}")" \
    "tempfail reason=daemon-unreachable"
expect_match module-unreachable-logged "$(cat "$EL_TOP/be/log/mainlog" "$EL_TOP/be.err" 2>/dev/null)" \
    'mtasts lookup: request failed: No such file or directory \(socket .*nothing\.sock\)'
expect_eq module-bad-option "$(be "\${lookup mtasts,socket=$EL_SOCK,colour=red{ping}}")" "error reason=bad-option"
expect_eq module-bad-timeout "$(be "\${lookup mtasts,socket=$EL_SOCK,timeout=forever{ping}}")" "error reason=bad-option"
# a newline would end the request early: refused before anything is sent
expect_eq module-newline-refused "$(be "\${lookup mtasts,socket=$EL_SOCK{policy enforce.$Z\\nflush enforce.$Z}}")" "error reason=bad-query"
expect_eq module-bad-b64-refused "$(be "\${lookup mtasts,socket=$EL_SOCK{report x=b64:abc}}")" "error reason=bad-query"
expect_eq module-8bit-refused "$(be "\${lookup mtasts,socket=$EL_SOCK{policy café.$Z}}")" "error reason=bad-query"
long=""; for i in $(seq 36); do long="$long\${sha256:$i}"; done	# 2304 bytes (> PROTO_LINE_MAX), made by Exim
expect_eq module-too-long-refused "$(be "\${lookup mtasts,socket=$EL_SOCK{policy $long}}")" "error reason=bad-query"

# garbage from the socket is an error, never an answer
el_fake_start garbage garbage
expect_eq module-garbage-answer "$(be "\${lookup mtasts,socket=$EL_TOP/garbage.sock{allowed enforce.$Z}}")" "error reason=bad-answer"

# a daemon that never answers: tempfail within the bounded timeout
el_fake_start silent silent
t0=$(date +%s%N)
a=$(be "\${lookup mtasts,socket=$EL_TOP/silent.sock,timeout=1s{policy enforce.$Z}}")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq module-silent-daemon-tempfail "$a" "tempfail reason=daemon-unreachable"
if [ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]; then pass module-timeout-bounded; else fail module-timeout-bounded "took $ms ms for timeout=1s"; fi

# one connection per process, reused; answers cached by Exim; state-changing
# verbs (report) never cached
el_fake_start echo echo
E=$EL_TOP/echo.sock
out=$(be "\${lookup mtasts,socket=$E{ping}} \${lookup mtasts,socket=$E{policy a.$Z}} \${lookup mtasts,socket=$E{policy b.$Z}} \${lookup mtasts,socket=$E{ping}}")
expect_match module-one-connection-reused "$out" '^ok n=1 conn=1 req=ping ok n=2 conn=1 req=policy_a\.example\.test ok n=3 conn=1 req=policy_b\.example\.test ok n=1 conn=1 req=ping$'
out=$(be "\${lookup mtasts,socket=$E{report x=1}} \${lookup mtasts,socket=$E{report x=1}}")
expect_match module-report-not-cached "$out" '^ok n=[0-9]+ conn=2 req=report_x=1 ok n=[0-9]+ conn=2 req=report_x=1$'
n1=$(printf '%s' "$out" | sed -n 's/^ok n=\([0-9]*\) .*/\1/p'); n2=$(printf '%s' "$out" | sed -n 's/.* ok n=\([0-9]*\) .*/\1/p')
expect_eq module-report-asked-twice "$((n2 - n1))" 1
# spaces and tabs in the query count as one space
expect_match module-query-normalised "$(be "\${lookup mtasts,socket=$E{  mx	 a.$Z   b.$Z  }}")" 'req=mx_a\.example\.test_b\.example\.test$'

# a connection the daemon closed is noticed and replaced (reconnect)
el_fake_start oneshot oneshot
out=$(be "\${lookup mtasts,socket=$EL_TOP/oneshot.sock{policy a.$Z}} \${lookup mtasts,socket=$EL_TOP/oneshot.sock{policy b.$Z}}")
expect_match module-reconnects "$out" '^ok n=1 conn=1 req=policy_a\.example\.test ok n=2 conn=2 req=policy_b\.example\.test$'

# the real daemon: many lookups in one Exim process, one client connection
# (each el_ask is a connection of its own: "after" counts itself)
before=$(el_ask stats | tr ' ' '\n' | sed -n 's/^clients_accepted=//p')
q=""; for i in $(seq 20); do q="$q\${lookup mtasts,socket=$EL_SOCK{mx enforce.$Z mx$i.$Z}}"; done
be "$q" >/dev/null
after=$(el_ask stats | tr ' ' '\n' | sed -n 's/^clients_accepted=//p')
expect_eq module-daemon-one-client-per-process "$((after - before - 1))" 1
# and the daemon saw that client go: no connection of it left open
# (clients_now counts the stats request's own connection)
for _ in $(seq 40); do
    now=$(el_ask stats | tr ' ' '\n' | sed -n 's/^clients_now=//p')
    [ "$now" = 1 ] && break
    sleep 0.05
done
expect_eq module-daemon-client-closed "$now" 1

[ "$TESTS_FAILED" -eq 0 ]
