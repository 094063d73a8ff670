/*
 * NAME
 *	store - the daemon's LMDB state: policies, refresh schedule, meta
 * SUMMARY
 *	one environment under state_dir; one write transaction per change
 * SYNOPSIS
 *	#include "store.h"
 *
 *	store  *store_open(const char *dir, uint64_t max_size, mt_err *err);
 *	void    store_close(store *s);
 *	MDB_env *store_env(store *s);
 *	int     store_get(store *s, const char *domain, store_rec *out, mt_err *err);
 *	int     store_put(store *s, const char *domain, const store_rec *r, mt_err *err);
 *	int     store_put_many(store *s, const char *const *domains,
 *	                    const store_rec *const *recs, size_t n, mt_err *err);
 *	int     store_del(store *s, const char *domain, mt_err *err);
 *	int     store_write(MDB_env *env, const char *what, size_t size,
 *	                    store_txn_fn fn, void *arg, mt_err *err);
 *	int     store_make_room(store *s, mt_err *err);
 *	int     store_foreach(store *s, store_visit_fn fn, void *arg, mt_err *err);
 *	int     store_schedule_due(store *s, int64_t until, store_due_fn fn,
 *	                    void *arg, mt_err *err);
 *	void    store_set_evict_cb(store *s, store_evict_fn fn, void *arg);
 *	void    store_set_lastuse_cb(store *s, store_lastuse_fn fn, void *arg);
 *	int     store_info(store *s, store_stats *st);
 *	void    store_rec_init(store_rec *r);
 *	void    store_rec_free(store_rec *r);
 *	int     store_rec_set_mx(store_rec *r, char *const *mx, size_t n);
 *	int     store_rec_set_text(store_rec *r, const char *text, size_t len);
 *	int     store_rec_copy(store_rec *dst, const store_rec *src);
 *	int     store_rec_encode(const store_rec *r, buf *out);
 *	int     store_rec_decode(const void *data, size_t len, store_rec *out);
 * DESCRIPTION
 *	store_open() opens (creating when needed) the environment
 *	DIR/mtasts.mdb (LMDB with MDB_NOSUBDIR: the files mtasts.mdb and
 *	mtasts.mdb-lock), with room for STORE_MAX_DBS named databases, and
 *	the named databases "policies", "schedule" and "meta". A meta record
 *	"schema" holds STORE_SCHEMA; a newer schema is refused with a
 *	message that says so (nothing is changed). The map starts small and
 *	grows, doubling, up to max_size; at max_size the eviction rule
 *	applies (below). Returns NULL with err on failure.
 *
 *	store_env() gives the LMDB environment to other modules (TLS-RPT,
 *	refresh) that open their own named databases with mdb_dbi_open()
 *	inside their own transactions. Rules for them: never keep a
 *	transaction open across an event-loop iteration (the map can only
 *	grow when no transaction is open), and write through store_write().
 *
 *	store_write() is the one write path of the environment: it runs
 *	fn(txn, arg) in a write transaction and commits it when fn returns
 *	0 (fn returns 0 or an LMDB error code, and must do the same work
 *	when run again: a failed attempt is aborted). what names the write
 *	for messages ("the TLS-RPT report of example.com"; NULL: "a
 *	write"), size is about the bytes it adds (0: unknown). When the map
 *	is full (MDB_MAP_FULL from fn or the commit) it grows the map, or at
 *	max_size evicts within the write's budget (below), and runs fn
 *	again. Returns 0, or the LMDB error code of the last attempt
 *	(MDB_MAP_FULL when no more room would be made: err then says
 *	"store full:", what did not fit, its size and why). An environment
 *	that is not a store's (a test's own) is written once, without
 *	making room. store_make_room() grows the map toward max_size, or at
 *	max_size runs one round of eviction.
 *
 *	Records. "policies" maps a normalised domain (the key, at most
 *	DOMAIN_MAX bytes, well within LMDB's 511) to a store_rec: the cached
 *	policy when has_policy is set, and in any case what the daemon
 *	remembers about the domain (first contact, the last failure and its
 *	back-off, last use). store_get() fills out (the caller owns the mx
 *	and text allocations: store_rec_free()); returns 1 when found, 0
 *	when not, -1 on error. store_put() writes the record in one write
 *	transaction, and in the same transaction keeps "schedule" in step:
 *	the key (8-byte big-endian refresh_due in Unix seconds, then the
 *	domain) exists exactly for records with refresh_due != 0, so the
 *	refresh scheduler walks it in time order (store_schedule_due()).
 *	A record whose text is NULL keeps the policy text already stored
 *	(state-only updates need not carry the policy); when none is stored
 *	(the domain was evicted) such a record with has_policy set is not
 *	written at all: a policy is never stored without its text, and the
 *	domain stays evicted. store_put_many()
 *	writes n records in one transaction (batched state updates).
 *	store_del() removes a record and its schedule key.
 *
 *	store_foreach() calls fn for every record in key order inside one
 *	read transaction; fn's arguments are valid only during the call;
 *	fn returns 0 to go on, non-zero to stop. store_schedule_due() calls
 *	fn(domain, due) for schedule keys with due <= until, in due order.
 *
 *	Eviction (design.md "Storage"; store_evict.c has the details): once
 *	the map has grown to max_size, every write checks the pages in use;
 *	past 7/8 of max_size (at least 256 KiB below it: the room LMDB's
 *	copy-on-write deletes need), and whenever a write finds the map
 *	full, the least recently used domains without an unexpired enforce
 *	policy are deleted from "policies", STORE_EVICT_PERCENT of them at a
 *	time (at least one), and a failed write is retried. A domain's last
 *	use is the later of its stored last_used and what the last-use
 *	callback says (uses the caller has not written yet); a domain the
 *	callback says is STORE_IN_USE is kept. The evict callback hears each
 *	domain deleted so memory indexes can follow. One write evicts at
 *	most STORE_WRITE_EVICT_PERCENT of the candidates, and nothing when
 *	its size alone exceeds what eviction could ever free; a write that
 *	does not fit then fails ("store full: ...") and all other data stays.
 *	Nothing but "policies" (and its schedule keys) is ever evicted.
 *
 *	store_info() fills counts and sizes for stats.
 *
 *	Memory: the store owns nothing of the caller's; strings passed in
 *	are copied into LMDB; store_rec returned by store_get() or passed to
 *	store_visit_fn is the caller's (get) or the store's (visit).
 *	Errors: -1 with err->msg naming the operation and LMDB's reason.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "buf.h"
#include "mt_err.h"
#include "policy.h"
#include "sts_record.h"

#define STORE_FILE "mtasts.mdb"
#define STORE_SCHEMA 1			/* the schema this code writes */
#define STORE_MAX_DBS 16		/* room for TLS-RPT, refresh, outbox ... */
#define STORE_KEY_MAX 511		/* LMDB's default mdb_env_get_maxkeysize() */
#define STORE_MIN_MAP (1024u * 1024u)	/* never start below 1 MiB */
#define STORE_START_MAP (16u * 1024u * 1024u)	/* first map size when the cap allows */
#define STORE_EVICT_PERCENT 10		/* of eviction candidates per round */
#define STORE_WRITE_EVICT_PERCENT 15	/* of them, at most, for one write that does not fit */
#define STORE_WHAT_MAX 160		/* store_write()'s what, as messages show it */
#define STORE_IN_USE INT64_MAX		/* store_lastuse_fn: being looked up, not evictable */

/* why the last fetch or lookup of a domain failed */
typedef enum store_failure {
    STORE_FAIL_NONE = 0,
    STORE_FAIL_TEMP = 1,		/* DNS SERVFAIL/timeout/bogus, connect error */
    STORE_FAIL_DEFINITIVE = 2,		/* status != 200, type, size, cert, body */
    STORE_FAIL_NO_RECORD = 3,		/* no STS record, several, or invalid */
} store_failure;

typedef struct store_rec {
    int has_policy;			/* the fields to text below are set */
    policy_mode mode;
    char id[STS_ID_MAX + 1];
    uint32_t max_age;			/* seconds */
    int64_t fetched;			/* Unix seconds */
    int64_t expires;			/* fetched + max_age */
    int64_t refresh_due;		/* 0: not in the schedule */
    size_t n_mx;
    char **mx;				/* malloc'ed patterns */
    char *text;				/* the policy as fetched, malloc'ed, NUL-ended */
    size_t text_len;

    int64_t last_used;			/* Unix seconds */
    int64_t first_contact;		/* Unix seconds; 0 unknown */
    store_failure last_failure;
    int64_t fail_time;			/* of the last failure, Unix seconds */
    char fail_id[STS_ID_MAX + 1];	/* the id whose fetch failed ("" none) */
    uint32_t fail_count;		/* failures in a row */
} store_rec;

typedef struct store_stats {
    uint64_t entries;			/* policies database */
    uint64_t scheduled;
    uint64_t map_size;			/* current map */
    uint64_t used_bytes;		/* pages in use, less the free list */
    uint64_t file_bytes;		/* up to the highest page ever used */
    uint64_t max_size;
    uint64_t evicted;			/* since open */
} store_stats;

typedef struct store store;
typedef int (*store_visit_fn)(const char *domain, const store_rec *r, void *arg);
typedef int (*store_due_fn)(const char *domain, int64_t due, void *arg);
typedef void (*store_evict_fn)(const char *domain, void *arg);
/* the domain's last use as the caller knows it (Unix seconds; 0 unknown), or STORE_IN_USE */
typedef int64_t (*store_lastuse_fn)(const char *domain, void *arg);
typedef int (*store_txn_fn)(MDB_txn *txn, void *arg);

store *store_open(const char *dir, uint64_t max_size, mt_err *err);
void store_close(store *s);
MDB_env *store_env(store *s);
int store_get(store *s, const char *domain, store_rec *out, mt_err *err);
int store_put(store *s, const char *domain, const store_rec *r, mt_err *err);
int store_put_many(store *s, const char *const *domains, const store_rec *const *recs,
		   size_t n, mt_err *err);
int store_del(store *s, const char *domain, mt_err *err);
int store_write(MDB_env *env, const char *what, size_t size, store_txn_fn fn, void *arg,
		mt_err *err);
int store_foreach(store *s, store_visit_fn fn, void *arg, mt_err *err);
int store_schedule_due(store *s, int64_t until, store_due_fn fn, void *arg, mt_err *err);
void store_set_evict_cb(store *s, store_evict_fn fn, void *arg);
void store_set_lastuse_cb(store *s, store_lastuse_fn fn, void *arg);
int store_make_room(store *s, mt_err *err);
int store_info(store *s, store_stats *st);

void store_rec_init(store_rec *r);
void store_rec_free(store_rec *r);
int store_rec_set_mx(store_rec *r, char *const *mx, size_t n);
int store_rec_set_text(store_rec *r, const char *text, size_t len);
int store_rec_copy(store_rec *dst, const store_rec *src);
int store_rec_encode(const store_rec *r, buf *out);
int store_rec_decode(const void *data, size_t len, store_rec *out);

#endif
