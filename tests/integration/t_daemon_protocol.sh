#!/usr/bin/env bash
# t_daemon_protocol - mtastsd's socket protocol and its abuse (mtastsd(8),
# PROTOCOL): pipelining, one-shot ${readsocket} clients, bad and over-long
# lines, binary, half-open and slow clients, 1,000 connections, peer
# credentials for flush, and the CLI's errors. Needs no network.
. tests/lib.sh
. tests/integration/daemon_lib.sh

# The file holds the keys the SIGHUP test below changes (-o would win over it).
printf 'log_debug = no\n' > "$D_DIR/reload.conf"
daemon_start -c "$D_DIR/reload.conf" dnssec=no dns_timeout=1s answer_deadline=2s \
    socket_mode=0666 first_contact_window=10m || { fail daemon_starts "see above"; exit 1; }
pass daemon_starts

out=$(ask ping version "policy b64:$(printf 'bad domain' | base64)" nosuchverb "policy" stats)
expect_match pipelined_answers_in_order "$out" \
'^ok version=[^ ]+ protocol=1
ok version=[^ ]+ protocol=1
error reason=bad-domain
error reason=unknown-verb
error reason=usage
ok version='

out=$($MTCLIENT "$D_SOCK" --oneshot 'ping')
expect_eq readsocket_oneshot_without_newline "$out" "ok version=0.1.0 protocol=1
<EOF>"
out=$($MTCLIENT "$D_SOCK" --oneshot 'ping\nversion\n')
expect_eq readsocket_oneshot_two_requests "$(echo "$out" | wc -l)" "3"

out=$($MTCLIENT "$D_SOCK" --raw '\x00\x01\xff binary\nping\n')
expect_match binary_request_is_refused_connection_kept "$out" '^error reason=bad-request
ok version=.*
<OPEN>$'

long=$(head -c 3000 /dev/zero | tr '\0' 'a')
out=$($MTCLIENT "$D_SOCK" --raw "ping\n$long\nping\n")
expect_match overlong_line_is_refused_and_closed "$out" '^ok version=.*
error reason=line-too-long
<CLOSED>$'

out=$($MTCLIENT "$D_SOCK" --raw "policy b64:!!!!\n")
expect_match bad_base64_is_refused "$out" '^error reason=bad-request'

# A one-shot client whose answer needs the network (the DNS times out here:
# daemon_lib sends every question to a loopback port where nothing answers):
# it must still get its answer (tempfail inside the window), then EOF.
out=$($MTCLIENT "$D_SOCK" --oneshot 'policy unreachable-dns.example')
expect_match readsocket_oneshot_waits_for_deferred_answer "$out" '^tempfail reason=(dns-timeout|dns-servfail|answer-deadline|dns-error)
<EOF>$'

# Abuse: 1000 half-open connections, a slow client, a client that never
# reads, binary and over-long lines, all at once; pings stay fast.
out=$($MTCLIENT "$D_SOCK" --abuse)
worst=$(echo "$out" | sed -n 's/^worst_ping_ms=//p')
if [ -n "$worst" ] && awk "BEGIN{exit !($worst < 500)}"; then
    pass well_behaved_client_not_stalled_by_abuse
else
    fail well_behaved_client_not_stalled_by_abuse "worst ping ${worst:-?} ms: $out"
fi
expect_match abuse_binary_answered "$out" 'junk=error reason=bad-request'
expect_match abuse_long_line_answered "$out" 'long=error reason=line-too-long'
check daemon_alive_after_abuse ask ping
expect_eq accepted_1000_clients "$( [ "$(stat_of clients_accepted)" -gt 1000 ] && echo yes)" yes

# Peer credentials: flush by an unprivileged user is refused; root may.
# The unprivileged peer runs copies in $D_DIR (0755): the checkout may sit
# where nobody cannot read (a clone in /root).
cp tests/integration/mtclient.py "$BUILD/mtasts" "$D_DIR/"
chmod 0644 "$D_DIR/mtclient.py"; chmod 0755 "$D_DIR/mtasts"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$D_DIR/mtclient.py" "$D_SOCK" "flush example.com")
expect_eq flush_refused_to_unprivileged_peer "$out" "error reason=permission-denied"
out=$(ask "flush example.com")
expect_eq flush_allowed_to_root "$out" "ok domain=example.com"

# The CLI: clear errors when the socket is missing or not accessible.
out=$("$BUILD/mtasts" query example.com -s "$D_DIR/nothing.sock" 2>&1); rc=$?
expect_match cli_says_daemon_not_running "$rc:$out" '^1:mtasts: mtastsd is not running'
chmod 0600 "$D_SOCK"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$D_DIR/mtasts" stats -s "$D_SOCK" 2>&1); rc=$?
expect_match cli_says_permission_denied "$rc:$out" '^1:mtasts: cannot use .*permission denied'
chmod 0666 "$D_SOCK"
out=$("$BUILD/mtasts" stats --prometheus -s "$D_SOCK")
expect_match cli_stats_prometheus "$out" 'mtastsd_requests_total\{verb="ping"\} [0-9]+'
out=$("$BUILD/mtasts" stats --json -s "$D_SOCK")
expect_match cli_stats_json "$out" '^\{"status":"ok","version":"[^"]+","uptime":[0-9]+'

# SIGHUP (mtastsd(8), SIGNALS): a reloadable key takes effect at once
# (log_debug: the report verb logs its request at debug level); a key read
# only at start keeps its running value and is named, each one, in a warning.
# wait_log N REGEX - until the log matches (at most 5 s)
wait_log() { for _ in $(seq 50); do grep -Eq -- "$2" "$D_LOG" && { pass "$1"; return; }; sleep 0.1; done; fail "$1" "no /$2/ in the log"; }
ask "report before.invalid" >/dev/null
printf 'log_debug = yes\nuser = nobody\nsocket_group = nogroup\nmax_request_size = 800\n' > "$D_DIR/reload.conf"
kill -HUP "$D_PID"
wait_log sighup_reloads "configuration reloaded, changed: log_debug$"
check sighup_keeps_serving ask ping
expect_eq sighup_names_each_restart_only_key \
    "$(sed -n 's/.*reload: a restart is needed for \(.*\) (changed; the running values stay)$/\1/p' "$D_LOG")" \
    "socket_group, user, max_request_size"
ask "report after.invalid" >/dev/null
wait_log sighup_reloadable_key_takes_effect "tlsrpt: report after\.invalid"
expect_eq sighup_was_off_before "$(grep -c 'tlsrpt: report before' "$D_LOG")" 0
long=$(head -c 900 /dev/zero | tr '\0' 'a')
expect_eq sighup_restart_only_key_keeps_running_value "$(ask "ping $long")" "error reason=usage"
printf 'no_such_key = 1\n' > "$D_DIR/reload.conf"
kill -HUP "$D_PID"
wait_log sighup_bad_file_refused "reload: .*unknown key 'no_such_key'; keeping the running configuration"
check sighup_bad_file_keeps_serving ask ping

# SIGTERM: finishes and exits 0, removing its socket.
if daemon_stop; then pass sigterm_exits_zero; else fail sigterm_exits_zero "exit status $?"; fi
expect_eq socket_removed_on_exit "$( [ -e "$D_SOCK" ] && echo present || echo gone)" gone
exit 0
