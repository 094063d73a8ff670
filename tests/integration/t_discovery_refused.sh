#!/usr/bin/env bash
# t_discovery_refused.sh - a policy host on a loopback address is refused by
# default, with no connection attempted (our rule, RFC 8461 §10: a hostile
# domain must not make us fetch from inside our own network).
#
# 1. With the default configuration (no fetch_allow_address, no connect_to),
#    every world policy host (127.0.2.x) is refused: the result says so, and
#    nginx's access log gets no request (but one when the address is allowed).
# 2. A policy host that resolves to 127.0.0.1 (libunbound local-data) with a
#    listener of ours on 127.0.0.1:443 inside the namespace: the listener
#    sees no connection at all. Then, allowed by fetch_allow_address, the
#    same check does connect to it: the listener works, so (1) proves
#    something.
# The other refused ranges are unit-tested (tests/unit/test_addr_filter.c),
# never connected to.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
Z=$WORLD_ZONE
tmp=$(mktemp -d /tmp/mtasts-refused.XXXXXX)
lpid=""
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
access=$WORLD_RUNDIR/nginx/access.log

cat >"$tmp/default.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
EOF

# requests - the number of requests nginx has logged
requests() { if [ -f "$access" ]; then wc -l <"$access"; else echo 0; fi; }

before=$(requests)
$WORLD_EXEC "$M" check --json -c "$tmp/default.conf" "enforce.$Z" >"$tmp/enforce.json" 2>"$tmp/err"
rc=$?
expect_eq refused_by_default_exit_0 "$rc" 0
expect_eq refused_by_default_status "$(jq -c '[.status,.verdict,.failure.result_type,.failure.problem,.failure.temporary]' "$tmp/enforce.json")" \
    '["no-policy","none","sts-policy-fetch-error","refused-address",false]'
expect_eq refused_by_default_counts "$(jq -c '.policy_host|[.addresses,.refused_addresses]' "$tmp/enforce.json")" '[[],1]'
expect_eq refused_by_default_no_fetch "$(jq -c .fetch "$tmp/enforce.json")" null
expect_match refused_by_default_reason "$(jq -r .reason "$tmp/enforce.json")" "$WORLD_POLICY_ADDR is loopback"
sleep 0.2
expect_eq refused_by_default_nginx_saw_no_request "$(requests)" "$before"
# control: allowed, the same fetch is one request in nginx's log
printf 'fetch_allow_address = %s\n' "$WORLD_POLICY_ADDR" | cat "$tmp/default.conf" - >"$tmp/allowed.conf"
$WORLD_EXEC "$M" check --json -c "$tmp/allowed.conf" "enforce.$Z" >"$tmp/allowed.json" 2>"$tmp/err"
expect_eq allowed_policy_host_fetched "$(jq -c .status "$tmp/allowed.json")" '"policy"'
sleep 0.2
expect_eq allowed_fetch_is_logged_by_nginx "$(requests)" "$((before + 1))"

# the human output names the fix
out=$($WORLD_EXEC "$M" check -c "$tmp/default.conf" "enforce.$Z" 2>&1)
expect_match refused_human_reason "$out" 'nothing was connected'
expect_match refused_human_fix "$out" '^fix: give mta-sts.enforce.example.test a public address'

# 2. 127.0.0.1 with our own listener
cat >"$tmp/local.conf" <<EOF
server:
    local-data: "mta-sts.enforce.$Z. 1 IN A 127.0.0.1"
EOF
sed "s|^\(stub-zone:\)|include: \"$tmp/local.conf\"\n\1|" "$WORLD_UNBOUND_CONF" >"$tmp/unbound.conf"
grep -q "include: \"$tmp/local.conf\"" "$tmp/unbound.conf" || cat "$tmp/local.conf" >>"$tmp/unbound.conf"
printf 'unbound_config = %s\nca_file = %s\nfetch_timeout = 3s\n' "$tmp/unbound.conf" "$WORLD_CA_FILE" >"$tmp/lo.conf"

cat >"$tmp/listen.py" <<'EOF'
# listen.py COUNTFILE - accept on 127.0.0.1:443, count connections, close them
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 443))
s.listen(16)
n = 0
open(sys.argv[1], "w").write("0\n")
while True:
    c, _ = s.accept()
    n += 1
    open(sys.argv[1], "w").write("%d\n" % n)
    c.close()
EOF
$WORLD_EXEC /usr/bin/python3 "$tmp/listen.py" "$tmp/count" &
lpid=$!
for _ in $(seq 100); do [ -s "$tmp/count" ] && break; sleep 0.1; done
check loopback_listener_started test -s "$tmp/count"

$WORLD_EXEC "$M" check --json -c "$tmp/lo.conf" "enforce.$Z" >"$tmp/lo.json" 2>"$tmp/err"
expect_eq loopback_policy_host_resolved "$(jq -c '.policy_host|[.outcome,.addresses,.refused_addresses]' "$tmp/lo.json")" '["ok",[],1]'
expect_eq loopback_refused "$(jq -c '[.status,.failure.problem]' "$tmp/lo.json")" '["no-policy","refused-address"]'
expect_match loopback_reason "$(jq -r .reason "$tmp/lo.json")" '127\.0\.0\.1 is loopback'
sleep 0.2
expect_eq loopback_no_connection_attempted "$(cat "$tmp/count")" 0

# control: allowed, the same lookup connects to the listener (which is no TLS server)
printf 'fetch_allow_address = 127.0.0.1\n' >>"$tmp/lo.conf"
$WORLD_EXEC "$M" check --json -c "$tmp/lo.conf" "enforce.$Z" >"$tmp/lo2.json" 2>"$tmp/err"
expect_eq loopback_allowed_is_fetched "$(jq -c '[.policy_host.addresses,.fetch.ip,.status]' "$tmp/lo2.json")" '[["127.0.0.1"],"127.0.0.1","tempfail"]'
sleep 0.2
expect_eq loopback_allowed_connects "$(cat "$tmp/count")" 1
exit 0
