#!/usr/bin/env bash
# NAME
#	set-policy.sh - change what the test world serves for a domain
# SYNOPSIS
#	tests/world/set-policy.sh RUNDIR DOMAIN FILE [ID]
# DESCRIPTION
#	FILE (or "-" to keep the current one) becomes the policy that
#	https://mta-sts.DOMAIN/.well-known/mta-sts.txt serves, at once (nginx
#	serves the file RUNDIR/www/DOMAIN.txt; no reload needed).
#
#	ID, when given, replaces DOMAIN's _mta-sts TXT records with one
#	"v=STSv1; id=ID;" (TTL 1), or removes them when ID is "none". The zone
#	is re-signed with its key (the deliberate damage of the bogus domain
#	is re-applied), NSD reloads it (nsd-control over its unix socket), and
#	this script waits until NSD serves the new serial, then drops the
#	zone from the namespace resolver's cache. Takes well under a second.
#	Clients with their own cache (libunbound) see the change once the
#	TTL of 1 second has passed.
#
#	Exits non-zero, saying why, if DOMAIN has no policy host (for FILE) or
#	its _mta-sts name is a CNAME (for ID).
set -euo pipefail
RUNDIR=${1:?usage: set-policy.sh RUNDIR DOMAIN FILE [ID]}
DOMAIN=${2:?usage: set-policy.sh RUNDIR DOMAIN FILE [ID]}
FILE=${3:?usage: set-policy.sh RUNDIR DOMAIN FILE [ID]}
ID=${4:-}
RUNDIR=$(cd "$RUNDIR" && pwd)
export WORLD_RUNDIR=$RUNDIR
WORLD_NETNS=$(cat "$RUNDIR/netns") || { echo "set-policy.sh: no world in $RUNDIR" >&2; exit 1; }
export WORLD_NETNS
. "$(dirname "$0")/lib.sh"
DOMAIN=${DOMAIN%.}
DOMAIN=${DOMAIN,,}
die() { echo "set-policy.sh: $*" >&2; exit 1; }

exec 9>"$RUNDIR/dns/.set-policy.lock"
flock 9

if [ "$FILE" != "-" ]; then
    f=$RUNDIR/www/$DOMAIN.txt
    [ -f "$f" ] || die "$DOMAIN has no policy host serving a file in this world"
    cp "$FILE" "$f.new"
    chmod 0644 "$f.new"
    mv "$f.new" "$f"
fi
[ -n "$ID" ] || exit 0
if [ "$ID" != none ] && ! [[ $ID =~ ^[A-Za-z0-9]{1,32}$ ]]; then
    echo "set-policy.sh: warning: id '$ID' is not 1-32 letters or digits (served anyway)" >&2
fi

# the zone: the longest zone name that DOMAIN is in
zone=""
for z in "$RUNDIR"/dns/*/zone; do
    z=${z%/zone}; z=${z##*/}
    if [ "$DOMAIN" = "$z" ] || [[ $DOMAIN == *".$z" ]]; then
        [ ${#z} -gt ${#zone} ] && zone=$z
    fi
done
[ -n "$zone" ] || die "$DOMAIN is in none of the world's zones"
zf=$RUNDIR/dns/$zone/zone
owner="_mta-sts.$DOMAIN."
grep -qiE "^${owner//./\\.}[[:space:]].*[[:space:]]CNAME[[:space:]]" "$zf" && die "$owner is a CNAME"

awk -v o="$owner" 'tolower($1) == o && / TXT / { next } { print }' "$zf" > "$zf.new"
[ "$ID" = none ] || printf '%s 1 IN TXT "v=STSv1; id=%s;"\n' "$owner" "$ID" >> "$zf.new"
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
