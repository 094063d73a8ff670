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

# world_zone_of NAME - the longest of the world's zones that NAME is in;
# nothing when none is
world_zone_of() {
    local z zone=""
    for z in "${WORLD_RUNDIR:?}"/dns/*/zone; do
        z=${z%/zone}; z=${z##*/}
        if [ "$1" = "$z" ] || [[ $1 == *".$z" ]]; then
            [ ${#z} -gt ${#zone} ] && zone=$z
        fi
    done
    printf '%s' "$zone"
}

# world_set_txt ZONE OWNER TTL TEXT - OWNER's TXT records in ZONE replaced
# by one holding TEXT ("" for none), then the zone published as
# world_publish_zone does. Returns non-zero, saying why, on failure.
world_set_txt() {
    local zf="${WORLD_RUNDIR:?}/dns/$1/zone"
    awk -v o="$2" 'tolower($1) == o && / TXT / { next } { print }' "$zf" > "$zf.new"
    [ -z "$4" ] || printf '%s %s IN TXT "%s"\n' "$2" "$3" "$4" >> "$zf.new"
    mv "$zf.new" "$zf"
    world_publish_zone "$1"
}

# world_publish_zone ZONE - a new serial, signed again when the zone is
# signed, reloaded by NSD (waiting until it serves the serial), and dropped
# from the validating resolver's cache
world_publish_zone() {
    local d="${WORLD_RUNDIR:?}/dns/$1" serial got="" ns
    world_bump_serial "$1"
    serial=$(sed -n 's/.* \([0-9][0-9]*\) ; serial$/\1/p' "$d/zone")
    if [ -f "$d/keyname" ]; then
        world_sign_zone "$1" || { echo "signing $1 failed" >&2; return 1; }
    else
        cp "$d/zone" "$d/zone.signed"
    fi
    world_exec nsd-control -c "$WORLD_RUNDIR/dns/nsd.conf" reload "$1" >/dev/null ||
        { echo "nsd-control reload failed" >&2; return 1; }
    ns=$(sed -n 's/^ *ip-address: *\([0-9.]*\).*/\1/p' "$WORLD_RUNDIR/dns/nsd.conf")
    for _ in $(seq 250); do
        got=$(world_exec dig +short +norec +tries=1 +time=1 @"$ns" SOA "$1" | awk '{print $3}')
        [ "$got" = "$serial" ] && break
        sleep 0.02
    done
    [ "$got" = "$serial" ] || { echo "NSD did not load serial $serial of $1 (serves '$got')" >&2; return 1; }
    world_resolver_flush "$1"
}
