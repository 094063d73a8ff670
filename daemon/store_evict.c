/*
 * NAME
 *	store_evict - the store's size cap: the map grows, then the eviction rule
 * SUMMARY
 *	least recently used domains go first; one write evicts a bounded share
 * SYNOPSIS
 *	#include "store_priv.h"
 *
 *	int      store_room_for(store *s, const char *what, size_t size,
 *	                        store_budget *b, mt_err *err);
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
 *	A write that finds the map full (store_room_for()) fails at once,
 *	evicting nothing, when its size is known and larger than the cap
 *	less the data eviction never removes (every page but those of
 *	"policies" and "schedule"). Otherwise a round runs and the write is
 *	tried again, until the write has evicted STORE_WRITE_EVICT_PERCENT
 *	of the candidates it first saw, or a round deletes nothing; then it
 *	fails with err naming the write and its size. What was evicted
 *	stays evicted; all else is kept. (Whether a round freed pages is no
 *	test: deleting small records leaves room inside pages that the
 *	retried write may use while the page count stays the same.)
 *
 *	Cost: store_check_fullness() reads the high-water mark (O(1)) and
 *	walks LMDB's free list (one entry per freeing transaction not yet
 *	reused: microseconds beside a commit's fsync) only past soft_size;
 *	so checking after every write (STORE_CHECK_EVERY 1) is cheap. A
 *	round reads every record (O(n log n)) and deletes a tenth of them in
 *	transactions of STORE_EVICT_TXN, so it runs about once per tenth of
 *	the cap written; with millions of domains one round holds the event
 *	loop for seconds (one fsync per STORE_EVICT_TXN deletes).
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

/*
 * evict - one round: STORE_EVICT_PERCENT of the candidates (at least one),
 * within b when b is not NULL; 0, 1 when nothing could be evicted, -1 with err
 */
static int evict(store *s, store_budget *b, mt_err *err)
{
    evict_scan sc;
    size_t n, gone;
    int rc;

    if (scan(s, &sc, err) < 0) {
	scan_free(&sc);
	return -1;
    }
    if (sc.n == 0) {
	scan_free(&sc);
	return 1;
    }
    n = sc.n * STORE_EVICT_PERCENT / 100;
    if (n == 0)
	n = 1;
    if (b != NULL) {
	if (!b->started) {
	    b->started = 1;
	    b->left = sc.n * STORE_WRITE_EVICT_PERCENT / 100;
	    if (b->left == 0)
		b->left = 1;
	}
	if (n > b->left)
	    n = b->left;
    }
    gone = delete_first(s, &sc, n, &rc);
    if (b != NULL) {
	b->left -= gone;
	b->gone += gone;
    }
    scan_free(&sc);
    if (rc != 0)
	return store_lmdb_fail(err, "evicting", rc);
    return gone == 0;			/* all gone already: nothing freed */
}

/* high_water - bytes up to the highest page ever used: O(1), at least the pages in use */
static uint64_t high_water(store *s)
{
    MDB_envinfo info;
    MDB_stat ms;

    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &ms) != 0)
	return 0;
    return (uint64_t) (info.me_last_pgno + 1) * ms.ms_psize;
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

/* evictable_bytes - at most what eviction could free: every page of "policies" and "schedule" */
static uint64_t evictable_bytes(store *s)
{
    MDB_dbi dbi[2] = {s->policies, s->schedule};
    uint64_t pages = 0;
    MDB_stat ms, env;
    MDB_txn *txn;
    int i;

    if (mdb_env_stat(s->env, &env) != 0 || mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
	return s->max_size;		/* unknown: assume all of it */
    for (i = 0; i < 2; i++)
	if (mdb_stat(txn, dbi[i], &ms) == 0)
	    pages += ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages;
    mdb_txn_abort(txn);
    return pages * env.ms_psize;
}

/* store_check_fullness - after a write at the cap: one round past soft_size */
void store_check_fullness(store *s)
{
    mt_err ignore;

    if (s->map_size < s->max_size || ++s->writes < STORE_CHECK_EVERY)
	return;
    s->writes = 0;
    if (high_water(s) > s->soft_size && store_used_bytes(s) > s->soft_size)
	(void) evict(s, NULL, &ignore);
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

/* kept_bytes - at least the bytes in use that eviction can never free */
static uint64_t kept_bytes(store *s)
{
    uint64_t used = store_used_bytes(s), freeable = evictable_bytes(s);

    return used > freeable ? used - freeable : 0;
}

/* store_room_for - the map is full for what (size bytes, 0 unknown): grow, or evict within b */
int store_room_for(store *s, const char *what, size_t size, store_budget *b, mt_err *err)
{
    char name[STORE_WHAT_MAX];
    uint64_t kept;
    int rc;

    if (s->map_size < s->max_size)
	return grow(s, err);
    if (size)
	snprintf(name, sizeof(name), "%s (%zu bytes)", what, size);
    else
	snprintf(name, sizeof(name), "%s", what);
    /* Before the first round: a write larger than all eviction could free evicts nothing. */
    if (size && !b->started && ((kept = kept_bytes(s)) >= s->max_size
				|| size > s->max_size - kept)) {
	mt_err_set(err, 0, 0, NULL, "store full: %s can never fit: store_max_size is %llu"
		   " bytes and %llu hold data never evicted; nothing evicted; raise store_max_size",
		   name, (unsigned long long) s->max_size, (unsigned long long) kept);
	return -1;
    }
    if (b->started && b->left == 0) {
	mt_err_set(err, 0, 0, NULL, "store full: %s did not fit after evicting %zu domains,"
		   " the most one write may (%d%%); raise store_max_size", name, b->gone,
		   STORE_WRITE_EVICT_PERCENT);
	return -1;
    }
    if ((rc = evict(s, b, err)) < 0)
	return -1;
    if (rc > 0) {
	mt_err_set(err, 0, 0, NULL, "store full: %s did not fit: the rest holds only unexpired"
		   " enforce policies, domains being looked up and TLS-RPT data;"
		   " raise store_max_size", name);
	return -1;
    }
    return 0;
}

/* store_make_room - grow the map toward the cap, or one round of eviction at the cap */
int store_make_room(store *s, mt_err *err)
{
    int rc;

    if (s->map_size < s->max_size)
	return grow(s, err);
    if ((rc = evict(s, NULL, err)) > 0)
	mt_err_set(err, 0, 0, NULL, "store full: %llu bytes hold only unexpired enforce"
		   " policies, domains being looked up and TLS-RPT data; raise store_max_size",
		   (unsigned long long) s->max_size);
    return rc == 0 ? 0 : -1;
}
