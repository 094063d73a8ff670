#!/bin/sh
# NAME
#	exec.sh - run a command inside the test world's network namespace
# SYNOPSIS
#	tests/world/exec.sh CMD [ARG...]
# DESCRIPTION
#	Needs WORLD_NETNS (from tests/world/up.sh's exports). Inside, the
#	resolver is the world's validating unbound (/etc/resolv.conf) and
#	/etc/exim-mtasts-test/lookups is the world's WORLD_EXIM_LOOKUP_MODULE_DIR.
[ -n "${WORLD_NETNS:-}" ] || { echo "exec.sh: WORLD_NETNS is not set" >&2; exit 2; }
exec ip netns exec "$WORLD_NETNS" "$@"
