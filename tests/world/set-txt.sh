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

zone=$(world_zone_of "$NAME")
[ -n "$zone" ] || die "$NAME is in none of the world's zones"
text=$TEXT; [ "$TEXT" = none ] && text=""
world_set_txt "$zone" "$NAME." 60 "$text" || die "publishing $zone failed"
