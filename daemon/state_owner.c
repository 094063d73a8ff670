/*
 * state_owner.c - the state directory and its LMDB files belong to the
 * daemon's user
 *
 * SYNOPSIS
 *	int state_give_to(const char *state_dir, uid_t uid, gid_t gid, mt_err *err);
 *
 * DESCRIPTION
 *	See state_owner.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mt_err.h"

#include "state_owner.h"
#include "store.h"

/* give - one path to uid:gid; a missing file is not an error */
static int give(const char *path, uid_t uid, gid_t gid, mt_err *err)
{
    if (chown(path, uid, gid) < 0 && errno != ENOENT) {
	mt_err_set(err, 0, 0, NULL, "cannot give %s to uid %ld: %s", path, (long) uid, strerror(errno));
	return -1;
    }
    return 0;
}

int state_give_to(const char *state_dir, uid_t uid, gid_t gid, mt_err *err)
{
    char path[4096];

    if (mkdir(state_dir, 0750) < 0 && errno != EEXIST) {
	mt_err_set(err, 0, 0, NULL, "cannot create the state directory %s: %s", state_dir, strerror(errno));
	return -1;
    }
    if (give(state_dir, uid, gid, err) < 0)
	return -1;
    snprintf(path, sizeof(path), "%s/%s", state_dir, STORE_FILE);
    if (give(path, uid, gid, err) < 0)
	return -1;
    snprintf(path, sizeof(path), "%s/%s-lock", state_dir, STORE_FILE);
    return give(path, uid, gid, err);
}
