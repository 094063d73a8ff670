#!/usr/bin/env bash
# NAME
#	set-txt.sh - replace the TXT records of one name in the test world
# SYNOPSIS
#	tests/world/set-txt.sh RUNDIR NAME TEXT|none
# DESCRIPTION
#	NAME (a fully qualified name in one of the world's zones, such as
#	_smtp._tls.testing.example.test) gets one TXT record "TEXT" (TTL 60,
#	as the world's other non-STS records), or none when TEXT is "none".
#	Otherwise as set-policy.sh does it: the zone is re-signed (the
#	bogus domain stays bogus), NSD reloads it, the script waits for the
#	new serial and drops the zone from the namespace resolver's cache.
#	Clients with their own cache (libunbound) see the change after the
#	TTL: change a name before a client first asks for it. A test that
#	changes a name should put it back (tests/world/gen.py has the value).
#	TEXT must not hold a double quote or a backslash.
set -euo pipefail
RUNDIR=${1:?usage: set-txt.sh RUNDIR NAME TEXT|none}
NAME=${2:?usage: set-txt.sh RUNDIR NAME TEXT|none}
TEXT=${3:?usage: set-txt.sh RUNDIR NAME TEXT|none}
RUNDIR=$(cd "$RUNDIR" && pwd)
export WORLD_RUNDIR=$RUNDIR
WORLD_NETNS=$(cat "$RUNDIR/netns") || { echo "set-txt.sh: no world in $RUNDIR" >&2; exit 1; }
export WORLD_NETNS
. "$(dirname "$0")/lib.sh"
NAME=${NAME%.}
NAME=${NAME,,}
die() { echo "set-txt.sh: $*" >&2; exit 1; }
case $TEXT in *'"'*|*'\'*) die "TEXT holds a quote or a backslash" ;; esac

exec 9>"$RUNDIR/dns/.set-policy.lock"	# the same lock as set-policy.sh
flock 9

zone=""
for z in "$RUNDIR"/dns/*/zone; do
    z=${z%/zone}; z=${z##*/}
    if [ "$NAME" = "$z" ] || [[ $NAME == *".$z" ]]; then
        [ ${#z} -gt ${#zone} ] && zone=$z
    fi
done
[ -n "$zone" ] || die "$NAME is in none of the world's zones"
zf=$RUNDIR/dns/$zone/zone
owner="$NAME."
awk -v o="$owner" 'tolower($1) == o && / TXT / { next } { print }' "$zf" > "$zf.new"
[ "$TEXT" = none ] || printf '%s 60 IN TXT "%s"\n' "$owner" "$TEXT" >> "$zf.new"
mv "$zf.new" "$zf"
world_bump_serial "$zone"
serial=$(sed -n 's/.* \([0-9][0-9]*\) ; serial$/\1/p' "$zf")
if [ -f "$RUNDIR/dns/$zone/keyname" ]; then
    world_sign_zone "$zone" || die "signing $zone failed"
else
    cp "$zf" "$RUNDIR/dns/$zone/zone.signed"
fi
world_exec nsd-control -c "$RUNDIR/dns/nsd.conf" reload "$zone" >/dev/null || die "nsd-control reload failed"
for _ in $(seq 250); do
    got=$(world_exec dig +short +norec +tries=1 +time=1 @"$(sed -n 's/^ *ip-address: *\([0-9.]*\).*/\1/p' "$RUNDIR/dns/nsd.conf")" SOA "$zone" | awk '{print $3}')
    [ "$got" = "$serial" ] && break
    sleep 0.02
done
[ "$got" = "$serial" ] || die "NSD did not load serial $serial of $zone (serves '$got')"
world_resolver_flush "$zone"
