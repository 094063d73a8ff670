#!/usr/bin/env bash
# t_daemon_user.sh - mtastsd started as root binds its socket, then drops to
# the configured user (mtastsd.conf(5) "user"); the state directory and a
# store that root wrote earlier (a run without "user", mtasts cache import)
# are given to that user, so the store still opens and keeps its policies.
. tests/lib.sh
. tests/integration/daemon_lib.sh
U=nobody
if [ "$(id -u)" != 0 ]; then fail runs-as-root "this test starts mtastsd as root"; exit 1; fi

# a store written by root
daemon_start || { fail root_daemon_starts "see log"; exit 1; }
expect_eq store_written_by_root "$(stat -c %U "$D_DIR/state/mtasts.mdb")" root
daemon_stop

# the same state, now with user = nobody
daemon_start "user=$U" || { fail user_daemon_starts "$(tail -n 3 "$D_LOG")"; exit 1; }
pass user_daemon_starts
expect_eq daemon_runs_as_user "$(ps -o user= -p "$D_PID" | tr -d ' ')" "$U"
expect_eq state_dir_given_to_user "$(stat -c %U "$D_DIR/state")" "$U"
expect_eq store_given_to_user "$(stat -c %U "$D_DIR/state/mtasts.mdb")" "$U"
expect_eq store_lock_given_to_user "$(stat -c %U "$D_DIR/state/mtasts.mdb-lock")" "$U"
expect_eq socket_owned_by_user "$(stat -c %U "$D_SOCK")" "$U"
expect_match user_daemon_answers "$(ask ping)" "^ok version="
daemon_stop

# a user that does not exist: a clear error, nothing started
if "$BUILD/mtastsd" -f -o "socket=$D_DIR/x.sock" -o "state_dir=$D_DIR/x" -o user=no-such-user-mtasts \
    >"$D_DIR/nouser.log" 2>&1; then
    fail unknown_user_refused "it started"
else
    expect_match unknown_user_refused "$(cat "$D_DIR/nouser.log")" "no-such-user-mtasts"
fi
[ "$TESTS_FAILED" -eq 0 ]
