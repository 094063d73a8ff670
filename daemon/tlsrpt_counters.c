/*
 * NAME
 *	tlsrpt_counters - TLS-RPT session counts: in memory, committed to LMDB in batches
 * DESCRIPTION
 *	See tlsrpt_counters.h.
 *
 *	Layout in LMDB (all integers big-endian, so keys sort by day):
 *	  tlsrpt_counters  key  day(4) domain 0x00 policy-id(4) result(1) detail-id(4)
 *	                   val  count (8)
 *	  tlsrpt_intern    key  kind(1) SHA-256(blob)(32)      val  id(4)
 *	                   key  "\0next"                        val  next id(4)
 *	  tlsrpt_blobs     key  id(4)                           val  kind(1) blob
 *	kind 'P': a policy, blob = type(1) policy-string 0x00 mx-host;
 *	kind 'D': a failure detail, blob = sending-ip 0x00 mx 0x00
 *	receiving-ip 0x00 helo 0x00 reason. detail-id 0 is "no detail"
 *	(successes). A counter key is at most 4 + 253 + 1 + 9 bytes, well
 *	under LMDB's 511.
 *
 *	In memory: one hash table of pending count deltas keyed by the
 *	counter key, and one of interned blobs (new ones are written at the
 *	next commit, together with the counts that use them, in the same
 *	transaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>
#include <openssl/sha.h>

#include "buf.h"
#include "mt_err.h"

#include "evloop.h"
#include "log.h"
#include "store.h"
#include "tlsrpt_counters.h"

#define DB_COUNTERS "tlsrpt_counters"
#define DB_INTERN "tlsrpt_intern"
#define DB_BLOBS "tlsrpt_blobs"
#define KIND_POLICY 'P'
#define KIND_DETAIL 'D'
#define INTERN_CACHE_MAX 100000	/* interned blobs kept in memory between commits */
#define DOMAIN_MAX 253		/* RFC 1035 */
#define KEY_MAX (4 + DOMAIN_MAX + 1 + 4 + 1 + 4)
#define RETRY_MIN_MS 1000	/* after a failed commit, the next one waits this long at least */
#define LOG_EVERY_MS 60000	/* a failing commit, and dropped counts, logged this often */

/* A hash table entry: a byte key and either a count or an id */
typedef struct hent {
    struct hent *next;
    uint64_t hash;
    uint64_t value;		/* count delta, or interned id */
    int fresh;			/* interned blob not yet written */
    size_t len;
    unsigned char key[];
} hent;

typedef struct htab {
    hent **slot;
    size_t nslot;
    size_t n;
} htab;

struct tlsrpt_counters {
    MDB_env *env;
    MDB_dbi counters, intern, blobs;
    htab deltas;		/* counter key -> pending count */
    htab interned;		/* kind + blob -> id */
    uint32_t next_id;
    buf scratch;		/* the blob being interned: no malloc per result */
    evloop *loop;
    uint64_t interval_ms;
    ev_timer *timer;
    int failing;		/* the last commit failed */
    uint64_t retry_at_ms;	/* no batch commit before this (monotonic) */
    uint64_t fail_log_at_ms, drop_log_at_ms;	/* no log line before these */
    tlsrpt_counter_stats stats;
};

/* mono_ms - CLOCK_MONOTONIC in milliseconds */
static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* commit_failed - log a failed commit, at most every LOG_EVERY_MS */
static void commit_failed(tlsrpt_counters *c, const mt_err *err)
{
    uint64_t now = mono_ms();

    if (now < c->fail_log_at_ms)
	return;
    c->fail_log_at_ms = now + LOG_EVERY_MS;
    log_msg(LOG_ERR, "tlsrpt: cannot commit %zu counters (%llu failed commits so far; tried "
	    "again every %llums, logged once a minute): %s", c->deltas.n,
	    (unsigned long long) c->stats.commit_failures,
	    (unsigned long long) (c->interval_ms > RETRY_MIN_MS ? c->interval_ms : RETRY_MIN_MS),
	    err->msg);
}

/* fnv1a - 64-bit FNV-1a of bytes */
static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 14695981039346656037ull;

    while (n--) {
	h ^= *s++;
	h *= 1099511628211ull;
    }
    return h;
}

/* ht_find - the entry for key, or NULL */
static hent *ht_find(const htab *t, const void *key, size_t len, uint64_t h)
{
    hent *e;

    if (t->nslot == 0)
	return NULL;
    for (e = t->slot[h & (t->nslot - 1)]; e; e = e->next)
	if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
	    return e;
    return NULL;
}

/* ht_grow - double the slots when the table is full */
static int ht_grow(htab *t)
{
    size_t ns = t->nslot ? t->nslot * 2 : 1024, i;
    hent **slot = calloc(ns, sizeof(*slot)), *e, *next;

    if (slot == NULL)
	return -1;
    for (i = 0; i < t->nslot; i++)
	for (e = t->slot[i]; e; e = next) {
	    next = e->next;
	    e->next = slot[e->hash & (ns - 1)];
	    slot[e->hash & (ns - 1)] = e;
	}
    free(t->slot);
    t->slot = slot;
    t->nslot = ns;
    return 0;
}

/* ht_insert - a new entry for key (not present), or NULL when out of memory */
static hent *ht_insert(htab *t, const void *key, size_t len, uint64_t h)
{
    hent *e;

    if (t->n >= t->nslot && ht_grow(t) < 0)
	return NULL;
    if ((e = calloc(1, sizeof(*e) + len)) == NULL)
	return NULL;
    e->hash = h;
    e->len = len;
    memcpy(e->key, key, len);
    e->next = t->slot[h & (t->nslot - 1)];
    t->slot[h & (t->nslot - 1)] = e;
    t->n++;
    return e;
}

/* ht_clear - drop every entry */
static void ht_clear(htab *t)
{
    size_t i;
    hent *e, *next;

    for (i = 0; i < t->nslot; i++) {
	for (e = t->slot[i]; e; e = next) {
	    next = e->next;
	    free(e);
	}
	t->slot[i] = NULL;
    }
    t->n = 0;
}

/* ht_free - drop every entry and the slots */
static void ht_free(htab *t)
{
    ht_clear(t);
    free(t->slot);
    memset(t, 0, sizeof(*t));
}

/* put32 / get32 - big-endian 32-bit integers in keys */
static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* lmdb_err - fill err from an LMDB return code (a full store: store_write() said what) */
static int lmdb_err(mt_err *err, const char *what, int rc)
{
    if (rc != MDB_MAP_FULL)
	mt_err_set(err, 0, 0, NULL, "tlsrpt counters: %s: %s", what, mdb_strerror(rc));
    return -1;
}

/* open_dbs - tlsrpt_counters_open()'s transaction */
static int open_dbs(MDB_txn *txn, void *arg)
{
    tlsrpt_counters *c = arg;
    MDB_val k = {5, "\0next"}, v;
    int rc;

    if ((rc = mdb_dbi_open(txn, DB_COUNTERS, MDB_CREATE, &c->counters)) != 0
	|| (rc = mdb_dbi_open(txn, DB_INTERN, MDB_CREATE, &c->intern)) != 0
	|| (rc = mdb_dbi_open(txn, DB_BLOBS, MDB_CREATE, &c->blobs)) != 0)
	return rc;
    c->next_id = 1;
    if (mdb_get(txn, c->intern, &k, &v) == 0 && v.mv_size == 4)
	c->next_id = get32(v.mv_data);
    return 0;
}

/* tlsrpt_counters_open - open (create) the counter databases in env */
tlsrpt_counters *tlsrpt_counters_open(MDB_env *env, mt_err *err)
{
    tlsrpt_counters *c = calloc(1, sizeof(*c));
    int rc;

    if (c == NULL) {
	mt_err_set(err, 0, 0, NULL, "tlsrpt counters: out of memory");
	return NULL;
    }
    c->env = env;
    if ((rc = store_write(env, "the TLS-RPT counter databases", 0, open_dbs, c, err)) != 0) {
	lmdb_err(err, "open databases", rc);
	free(c);
	return NULL;
    }
    return c;
}

static void arm(tlsrpt_counters *c);

/* commit_due - the timer: commit what is pending */
static void commit_due(evloop *loop, void *arg)
{
    tlsrpt_counters *c = arg;
    mt_err err;

    (void) loop;
    c->timer = NULL;
    if (tlsrpt_counters_commit(c, &err) < 0) {
	commit_failed(c, &err);
	arm(c);			/* the next interval tries again */
    }
}

/* tlsrpt_counters_attach - commit from loop's timer interval_ms after a count */
void tlsrpt_counters_attach(tlsrpt_counters *c, evloop *loop, uint64_t interval_ms)
{
    c->loop = loop;
    c->interval_ms = interval_ms;
}

/* tlsrpt_counters_close - commit what is pending and free c */
void tlsrpt_counters_close(tlsrpt_counters *c)
{
    mt_err err;

    if (c == NULL)
	return;
    if (c->timer)
	evloop_timer_cancel(c->loop, c->timer);
    if (tlsrpt_counters_commit(c, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: counts lost at shutdown: %s", err.msg);
    ht_free(&c->deltas);
    ht_free(&c->interned);
    buf_free(&c->scratch);
    free(c);
}

/* intern_key - kind and SHA-256 of a blob: the tlsrpt_intern key */
static void intern_key(int kind, const void *blob, size_t len, unsigned char out[33])
{
    out[0] = (unsigned char) kind;
    SHA256(blob, len, out + 1);
}

/* intern - the id of a blob (kind byte first), allocated when new and may_add;
 * 1 when it is not known and may not be added */
static int intern(tlsrpt_counters *c, const buf *kb, uint32_t *id, int may_add)
{
    uint64_t h = fnv1a(kb->data, kb->len);
    hent *e = ht_find(&c->interned, kb->data, kb->len, h);
    unsigned char ik[33];
    MDB_txn *txn;
    MDB_val k = {sizeof(ik), ik}, v;
    int found = 0;

    if (e) {
	*id = (uint32_t) e->value;
	return 0;
    }
    intern_key(kb->data[0], kb->data + 1, kb->len - 1, ik);
    if (mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn) == 0) {
	if (mdb_get(txn, c->intern, &k, &v) == 0 && v.mv_size == 4) {
	    *id = get32(v.mv_data);
	    found = 1;
	}
	mdb_txn_abort(txn);
    }
    if (!may_add)
	return found ? 0 : 1;
    if ((e = ht_insert(&c->interned, kb->data, kb->len, h)) == NULL)
	return -1;
    if (!found) {
	if (c->next_id == UINT32_MAX)
	    return -1;
	*id = c->next_id++;
	e->fresh = 1;
    }
    e->value = *id;
    return 0;
}

/* put_field - a string field and its NUL separator */
static int put_field(buf *b, const char *s)
{
    if (s && strlen(s) > TLSRPT_FIELD_MAX)
	return buf_append(b, s, TLSRPT_FIELD_MAX) < 0 || buf_putc(b, 0) < 0 ? -1 : 0;
    return buf_append(b, s ? s : "", s ? strlen(s) : 0) < 0 || buf_putc(b, 0) < 0 ? -1 : 0;
}

/* arm - start the commit timer when counts are pending */
static void arm(tlsrpt_counters *c)
{
    if (c->loop && c->interval_ms && c->timer == NULL && c->deltas.n > 0)
	c->timer = evloop_timer(c->loop, c->interval_ms, commit_due, c);
}

/* tlsrpt_counters_add - count n sessions of one result in memory */
int tlsrpt_counters_add(tlsrpt_counters *c, const tlsrpt_result *r, uint64_t n)
{
    unsigned char key[KEY_MAX];
    size_t dlen, klen;
    uint32_t pid, did = 0;
    buf b = c->scratch;
    hent *e;
    uint64_t h;
    int rc = -1, room = c->deltas.n < TLSRPT_PENDING_MAX;

    if (r->domain == NULL || (dlen = strlen(r->domain)) == 0 || dlen > DOMAIN_MAX
	|| r->result < TLSRPT_SUCCESS || r->result >= TLSRPT_RESULT_COUNT
	|| r->policy_type < 0 || r->policy_type >= TLSRPT_POLICY_COUNT || r->when < 0)
	return -1;
    /* the applied policy */
    buf_reset(&b);
    if (buf_putc(&b, KIND_POLICY) < 0 || buf_putc(&b, (int) r->policy_type) < 0
	|| (r->policy_type != TLSRPT_POLICY_NONE
	    ? buf_puts(&b, r->policy_string ? r->policy_string : "") < 0 || buf_putc(&b, 0) < 0
	    || buf_puts(&b, r->mx_host ? r->mx_host : "") < 0 : buf_putc(&b, 0) < 0)
	|| (rc = intern(c, &b, &pid, room)) != 0)
	goto out;
    rc = -1;
    /* the failure detail */
    if (r->result != TLSRPT_SUCCESS) {
	buf_reset(&b);
	if (buf_putc(&b, KIND_DETAIL) < 0 || put_field(&b, r->sending_ip) < 0
	    || put_field(&b, r->receiving_mx) < 0 || put_field(&b, r->receiving_ip) < 0
	    || put_field(&b, r->helo) < 0 || put_field(&b, r->reason) < 0
	    || (rc = intern(c, &b, &did, room)) != 0)
	    goto out;
	rc = -1;
    }
    put32(key, tlsrpt_day_of(r->when));
    memcpy(key + 4, r->domain, dlen);
    klen = 4 + dlen;
    key[klen++] = 0;
    put32(key + klen, pid);
    klen += 4;
    key[klen++] = (unsigned char) r->result;
    put32(key + klen, did);
    klen += 4;
    h = fnv1a(key, klen);
    if ((e = ht_find(&c->deltas, key, klen, h)) == NULL) {
	if (!room) {
	    rc = 1;
	    goto out;
	}
	if ((e = ht_insert(&c->deltas, key, klen, h)) == NULL)
	    goto out;
    }
    e->value += n;
    rc = 0;
    /* a batch commit; after a failed one, not before the retry time:
     * a full store must not cost a write transaction per report line */
    if (c->deltas.n >= TLSRPT_COMMIT_BATCH && (!c->failing || mono_ms() >= c->retry_at_ms)) {
	mt_err err;

	if (tlsrpt_counters_commit(c, &err) < 0)
	    commit_failed(c, &err);
    }
    arm(c);
  out:
    buf_reset(&b);
    c->scratch = b;		/* kept for the next result */
    if (rc == 1) {
	/* TLSRPT_PENDING_MAX counters wait for a store that refuses them */
	uint64_t now = mono_ms();

	c->stats.dropped += n;
	if (now >= c->drop_log_at_ms) {
	    c->drop_log_at_ms = now + LOG_EVERY_MS;
	    log_msg(LOG_ERR, "tlsrpt: %s: count dropped: %zu counters wait for a commit that "
		    "fails (the store is full?); new counters are dropped until one succeeds "
		    "(%llu counts so far, stats tlsrpt_counts_dropped)", r->domain, c->deltas.n,
		    (unsigned long long) c->stats.dropped);
	}
	rc = -1;
    }
    return rc;
}

/* tlsrpt_counters_get_stats - pending, dropped, failed commits */
void tlsrpt_counters_get_stats(const tlsrpt_counters *c, tlsrpt_counter_stats *st)
{
    *st = c->stats;
    st->pending = c->deltas.n;
}

/* tlsrpt_counters_pending - distinct counters waiting for a commit */
size_t tlsrpt_counters_pending(const tlsrpt_counters *c)
{
    return c->deltas.n;
}

/* write_pending - tlsrpt_counters_commit()'s transaction */
static int write_pending(MDB_txn *txn, void *arg)
{
    tlsrpt_counters *c = arg;
    MDB_val k, v;
    unsigned char idb[4], ik[33];
    uint64_t count;
    size_t i;
    hent *e;
    int rc;

    for (i = 0; i < c->interned.nslot; i++)
	for (e = c->interned.slot[i]; e; e = e->next) {
	    if (!e->fresh)
		continue;
	    put32(idb, (uint32_t) e->value);
	    intern_key(e->key[0], e->key + 1, e->len - 1, ik);
	    k.mv_size = sizeof(ik), k.mv_data = ik;
	    v.mv_size = 4, v.mv_data = idb;
	    if ((rc = mdb_put(txn, c->intern, &k, &v, 0)) != 0)
		return rc;
	    k.mv_size = 4, k.mv_data = idb;
	    v.mv_size = e->len, v.mv_data = e->key;
	    if ((rc = mdb_put(txn, c->blobs, &k, &v, 0)) != 0)
		return rc;
	}
    put32(idb, c->next_id);
    k.mv_size = 5, k.mv_data = "\0next";
    v.mv_size = 4, v.mv_data = idb;
    if ((rc = mdb_put(txn, c->intern, &k, &v, 0)) != 0)
	return rc;
    for (i = 0; i < c->deltas.nslot; i++)
	for (e = c->deltas.slot[i]; e; e = e->next) {
	    k.mv_size = e->len, k.mv_data = e->key;
	    count = 0;
	    if (mdb_get(txn, c->counters, &k, &v) == 0 && v.mv_size == sizeof(count))
		memcpy(&count, v.mv_data, sizeof(count));
	    count += e->value;
	    v.mv_size = sizeof(count), v.mv_data = &count;
	    if ((rc = mdb_put(txn, c->counters, &k, &v, 0)) != 0)
		return rc;
	}
    return 0;
}

/* pending_bytes - about what write_pending() adds: counters, new blobs and their index */
static size_t pending_bytes(const tlsrpt_counters *c)
{
    size_t i, n = 0;
    const hent *e;

    for (i = 0; i < c->deltas.nslot; i++)
	for (e = c->deltas.slot[i]; e; e = e->next)
	    n += e->len + sizeof(uint64_t);
    for (i = 0; i < c->interned.nslot; i++)
	for (e = c->interned.slot[i]; e; e = e->next)
	    if (e->fresh)
		n += e->len + 1 + SHA256_DIGEST_LENGTH + 2 * 4;	/* blob, intern key, ids */
    return n;
}

/* tlsrpt_counters_commit - write pending counts and new blobs in one transaction */
int tlsrpt_counters_commit(tlsrpt_counters *c, mt_err *err)
{
    char what[64];
    size_t i;
    hent *e;
    int rc;

    if (c->deltas.n == 0)
	return 0;
    snprintf(what, sizeof(what), "%zu TLS-RPT counters", c->deltas.n);
    if ((rc = store_write(c->env, what, pending_bytes(c), write_pending, c, err)) != 0) {
	c->stats.commit_failures++;
	c->failing = 1;
	c->retry_at_ms = mono_ms() + (c->interval_ms > RETRY_MIN_MS ? c->interval_ms
				      : RETRY_MIN_MS);
	return lmdb_err(err, "write", rc);
    }
    if (c->failing)
	log_msg(LOG_NOTICE, "tlsrpt: %zu counters committed again after %llu failed commits",
		c->deltas.n, (unsigned long long) c->stats.commit_failures);
    c->failing = 0;
    ht_clear(&c->deltas);
    if (c->interned.n > INTERN_CACHE_MAX)
	ht_clear(&c->interned);
    else
	for (i = 0; i < c->interned.nslot; i++)
	    for (e = c->interned.slot[i]; e; e = e->next)
		e->fresh = 0;
    return 0;
}

/* dup_field - the next NUL-terminated field of a blob, or NULL when empty */
static char *dup_field(const char **p, const char *end)
{
    const char *s = *p, *z = memchr(s, 0, (size_t) (end - s));
    size_t n = z ? (size_t) (z - s) : (size_t) (end - s);
    char *r = NULL;

    if (n > 0 && (r = malloc(n + 1)) != NULL) {
	memcpy(r, s, n);
	r[n] = 0;
    }
    *p = z ? z + 1 : end;
    return r;
}

/* load_blob - the blob of an id (without its kind byte) */
static int load_blob(tlsrpt_counters *c, MDB_txn *txn, uint32_t id, int kind,
		     const char **p, const char **end)
{
    unsigned char idb[4];
    MDB_val k = {4, idb}, v;

    put32(idb, id);
    if (mdb_get(txn, c->blobs, &k, &v) != 0 || v.mv_size < 1
	|| ((const char *) v.mv_data)[0] != kind)
	return -1;
    *p = (const char *) v.mv_data + 1;
    *end = (const char *) v.mv_data + v.mv_size;
    return 0;
}

/* add_policy - a new policies[] entry for a policy id */
static tlsrpt_policy_counts *add_policy(tlsrpt_counters *c, MDB_txn *txn, tlsrpt_data *out,
					uint32_t pid)
{
    tlsrpt_policy_counts *np, *p;
    const char *s, *end;

    if (load_blob(c, txn, pid, KIND_POLICY, &s, &end) < 0 || s >= end)
	return NULL;
    np = realloc(out->policies, (out->n_policies + 1) * sizeof(*np));
    if (np == NULL)
	return NULL;
    out->policies = np;
    p = &np[out->n_policies++];
    memset(p, 0, sizeof(*p));
    p->type = (tlsrpt_policy_type) (unsigned char) *s++;
    p->policy_string = dup_field(&s, end);
    p->mx_host = dup_field(&s, end);
    return p;
}

/* add_failure - a new failure-details entry for a detail id */
static int add_failure(tlsrpt_counters *c, MDB_txn *txn, tlsrpt_policy_counts *p,
		       tlsrpt_result_type result, uint32_t did, uint64_t count)
{
    tlsrpt_failure *nf, *f;
    const char *s, *end;

    if (load_blob(c, txn, did, KIND_DETAIL, &s, &end) < 0)
	return -1;
    nf = realloc(p->fail, (p->n_fail + 1) * sizeof(*nf));
    if (nf == NULL)
	return -1;
    p->fail = nf;
    f = &nf[p->n_fail++];
    memset(f, 0, sizeof(*f));
    f->result = result;
    f->count = count;
    f->sending_ip = dup_field(&s, end);
    f->mx_host = dup_field(&s, end);
    f->receiving_ip = dup_field(&s, end);
    f->helo = dup_field(&s, end);
    f->reason = dup_field(&s, end);
    return 0;
}

/* tlsrpt_counters_read - the committed counts of one domain and day */
int tlsrpt_counters_read(tlsrpt_counters *c, uint32_t day, const char *domain,
			 tlsrpt_data *out, mt_err *err)
{
    unsigned char pfx[4 + DOMAIN_MAX + 1];
    size_t dlen = strlen(domain), plen;
    tlsrpt_policy_counts *p = NULL;
    uint32_t cur_pid = 0;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, op;

    memset(out, 0, sizeof(*out));
    if (dlen == 0 || dlen > DOMAIN_MAX) {
	mt_err_set(err, 0, 0, NULL, "tlsrpt counters: bad domain");
	return -1;
    }
    put32(pfx, day);
    memcpy(pfx + 4, domain, dlen);
    pfx[4 + dlen] = 0;
    plen = 4 + dlen + 1;
    if ((rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn)) != 0)
	return lmdb_err(err, "begin", rc);
    if ((rc = mdb_cursor_open(txn, c->counters, &cur)) != 0) {
	mdb_txn_abort(txn);
	return lmdb_err(err, "cursor", rc);
    }
    out->day = day;
    if ((out->domain = strdup(domain)) == NULL)
	goto oom;
    k.mv_size = plen, k.mv_data = pfx;
    for (op = MDB_SET_RANGE; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
	const unsigned char *kb = k.mv_data;
	uint32_t pid, did;
	uint64_t count;
	tlsrpt_result_type result;

	if (k.mv_size != plen + 9 || memcmp(kb, pfx, plen) != 0)
	    break;
	pid = get32(kb + plen);
	result = (tlsrpt_result_type) kb[plen + 4];
	did = get32(kb + plen + 5);
	if (v.mv_size != sizeof(count) || result >= TLSRPT_RESULT_COUNT)
	    continue;
	memcpy(&count, v.mv_data, sizeof(count));
	if (p == NULL || pid != cur_pid) {
	    if ((p = add_policy(c, txn, out, pid)) == NULL)
		goto corrupt;
	    cur_pid = pid;
	}
	if (result == TLSRPT_SUCCESS)
	    p->success += count;
	else {
	    if (add_failure(c, txn, p, result, did, count) < 0)
		goto corrupt;
	    p->failure += count;
	}
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (out->n_policies == 0) {
	tlsrpt_data_free(out);
	return 1;
    }
    return 0;
  corrupt:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    tlsrpt_data_free(out);
    mt_err_set(err, 0, 0, NULL, "tlsrpt counters of %s: an interned policy or detail "
	       "is missing, or out of memory", domain);
    return -1;
  oom:
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    tlsrpt_data_free(out);
    mt_err_set(err, 0, 0, NULL, "tlsrpt counters: out of memory");
    return -1;
}

/* tlsrpt_counters_list - each domain with counts on a day, with its totals */
int tlsrpt_counters_list(tlsrpt_counters *c, uint32_t day, tlsrpt_list_cb cb, void *arg,
			 mt_err *err)
{
    unsigned char pfx[4];
    char domain[DOMAIN_MAX + 1] = "";
    uint64_t ok = 0, bad = 0;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, op, stop = 0;

    put32(pfx, day);
    if ((rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn)) != 0)
	return lmdb_err(err, "begin", rc);
    if ((rc = mdb_cursor_open(txn, c->counters, &cur)) != 0) {
	mdb_txn_abort(txn);
	return lmdb_err(err, "cursor", rc);
    }
    k.mv_size = 4, k.mv_data = pfx;
    for (op = MDB_SET_RANGE; !stop && mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT) {
	const unsigned char *kb = k.mv_data;
	const unsigned char *z;
	size_t dlen;
	uint64_t count;

	if (k.mv_size < 4 + 1 + 1 + 9 || memcmp(kb, pfx, 4) != 0)
	    break;
	z = memchr(kb + 4, 0, k.mv_size - 4);
	if (z == NULL || (dlen = (size_t) (z - kb - 4)) > DOMAIN_MAX || v.mv_size != sizeof(count))
	    continue;
	memcpy(&count, v.mv_data, sizeof(count));
	if (strlen(domain) != dlen || memcmp(domain, kb + 4, dlen) != 0) {
	    if (*domain)
		stop = cb(domain, ok, bad, arg);
	    memcpy(domain, kb + 4, dlen);
	    domain[dlen] = 0;
	    ok = bad = 0;
	}
	if (z[5] == TLSRPT_SUCCESS)
	    ok += count;
	else
	    bad += count;
    }
    if (!stop && *domain)
	cb(domain, ok, bad, arg);
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}

/* tlsrpt_counters_days - the days that have counts, oldest first */
int tlsrpt_counters_days(tlsrpt_counters *c, uint32_t *days, size_t max, size_t *n,
			 mt_err *err)
{
    unsigned char pfx[4];
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    *n = 0;
    if ((rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &txn)) != 0)
	return lmdb_err(err, "begin", rc);
    if ((rc = mdb_cursor_open(txn, c->counters, &cur)) != 0) {
	mdb_txn_abort(txn);
	return lmdb_err(err, "cursor", rc);
    }
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && *n < max && k.mv_size >= 4) {
	uint32_t d = get32(k.mv_data);

	days[(*n)++] = d;
	if (d == UINT32_MAX)
	    break;
	put32(pfx, d + 1);
	k.mv_size = 4, k.mv_data = pfx;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}

typedef struct prune_job {
    tlsrpt_counters *c;
    uint32_t first_kept_day;
} prune_job;

/* prune_txn - tlsrpt_counters_prune()'s transaction */
static int prune_txn(MDB_txn *txn, void *arg)
{
    prune_job *j = arg;
    tlsrpt_counters *c = j->c;
    htab used = {0};
    MDB_cursor *cur;
    MDB_val k, v;
    unsigned char ik[33];
    int rc;

    if ((rc = mdb_cursor_open(txn, c->counters, &cur)) != 0)
	goto fail;
    /* old days go; the ids of what stays are remembered */
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
	const unsigned char *kb = k.mv_data;

	if (k.mv_size >= 4 + 1 + 9 && get32(kb) >= j->first_kept_day) {
	    uint32_t pid = get32(kb + k.mv_size - 9), did = get32(kb + k.mv_size - 4);
	    uint64_t h;

	    h = fnv1a(&pid, 4);
	    if (ht_find(&used, &pid, 4, h) == NULL && ht_insert(&used, &pid, 4, h) == NULL)
		goto oom;
	    h = fnv1a(&did, 4);
	    if (ht_find(&used, &did, 4, h) == NULL && ht_insert(&used, &did, 4, h) == NULL)
		goto oom;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	    continue;
	}
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
	    goto fail_cur;
	/* after a delete, MDB_NEXT yields the record that followed it */
	rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
	goto fail;
    /* blobs no counter uses */
    if ((rc = mdb_cursor_open(txn, c->blobs, &cur)) != 0)
	goto fail;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
	uint32_t id;

	if (k.mv_size == 4 && v.mv_size >= 1) {
	    id = get32(k.mv_data);
	    if (ht_find(&used, &id, 4, fnv1a(&id, 4)) == NULL) {
		MDB_val ikv = {sizeof(ik), ik};

		intern_key(((const char *) v.mv_data)[0], (const char *) v.mv_data + 1,
			   v.mv_size - 1, ik);
		(void) mdb_del(txn, c->intern, &ikv, NULL);
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
		    goto fail_cur;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		continue;
	    }
	}
	rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
	goto fail;
    ht_free(&used);
    return 0;
  oom:
    rc = ENOMEM;
  fail_cur:
    mdb_cursor_close(cur);
  fail:
    ht_free(&used);
    return rc;
}

/* tlsrpt_counters_prune - drop old days, then blobs nothing refers to */
int tlsrpt_counters_prune(tlsrpt_counters *c, uint32_t first_kept_day, mt_err *err)
{
    prune_job j = {c, first_kept_day};
    int rc;

    if (tlsrpt_counters_commit(c, err) < 0)
	return -1;
    if ((rc = store_write(c->env, "the TLS-RPT counters prune", 0, prune_txn, &j, err)) != 0)
	return lmdb_err(err, "prune", rc);
    /* the cache may name blobs just deleted */
    ht_clear(&c->interned);
    return 0;
}
