# daemon_lib.sh - start and stop a private mtastsd for an integration test.
# Source it after tests/lib.sh.
#
#   daemon_start [-n] [-c FILE] [KEY=VALUE]...   start mtastsd -f in a fresh
#       directory ($D_DIR); socket $D_SOCK, state $D_DIR/state, log $D_LOG.
#       -n runs it inside the test world's network namespace
#       (tests/world/exec.sh) with the world's configuration
#       ($WORLD_MTASTSD_CONF) when set. -c reads FILE instead (rewrite it
#       and send SIGHUP to test a reload: KEY=VALUE, given as -o, would
#       override the file).
#       Waits until it answers ping. Returns non-zero (log tail on stderr)
#       when it does not start.
#   daemon_stop                        SIGTERM, wait; SIGKILL if it lingers
#   daemon_kill9                       kill -9, no clean-up by the daemon
#   daemon_restart                     start again on the same state
#   ask LINE...                        one request per argument on one
#       connection; prints the answers (tests/integration/mtclient.py)
# The EXIT trap stops the daemon and removes $D_DIR.
: "${BUILD:=build}"
D_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
D_DIR=$(mktemp -d /tmp/mtasts-daemon-test.XXXXXX)
chmod 0755 "$D_DIR"
D_SOCK=$D_DIR/mtastsd.sock
D_LOG=$D_DIR/mtastsd.log
D_PID=
D_NETNS=0
D_CONF=
D_ARGS=()
MTCLIENT="/usr/bin/python3 $D_TOP/tests/integration/mtclient.py"

daemon_cleanup() {
    if [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; then
        kill -TERM "$D_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$D_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$D_PID" 2>/dev/null
    fi
    rm -rf "$D_DIR"
}
trap daemon_cleanup EXIT

# Tests may use lifetimes of seconds: durations below their minimum
# (fetch_backoff, ...) are allowed, each logged (mtastsd.conf(5), ENVIRONMENT).
daemon_launch() {
    local cmd=(env MTASTS_TEST_NO_MINIMUMS=1 "$D_TOP/$BUILD/mtastsd" -f)
    [ "${BUILD#/}" != "$BUILD" ] && cmd=(env MTASTS_TEST_NO_MINIMUMS=1 "$BUILD/mtastsd" -f)
    if [ -n "$D_CONF" ]; then
        cmd+=(-c "$D_CONF")
    elif [ "$D_NETNS" = 1 ] && [ -n "${WORLD_MTASTSD_CONF:-}" ]; then
        cmd+=(-c "$WORLD_MTASTSD_CONF")
    fi
    if [ "$D_NETNS" != 1 ]; then
        # outside the world no DNS question may leave loopback: every zone
        # goes to a port where nothing answers (a test's own -o wins)
        printf 'server:\n    do-not-query-localhost: no\nstub-zone:\n    name: "."\n    stub-addr: 127.0.0.1@9\n' \
            > "$D_DIR/no-network-unbound.conf"
        cmd+=(-o "unbound_config=$D_DIR/no-network-unbound.conf")
    fi
    cmd+=(-o "socket=$D_SOCK" -o "state_dir=$D_DIR/state" "${D_ARGS[@]}")
    if [ "$D_NETNS" = 1 ]; then
        "${WORLD_EXEC_SH:-$D_TOP/tests/world/exec.sh}" "${cmd[@]}" >>"$D_LOG" 2>&1 &
    else
        "${cmd[@]}" >>"$D_LOG" 2>&1 &
    fi
    D_PID=$!
    for _ in $(seq 100); do
        if [ -S "$D_SOCK" ] && $MTCLIENT "$D_SOCK" ping >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$D_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "mtastsd did not start:" >&2
    tail -n 20 "$D_LOG" >&2
    return 1
}

daemon_start() {
    D_ARGS=()
    D_CONF=
    if [ "${1:-}" = "-n" ]; then D_NETNS=1; shift; fi
    if [ "${1:-}" = "-c" ]; then D_CONF=$2; shift 2; fi
    local kv
    for kv in "$@"; do D_ARGS+=(-o "$kv"); done
    daemon_launch
}

daemon_restart() { daemon_launch; }

daemon_stop() {
    [ -n "$D_PID" ] || return 0
    kill -TERM "$D_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$D_PID" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$D_PID" 2>/dev/null; then
        kill -KILL "$D_PID" 2>/dev/null
        wait "$D_PID" 2>/dev/null
        D_PID=
        return 1
    fi
    wait "$D_PID" 2>/dev/null
    local rc=$?
    D_PID=
    return $rc
}

daemon_kill9() {
    kill -KILL "$D_PID" 2>/dev/null
    wait "$D_PID" 2>/dev/null
    D_PID=
}

ask() { $MTCLIENT "$D_SOCK" "$@"; }

# stat_of KEY - one counter from the stats verb
stat_of() { ask stats | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# world_conf - an mtastsd configuration for the test world, in $D_DIR/world.conf
# (its DNS through the world's NSD with the world's trust anchor, its CA, and
# the policy hosts' loopback addresses allowed); sets WORLD_MTASTSD_CONF.
world_conf() {
    cat > "$D_DIR/world.conf" <<EOC
unbound_config = $WORLD_UNBOUND_CONF
root_anchor_file =
ca_file = $WORLD_CA_FILE
fetch_allow_address = 127.0.0.0/8
dns_timeout = 3s
fetch_timeout = 10s
EOC
    WORLD_MTASTSD_CONF=$D_DIR/world.conf
}
