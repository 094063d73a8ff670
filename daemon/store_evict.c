/*
 * NAME
 *	store_evict - the store's size cap: the map grows, then the eviction rule
 * SUMMARY
 *	least recently used domains go first, by the freshest use known
 * SYNOPSIS
 *	#include "store_priv.h"
 *
 *	void     store_check_fullness(store *s);
 *	uint64_t store_used_bytes(store *s);
 *	int      store_make_room(store *s, mt_err *err);
 * DESCRIPTION
 *	The map starts small and doubles, when a write finds it full, up to
 *	max_size (store_max_size). At max_size the eviction rule applies
 *	(design.md "Storage"):
 *
 *	Candidates are the records of "policies" but unexpired enforce
 *	policies and domains the last-use callback reports STORE_IN_USE
 *	(being looked up now). Each is ranked by the later of its stored
 *	last_used and the last use the callback reports: the policy cache
 *	writes last-use times in batches (PC_TOUCH_INTERVAL_MS), so the
 *	stored one may be a minute old, and a domain used meanwhile must not
 *	look colder than it is. The least recently used go first,
 *	STORE_EVICT_PERCENT of the candidates per round (at least one); the
 *	evict callback hears each domain deleted. Nothing else is ever
 *	evicted: TLS-RPT's databases and the meta record stay.
 *
 *	Proactive round: after each committed write at the cap, when the
 *	pages in use pass soft_size (7/8 of the cap, at least
 *	STORE_RESERVE_MIN below it: the room LMDB's copy-on-write deletes
 *	need), one round (store_check_fullness()).
 *
 *	A write that finds the map full (store_write()) runs a round and is
 *	tried again, up to STORE_WRITE_ATTEMPTS times; when nothing can be
 *	evicted it fails with "store full".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>

#include "mt_err.h"

#include "store.h"
#include "store_priv.h"

#define STORE_EVICT_TXN 64		/* deletes per eviction transaction */
#define STORE_CHECK_EVERY 1		/* writes between fullness checks at the cap */

typedef struct evict_cand {
    char *domain;
    int64_t last_used;			/* the later of the stored and the in-memory use */
} evict_cand;

typedef struct evict_scan {
    store *s;
    evict_cand *v;
    size_t n, cap;
    int64_t now;
    int oom;
} evict_scan;

/* collect_candidate - a domain the eviction rule may delete, with its freshest use */
static int collect_candidate(const char *domain, const store_rec *r, void *arg)
{
    evict_scan *sc = arg;
    store *s = sc->s;
    int64_t used = r->last_used, mem;

    if (r->has_policy && r->mode == POLICY_MODE_ENFORCE && r->expires > sc->now)
	return 0;			/* unexpired enforce: kept */
    if (s->lastuse_cb) {
	if ((mem = s->lastuse_cb(domain, s->lastuse_arg)) == STORE_IN_USE)
	    return 0;			/* being looked up: kept */
	if (mem > used)
	    used = mem;			/* used since the last batched commit */
    }
    if (sc->n == sc->cap) {
	size_t nc = sc->cap ? sc->cap * 2 : 256;
	evict_cand *nv = realloc(sc->v, nc * sizeof(*nv));

	if (nv == NULL)
	    return sc->oom = 1;
	sc->v = nv;
	sc->cap = nc;
    }
    if ((sc->v[sc->n].domain = strdup(domain)) == NULL)
	return sc->oom = 1;
    sc->v[sc->n++].last_used = used;
    return 0;
}

/* cand_cmp - least recently used first */
static int cand_cmp(const void *a, const void *b)
{
    const evict_cand *x = a, *y = b;

    return (x->last_used > y->last_used) - (x->last_used < y->last_used);
}

/* scan_free - the candidates' memory */
static void scan_free(evict_scan *sc)
{
    size_t i;

    for (i = 0; i < sc->n; i++)
	free(sc->v[i].domain);
    free(sc->v);
}

/* scan - every candidate, least recently used first; -1 with err */
static int scan(store *s, evict_scan *sc, mt_err *err)
{
    memset(sc, 0, sizeof(*sc));
    sc->s = s;
    sc->now = (int64_t) time(NULL);
    if (store_foreach(s, collect_candidate, sc, err) < 0)
	return -1;
    if (sc->oom) {
	mt_err_set(err, 0, 0, NULL, "store: out of memory while evicting");
	return -1;
    }
    qsort(sc->v, sc->n, sizeof(*sc->v), cand_cmp);
    return 0;
}

/* delete_first - delete the first n candidates; how many went, *rc what stopped it */
static size_t delete_first(store *s, const evict_scan *sc, size_t n, int *rc)
{
    size_t i, gone, per;
    MDB_txn *txn;

    *rc = 0;
    for (gone = 0, per = STORE_EVICT_TXN; gone < n && *rc == 0;) {
	size_t end = gone + per < n ? gone + per : n;

	if ((*rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
	    break;
	for (i = gone; i < end && *rc == 0; i++)
	    if ((*rc = store_del_in_txn(s, txn, sc->v[i].domain)) == MDB_NOTFOUND)
		*rc = 0;
	if (*rc != 0)
	    mdb_txn_abort(txn);
	else if ((*rc = mdb_txn_commit(txn)) == 0)
	    gone = end;
	/* Deletes copy pages too: when even they find the map full, fewer at a time. */
	if (*rc == MDB_MAP_FULL && per > 1) {
	    per /= 2;
	    *rc = 0;
	}
    }
    /* The committed deletes are done even when a later one failed: report them. */
    s->evicted += gone;
    for (i = 0; i < gone; i++)
	if (s->evict_cb)
	    s->evict_cb(sc->v[i].domain, s->evict_arg);
    return gone;
}

/* evict - one round: delete STORE_EVICT_PERCENT of the candidates (at least one) */
static int evict(store *s, mt_err *err)
{
    evict_scan sc;
    size_t n;
    int rc;

    if (scan(s, &sc, err) < 0) {
	scan_free(&sc);
	return -1;
    }
    if (sc.n == 0) {
	scan_free(&sc);
	mt_err_set(err, 0, 0, NULL,
		   "store full: %llu bytes hold only unexpired enforce policies;"
		   " raise store_max_size", (unsigned long long) s->max_size);
	return -1;
    }
    n = sc.n * STORE_EVICT_PERCENT / 100;
    if (n == 0)
	n = 1;
    (void) delete_first(s, &sc, n, &rc);
    scan_free(&sc);
    return rc != 0 ? store_lmdb_fail(err, "evicting", rc) : 0;
}

/*
 * store_used_bytes - pages in use (the highest page less those on the free list)
 *
 * Copy-on-write: even a delete needs free pages, so a map that is full
 * to the last page cannot shrink its content. We therefore evict when
 * the pages in use pass soft_size, leaving the rest for the deletes
 * themselves; MDB_MAP_FULL at the cap is the backstop.
 */
uint64_t store_used_bytes(store *s)
{
    MDB_envinfo info;
    MDB_stat ms;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t free_pages = 0;

    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &ms) != 0)
	return 0;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
	return 0;
    if (mdb_cursor_open(txn, 0 /* FREE_DBI */ , &cur) == 0) {
	while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0)
	    if (v.mv_size >= sizeof(size_t))
		free_pages += *(const size_t *) v.mv_data;
	mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    if (free_pages > info.me_last_pgno + 1)
	return 0;
    return (uint64_t) (info.me_last_pgno + 1 - free_pages) * ms.ms_psize;
}

/* store_check_fullness - after a write at the cap: one round past soft_size */
void store_check_fullness(store *s)
{
    mt_err ignore;

    if (s->map_size < s->max_size || ++s->writes < STORE_CHECK_EVERY)
	return;
    s->writes = 0;
    if (store_used_bytes(s) > s->soft_size)
	(void) evict(s, &ignore);
}

/* grow - double the map, up to the cap */
static int grow(store *s, mt_err *err)
{
    uint64_t n = s->map_size * 2;
    int rc;

    if (n > s->max_size)
	n = s->max_size;
    if ((rc = mdb_env_set_mapsize(s->env, (size_t) n)) != 0)
	return store_lmdb_fail(err, "growing the map", rc);
    s->map_size = n;
    return 0;
}

/* store_make_room - grow the map toward the cap, or evict at the cap */
int store_make_room(store *s, mt_err *err)
{
    if (s->map_size < s->max_size)
	return grow(s, err);
    return evict(s, err);
}
