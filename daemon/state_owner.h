/*
 * state_owner.h - the state directory and its LMDB files belong to the
 * daemon's user
 *
 * SYNOPSIS
 *	int state_give_to(const char *state_dir, uid_t uid, gid_t gid, mt_err *err);
 *
 * DESCRIPTION
 *	Run as root before dropping to the configured user (mtastsd) or after
 *	writing the store for it (mtasts cache import): creates state_dir
 *	(0750) when missing and gives it, mtasts.mdb and mtasts.mdb-lock to
 *	uid:gid, so that a store first written by root (an earlier run
 *	without "user", an import) opens after the drop. Files that do not
 *	exist yet are skipped. Returns 0, or -1 with err naming the path.
 */
#ifndef STATE_OWNER_H
#define STATE_OWNER_H

#include <sys/types.h>

#include "mt_err.h"

int state_give_to(const char *state_dir, uid_t uid, gid_t gid, mt_err *err);

#endif
