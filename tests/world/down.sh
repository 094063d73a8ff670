#!/usr/bin/env bash
# NAME
#	down.sh - stop the hermetic test world
# SYNOPSIS
#	tests/world/down.sh RUNDIR
# DESCRIPTION
#	Stops every server tests/world/up.sh RUNDIR started (by its pid file,
#	only if that pid still lives in the world's namespace), then every
#	other process left in the namespace (a test's own daemons), first with
#	SIGTERM, after a second with SIGKILL; deletes the namespace and
#	/etc/netns/<ns>. Keeps RUNDIR and its files (logs, stored messages).
#	Harmless when run twice or when up.sh never ran.
set -u
RUNDIR=${1:?usage: down.sh RUNDIR}
[ -d "$RUNDIR" ] || exit 0
NS=$(cat "$RUNDIR/netns" 2>/dev/null) || exit 0
case $NS in mtw-*) ;; *) echo "down.sh: $RUNDIR/netns names no world namespace" >&2; exit 1;; esac

# ns_pids - the processes whose network namespace is the world's
ns_pids() { [ -e "/run/netns/$NS" ] && ip netns pids "$NS" 2>/dev/null; }

for f in "$RUNDIR"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$NS" ]; then
        kill -TERM "$pid" 2>/dev/null
    fi
    rm -f "$f"
done
left=$(ns_pids)
[ -n "$left" ] && kill -TERM $left 2>/dev/null
for _ in $(seq 100); do
    left=$(ns_pids)
    [ -z "$left" ] && break
    sleep 0.01
done
if [ -n "$left" ]; then
    kill -KILL $left 2>/dev/null
    for _ in $(seq 100); do [ -z "$(ns_pids)" ] && break; sleep 0.01; done
fi
if [ -e "/run/netns/$NS" ]; then
    ip netns del "$NS" || { echo "down.sh: ip netns del $NS failed" >&2; exit 1; }
fi
rm -rf "/etc/netns/$NS"
rm -f "$RUNDIR/netns" "$RUNDIR/world.env"
exit 0
