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
zone=$(world_zone_of "$DOMAIN")
[ -n "$zone" ] || die "$DOMAIN is in none of the world's zones"
zf=$RUNDIR/dns/$zone/zone
owner="_mta-sts.$DOMAIN."
grep -qiE "^${owner//./\\.}[[:space:]].*[[:space:]]CNAME[[:space:]]" "$zf" && die "$owner is a CNAME"

text="v=STSv1; id=$ID;"; [ "$ID" = none ] && text=""
world_set_txt "$zone" "$owner" 1 "$text" || die "publishing $zone failed"
