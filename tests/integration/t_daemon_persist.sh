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
 testing testing-bad none dane dane-bad dane-outside split cname https-crlf child insecure
 change"

# --- clean restart --------------------------------------------------------------
daemon_start -n txt_recheck_interval=1h || { fail daemon_starts "see log"; exit 1; }
expect_match first_fetch "$(ask "policy enforce.$Z")" "^ok mode=enforce id=enforce1 "
daemon_stop && pass sigterm_stops_cleanly || fail sigterm_stops_cleanly "exit status"
daemon_restart || { fail daemon_restarts "see log"; exit 1; }
expect_match restart_answers_from_store "$(ask "policy enforce.$Z")" "^ok mode=enforce id=enforce1 "
expect_eq restart_needs_no_network "$(stat_of flights)" 0
daemon_stop

# --- kill -9 while it stores many policies ---------------------------------------
# Every domain of the world with a policy (tests/world/README.md; there are
# only so many), asked at once, each on its own connection; kill -9 at a
# random moment of that burst (by the client, the instant it reads the K-th
# answer, K random), restart on the same store and ask again: every policy
# answered before the kill is answered identically (fetched and expires
# too), from the store. Again on an empty store, PERSIST_ROUNDS times, so
# the kill falls on many instants of storing; more rounds (up to three
# times as many) while no kill has yet come before the last answer.
ROUNDS=${PERSIST_ROUNDS:-5}
N=$(echo $DOMAINS | wc -w)
ANSWERED='^policy ([^ ]+) => ((ok|none reason=mode-none) .*id=.*)$'
verified=0 cut=0 round=0
while [ "$round" -lt "$ROUNDS" ] || { [ "$cut" -eq 0 ] && [ "$round" -lt $((3 * ROUNDS)) ]; }; do
    round=$((round + 1))
    rm -rf "$D_DIR/state"
    daemon_restart || { fail "kill9_round${round}_starts" "see log"; break; }
    lines=()
    for d in $DOMAINS; do lines+=("policy $d.$Z"); done
    k=$(( RANDOM % (N - 2) + 1 ))
    $MTCLIENT "$D_SOCK" --burst-kill "$D_PID" "$k" "${lines[@]}" > "$D_DIR/burst.out" 2>&1
    daemon_kill9				# reaps it (and kills it when fewer than K answered)
    grep -E "$ANSWERED" "$D_DIR/burst.out" | sed -E "s/$ANSWERED/\1 \2/" > "$D_DIR/answered"
    n=$(grep -c . "$D_DIR/answered")
    echo "# round $round: killed after $n of $N answers (aimed at $k)"
    [ "$n" -ge 1 ] || { fail "kill9_round${round}_answered" "no answer before the kill"; continue; }
    [ "$n" -lt "$N" ] && cut=$((cut + 1))
    daemon_restart || { fail "kill9_round${round}_restarts" "see log"; break; }
    missing=0
    while read -r dom want; do
        got=$(ask "policy $dom")
        [ "$got" = "$want" ] || { missing=$((missing + 1)); echo "# $dom: '$got', answered '$want' before"; }
    done < "$D_DIR/answered"
    verified=$((verified + n - missing))
    expect_eq "every_answered_policy_survives_kill9_round$round" "$missing" 0
    expect_eq "survivors_answered_without_network_round$round" "$(stat_of flights)" 0
    check "store_still_consistent_round$round" ask "list"
    daemon_stop
done
echo "# $verified policies answered before a kill -9 and again after it, in $round rounds"
[ "$cut" -ge 1 ] && pass killed_while_storing \
    || fail killed_while_storing "every round had all $N answers before the kill"
exit 0
