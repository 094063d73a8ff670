#!/usr/bin/env bash
# t_daemon_persist - cached policies survive a restart and a kill -9 at any
# instant (design.md "Storage"): every policy the daemon answered before it
# died is answered from the store after the restart, without the network.
. tests/lib.sh
. tests/integration/daemon_lib.sh
Z=$WORLD_ZONE
world_conf
DOMAINS="enforce enforce-other-first enforce-nomatch enforce-wildcard enforce-fallback
 enforce-wrongname enforce-expired enforce-selfsigned enforce-plain enforce-tls11 implicit
 testing testing-bad dane dane-bad dane-outside split cname https-crlf child insecure"

# --- clean restart --------------------------------------------------------------
daemon_start -n txt_recheck_interval=1h || { fail daemon_starts "see log"; exit 1; }
expect_match first_fetch "$(ask "policy enforce.$Z")" "^ok mode=enforce id=enforce1 "
daemon_stop && pass sigterm_stops_cleanly || fail sigterm_stops_cleanly "exit status"
daemon_restart || { fail daemon_restarts "see log"; exit 1; }
expect_match restart_answers_from_store "$(ask "policy enforce.$Z")" "^ok mode=enforce id=enforce1 "
expect_eq restart_needs_no_network "$(stat_of flights)" 0
daemon_stop

# --- kill -9 while it stores many policies ---------------------------------------
daemon_restart || { fail daemon_restarts_for_kill "see log"; exit 1; }
lines=()
for d in $DOMAINS; do lines+=("policy $d.$Z"); done
: > "$D_DIR/burst.out"
$MTCLIENT "$D_SOCK" --burst "${lines[@]}" > "$D_DIR/burst.out" 2>&1 &
burst=$!
for _ in $(seq 200); do
    [ "$(grep -c ' => ok ' "$D_DIR/burst.out")" -ge 3 ] && break
    sleep 0.01
done
daemon_kill9
wait $burst
answered=$(grep ' => ok ' "$D_DIR/burst.out" | sed 's/^policy \([^ ]*\) => ok .* id=\([^ ]*\) .*/\1 \2/')
n=$(printf '%s\n' "$answered" | grep -c .)
[ "$n" -ge 3 ] && pass killed_while_storing || fail killed_while_storing "only $n answered before the kill"
daemon_restart || { fail daemon_restarts_after_kill9 "see log"; exit 1; }
missing=0
while read -r dom id; do
    [ -n "$dom" ] || continue
    got=$(ask "policy $dom")
    printf '%s' "$got" | grep -q "^ok .*id=$id " || { missing=$((missing + 1)); echo "# $dom: $got"; }
done <<< "$answered"
expect_eq every_answered_policy_survives_kill9 "$missing" 0
expect_eq survivors_answered_without_network "$(stat_of flights)" 0
check store_still_consistent ask "list"
daemon_stop
exit 0
