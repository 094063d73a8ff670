/*
 * NAME
 *	store_priv - what store.c and store_evict.c share, and no one else
 * SUMMARY
 *	the store's state; the size cap's entry points for the write path
 * SYNOPSIS
 *	#include "store_priv.h"
 *
 *	int      store_lmdb_fail(mt_err *err, const char *what, int rc);
 *	int      store_del_in_txn(store *s, MDB_txn *txn, const char *domain);
 *	int      store_room_for(store *s, const char *what, size_t size,
 *	                        store_budget *b, mt_err *err);
 *	void     store_check_fullness(store *s);
 *	uint64_t store_used_bytes(store *s);
 * DESCRIPTION
 *	Other modules use store.h. store.c holds the records and the one
 *	write path (store_write()); store_evict.c holds the size cap: the
 *	map's growth and the eviction rule (see store_evict.c).
 *
 *	store_lmdb_fail() fills err with an operation and LMDB's reason and
 *	returns -1. store_del_in_txn() deletes a record and its schedule key
 *	inside txn (an LMDB code).
 *
 *	store_room_for() is called by store_write() when a write found the
 *	map full: it grows the map, or evicts within the write's budget b
 *	(zeroed before the first call); -1 with err naming what (size
 *	bytes; 0: unknown) when it will make no more room for this write.
 *	store_check_fullness() runs after every committed write at the cap
 *	(the proactive round). store_used_bytes() is the pages in use.
 */
#ifndef STORE_PRIV_H
#define STORE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "mt_err.h"

#include "store.h"

#define STORE_SCHED_KEY_MAX (8 + STORE_KEY_MAX)

struct store {
    MDB_env *env;
    MDB_dbi policies, schedule, meta;
    uint64_t max_size;			/* the hard cap: the map never exceeds it */
    uint64_t soft_size;			/* pages in use above this: evict first */
    unsigned writes;			/* since the last fullness check */
    uint64_t map_size;
    uint64_t evicted;
    store_evict_fn evict_cb;
    void *evict_arg;
    store_lastuse_fn lastuse_cb;
    void *lastuse_arg;
};

/* What one write has evicted so far (store_room_for()) */
typedef struct store_budget {
    int started;			/* left is set: the first round has run */
    size_t left;			/* domains this write may still evict */
    size_t gone;			/* domains it evicted */
} store_budget;

int store_lmdb_fail(mt_err *err, const char *what, int rc);
int store_del_in_txn(store *s, MDB_txn *txn, const char *domain);
int store_room_for(store *s, const char *what, size_t size, store_budget *b, mt_err *err);
void store_check_fullness(store *s);
uint64_t store_used_bytes(store *s);

#endif
