#!/usr/bin/env bash
# t_daemon_herd - one flight per domain however many clients wait
# (design.md "Policy life cycle"): 100 clients ask at once for a domain that
# is not cached; exactly one discovery, one TXT lookup, one HTTPS fetch.
. tests/lib.sh
. tests/integration/daemon_lib.sh
Z=$WORLD_ZONE
world_conf
ACCESS_LOG=$WORLD_RUNDIR/nginx/access.log

# the delegated zone child.example.test is asked through a forwarder that
# logs every question (dnsstub.py), so the TXT lookups are counted on the wire
QLOG=$D_DIR/queries.log
: > "$QLOG"
cp "$WORLD_UNBOUND_CONF" "$D_DIR/unbound.conf"
printf 'stub-zone:\n    name: "child.%s."\n    stub-addr: 127.0.1.79@53\n' "$Z" >> "$D_DIR/unbound.conf"
echo "unbound_config = $D_DIR/unbound.conf" >> "$WORLD_MTASTSD_CONF"
"$WORLD_EXEC_SH" /usr/bin/python3 tests/integration/dnsstub.py 127.0.1.79 forward "$WORLD_DNS_ADDR" "$QLOG" &
STUB=$!
trap 'kill $STUB 2>/dev/null; daemon_cleanup' EXIT

daemon_start -n answer_deadline=5s log_debug=yes || { fail daemon_starts "see log"; exit 1; }
before=$(wc -l < "$ACCESS_LOG")
out=$($MTCLIENT "$D_SOCK" --herd 100 "policy child.$Z")
after=$(wc -l < "$ACCESS_LOG")
expect_eq hundred_clients_all_get_the_policy "$out" "ok=100"
expect_eq one_discovery_for_hundred_clients "$(stat_of flights)" 1
expect_eq ninety_nine_waiters_coalesced "$(stat_of flights_coalesced)" 99
expect_eq one_https_fetch_for_hundred_clients "$((after - before))" 1
# one _mta-sts TXT question (type 16) reached the DNS, counted on the wire
expect_eq one_txt_lookup_for_hundred_clients "$(grep -c "^_mta-sts\.child\.$Z 16$" "$QLOG")" 1
expect_eq one_discovery_logged "$(grep -c "child.$Z: discovery started" "$D_LOG")" 1
daemon_stop
exit 0
