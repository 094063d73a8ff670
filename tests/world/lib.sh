# shellcheck shell=bash
# NAME
#	lib.sh - shell helpers for the hermetic test world (source it)
# SYNOPSIS
#	. tests/world/lib.sh
#	world_exec CMD...		run CMD inside the world's namespace
#	world_wait_file PATH [SECONDS]	wait until PATH exists
#	world_mx_count NAME		messages stored by MX server NAME
#	world_dig ARGS...		dig through the world's validating resolver
#	world_sign_zone ZONE, world_bump_serial ZONE, world_resolver_flush ZONE
#					(for up.sh and set-policy.sh)
# DESCRIPTION
#	Used by tests (with the exports of tests/world/up.sh in the
#	environment) and by the world's own scripts.

WORLD_DIR=${WORLD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
WORLD_PY=${WORLD_PY:-/usr/bin/python3}	# Debian's python, with aiosmtpd

# world_exec - run a command inside the world's network namespace
world_exec() {
    ip netns exec "${WORLD_NETNS:?WORLD_NETNS is not set}" "$@"
}

# world_wait_file - wait (polling every 10 ms) until a file exists
world_wait_file() {
    local f=$1 n=$(( ${2:-5} * 100 ))
    while [ ! -e "$f" ]; do
        n=$((n - 1)); [ "$n" -gt 0 ] || return 1
        sleep 0.01
    done
}

# world_mx_count - how many messages MX server NAME has stored
world_mx_count() {
    local d="${WORLD_MX_DIR:?}/$1"
    find "$d" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l
}

# world_dig - dig through the namespace's validating resolver
world_dig() {
    world_exec dig +tries=1 +time=3 @"${WORLD_RESOLVER_ADDR:-127.0.0.1}" "$@"
}

# world_sign_zone - sign RUNDIR/dns/ZONE/zone into zone.signed with the
# zone's key, then apply the deliberate damage the world needs: for each
# owner listed in RUNDIR/dns/ZONE/bogus, its TXT id gets an "x" appended
# after signing, so the signature no longer matches. Inception one day
# back, expiry in 30 days. (Builtins where possible: forks are slow here.)
world_sign_zone() {
    local zone=$1 d="${WORLD_RUNDIR:?}/dns/$1" key inc exp owner sedprog=""
    read -r key < "$d/keyname"
    TZ=UTC0 printf -v inc '%(%Y%m%d%H%M%S)T' $((EPOCHSECONDS - 86400))
    TZ=UTC0 printf -v exp '%(%Y%m%d%H%M%S)T' $((EPOCHSECONDS + 30 * 86400))
    # (written in place: NSD reads it only when told to reload)
    ldns-signzone -i "$inc" -e "$exp" -o "$zone." -f "$d/zone.signed" \
        "$d/zone" "$d/$key" || return 1
    [ -s "$d/bogus" ] || return 0
    while read -r owner; do
        sedprog+="/^${owner//./\\.}[[:space:]].*[[:space:]]IN[[:space:]]TXT[[:space:]]/s/id=\\([A-Za-z0-9]*\\);/id=\\1x;/;"
    done < "$d/bogus"
    sed -i "$sedprog" "$d/zone.signed"
}

# world_bump_serial - increase the SOA serial of RUNDIR/dns/ZONE/zone
world_bump_serial() {
    local f="${WORLD_RUNDIR:?}/dns/$1/zone" s
    s=$(sed -n 's/.* \([0-9][0-9]*\) ; serial$/\1/p' "$f")
    sed -i "s/ $s ; serial\$/ $((s + 1)) ; serial/" "$f"
}

# world_resolver_flush ZONE - drop ZONE (its answers, negative and bogus
# ones too) from the cache of the namespace's validating unbound
world_resolver_flush() {
    local c="${WORLD_RUNDIR:?}/unbound/unbound.conf"
    world_exec unbound-control -c "$c" flush_zone "$1" >/dev/null
}
