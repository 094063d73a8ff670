#!/bin/sh
# run.sh - make run: mtastsd in the foreground on a development
# configuration (etc/mtastsd.dev.conf) whose socket and LMDB state live in
# run/ under the checkout. In another terminal:
#   build/mtasts query example.com        (finds run/mtastsd.sock by itself)
#   build/mtasts cache list ; build/mtasts stats
# Stop it with Ctrl-C (SIGINT: it finishes its answers and commits).
set -eu
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/run"
echo "mtastsd: socket $top/run/mtastsd.sock, state $top/run/state; Ctrl-C stops it" >&2
exec "$BUILD/mtastsd" -f -c "$top/etc/mtastsd.dev.conf" \
    -o "socket=$top/run/mtastsd.sock" -o "state_dir=$top/run/state"
