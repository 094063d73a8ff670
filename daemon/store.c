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
 *	See store.h; the size cap and the eviction rule are in
 *	store_evict.c. A policies value is a compact little-endian record:
 *
 *	u8 version (STORE_REC_VERSION), u8 flags (bit 0: has_policy),
 *	u8 mode, u8 last_failure, u32 max_age, u32 fail_count,
 *	i64 fetched, expires, refresh_due, last_used, first_contact,
 *	fail_time, then u8-length strings id and fail_id, u16 number of mx
 *	patterns each as a u8-length string, and u32-length policy text.
 *
 *	Decoding checks every length against the value's size, so a
 *	damaged value is reported and skipped, never read past its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>

#include "buf.h"
#include "mt_err.h"

#include "store.h"
#include "store_priv.h"

#define STORE_REC_VERSION 1
#define STORE_REC_FIXED (4 + 4 + 4 + 6 * 8)
#define STORE_RESERVE_FRACTION 8	/* 1/8 of the cap kept for eviction itself */
#define STORE_RESERVE_MIN (256u * 1024u)	/* but at least this much */
#define STORE_WRITE_ATTEMPTS 64		/* a write's tries: map growths and eviction rounds */

/* store_lmdb_fail - fill err with an operation and LMDB's reason */
int store_lmdb_fail(mt_err *err, const char *what, int rc)
{
    mt_err_set(err, 0, 0, NULL, "store: %s: %s", what, mdb_strerror(rc));
    return -1;
}

/* store_rec_init - an empty record */
void store_rec_init(store_rec *r)
{
    memset(r, 0, sizeof(*r));
}

/* store_rec_free - release the patterns and text */
void store_rec_free(store_rec *r)
{
    size_t i;

    for (i = 0; i < r->n_mx; i++)
	free(r->mx[i]);
    free(r->mx);
    free(r->text);
    r->mx = NULL;
    r->n_mx = 0;
    r->text = NULL;
    r->text_len = 0;
}

/* store_rec_set_mx - replace the patterns with copies of mx[0..n) */
int store_rec_set_mx(store_rec *r, char *const *mx, size_t n)
{
    char **v = NULL;
    size_t i;

    if (n) {
	if ((v = calloc(n, sizeof(*v))) == NULL)
	    return -1;
	for (i = 0; i < n; i++)
	    if ((v[i] = strdup(mx[i])) == NULL) {
		while (i-- > 0)
		    free(v[i]);
		free(v);
		return -1;
	    }
    }
    for (i = 0; i < r->n_mx; i++)
	free(r->mx[i]);
    free(r->mx);
    r->mx = v;
    r->n_mx = n;
    return 0;
}

/* store_rec_set_text - replace the policy text with a copy */
int store_rec_set_text(store_rec *r, const char *text, size_t len)
{
    char *t = malloc(len + 1);

    if (t == NULL)
	return -1;
    if (len)
	memcpy(t, text, len);
    t[len] = 0;
    free(r->text);
    r->text = t;
    r->text_len = len;
    return 0;
}

/* store_rec_copy - a deep copy; dst is overwritten (not freed first) */
int store_rec_copy(store_rec *dst, const store_rec *src)
{
    *dst = *src;
    dst->mx = NULL;
    dst->n_mx = 0;
    dst->text = NULL;
    dst->text_len = 0;
    if (store_rec_set_mx(dst, src->mx, src->n_mx) < 0
	|| (src->text && store_rec_set_text(dst, src->text, src->text_len) < 0)) {
	store_rec_free(dst);
	return -1;
    }
    return 0;
}

/* put_u32 - little-endian */
static int put_u32(buf *b, uint32_t v)
{
    unsigned char p[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};

    return buf_append(b, p, 4);
}

/* put_i64 - little-endian two's complement */
static int put_i64(buf *b, int64_t sv)
{
    uint64_t v = (uint64_t) sv;
    unsigned char p[8];
    int i;

    for (i = 0; i < 8; i++)
	p[i] = (unsigned char) (v >> (8 * i));
    return buf_append(b, p, 8);
}

/* put_str8 - a string of at most 255 bytes with a one-byte length */
static int put_str8(buf *b, const char *s)
{
    size_t n = strlen(s);

    if (n > 255)
	return -1;
    return buf_putc(b, (int) n) < 0 ? -1 : buf_append(b, s, n);
}

/* store_rec_encode - the record as stored */
int store_rec_encode(const store_rec *r, buf *out)
{
    size_t i;

    if (r->n_mx > 0xffff || r->text_len > 0xffffffffu)
	return -1;
    if (buf_putc(out, STORE_REC_VERSION) < 0
	|| buf_putc(out, r->has_policy ? 1 : 0) < 0
	|| buf_putc(out, (int) r->mode) < 0
	|| buf_putc(out, (int) r->last_failure) < 0
	|| put_u32(out, r->max_age) < 0
	|| put_u32(out, r->fail_count) < 0
	|| put_i64(out, r->fetched) < 0
	|| put_i64(out, r->expires) < 0
	|| put_i64(out, r->refresh_due) < 0
	|| put_i64(out, r->last_used) < 0
	|| put_i64(out, r->first_contact) < 0
	|| put_i64(out, r->fail_time) < 0
	|| put_str8(out, r->id) < 0
	|| put_str8(out, r->fail_id) < 0
	|| buf_putc(out, (int) (r->n_mx & 0xff)) < 0
	|| buf_putc(out, (int) (r->n_mx >> 8)) < 0)
	return -1;
    for (i = 0; i < r->n_mx; i++)
	if (put_str8(out, r->mx[i]) < 0)
	    return -1;
    if (put_u32(out, (uint32_t) r->text_len) < 0
	|| buf_append(out, r->text ? r->text : "", r->text_len) < 0)
	return -1;
    return 0;
}

/* reader - a cursor over a value being decoded */
typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

/* get_bytes - n bytes or NULL when the value is too short */
static const unsigned char *get_bytes(reader *rd, size_t n)
{
    const unsigned char *p = rd->p;

    if (n > rd->left)
	return NULL;
    rd->p += n;
    rd->left -= n;
    return p;
}

/* get_u32 - little-endian */
static int get_u32(reader *rd, uint32_t *v)
{
    const unsigned char *p = get_bytes(rd, 4);

    if (p == NULL)
	return -1;
    *v = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
    return 0;
}

/* get_i64 - little-endian */
static int get_i64(reader *rd, int64_t *v)
{
    const unsigned char *p = get_bytes(rd, 8);
    uint64_t u = 0;
    int i;

    if (p == NULL)
	return -1;
    for (i = 0; i < 8; i++)
	u |= (uint64_t) p[i] << (8 * i);
    *v = (int64_t) u;
    return 0;
}

/* get_str8 - a one-byte-length string into out (outsz bytes with NUL) */
static int get_str8(reader *rd, char *out, size_t outsz)
{
    const unsigned char *n = get_bytes(rd, 1), *p;

    if (n == NULL || *n >= outsz || (p = get_bytes(rd, *n)) == NULL)
	return -1;
    memcpy(out, p, *n);
    out[*n] = 0;
    return 0;
}

/* store_rec_decode - a stored value back into a record (out is the caller's) */
int store_rec_decode(const void *data, size_t len, store_rec *out)
{
    reader rd = {data, len};
    const unsigned char *h;
    uint32_t tl;
    size_t i, n;

    store_rec_init(out);
    if ((h = get_bytes(&rd, 4)) == NULL || h[0] != STORE_REC_VERSION || h[2] > 2 || h[3] > 3)
	return -1;
    out->has_policy = h[1] & 1;
    out->mode = (policy_mode) h[2];
    out->last_failure = (store_failure) h[3];
    if (get_u32(&rd, &out->max_age) < 0 || get_u32(&rd, &out->fail_count) < 0
	|| get_i64(&rd, &out->fetched) < 0 || get_i64(&rd, &out->expires) < 0
	|| get_i64(&rd, &out->refresh_due) < 0 || get_i64(&rd, &out->last_used) < 0
	|| get_i64(&rd, &out->first_contact) < 0 || get_i64(&rd, &out->fail_time) < 0
	|| get_str8(&rd, out->id, sizeof(out->id)) < 0
	|| get_str8(&rd, out->fail_id, sizeof(out->fail_id)) < 0
	|| (h = get_bytes(&rd, 2)) == NULL)
	return -1;
    n = (size_t) h[0] | (size_t) h[1] << 8;
    if (n > rd.left)			/* each pattern takes at least a byte */
	return -1;
    if (n && (out->mx = calloc(n, sizeof(char *))) == NULL)
	return -1;
    for (i = 0; i < n; i++) {
	const unsigned char *l = get_bytes(&rd, 1), *p;

	if (l == NULL || (p = get_bytes(&rd, *l)) == NULL
	    || (out->mx[i] = malloc((size_t) *l + 1)) == NULL)
	    goto fail;
	memcpy(out->mx[i], p, *l);
	out->mx[i][*l] = 0;
	out->n_mx = i + 1;
    }
    if (get_u32(&rd, &tl) < 0 || tl != rd.left)
	goto fail;
    if (store_rec_set_text(out, (const char *) rd.p, tl) < 0)
	goto fail;
    return 0;
fail:
    store_rec_free(out);
    return -1;
}

/* sched_key - (big-endian due, domain) into k; returns its length */
static size_t sched_key(unsigned char *k, int64_t due, const char *domain)
{
    uint64_t u = (uint64_t) due;
    size_t n = strlen(domain);
    int i;

    for (i = 0; i < 8; i++)
	k[i] = (unsigned char) (u >> (56 - 8 * i));
    memcpy(k + 8, domain, n);
    return 8 + n;
}

/* check_schema - create or verify the meta record */
static int check_schema(store *s, MDB_txn *txn, mt_err *err, const char *path)
{
    MDB_val k = {6, (void *) "schema"}, v;
    char num[16];
    int rc;

    rc = mdb_get(txn, s->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
	snprintf(num, sizeof(num), "%d", STORE_SCHEMA);
	v.mv_data = num;
	v.mv_size = strlen(num);
	if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) != 0)
	    return store_lmdb_fail(err, "writing the schema version", rc);
	return 0;
    }
    if (rc != 0)
	return store_lmdb_fail(err, "reading the schema version", rc);
    if (v.mv_size == 0 || v.mv_size >= sizeof(num)) {
	mt_err_set(err, 0, 0, NULL, "store: %s: the schema version record is damaged", path);
	return -1;
    }
    memcpy(num, v.mv_data, v.mv_size);
    num[v.mv_size] = 0;
    if (atoi(num) > STORE_SCHEMA) {
	mt_err_set(err, 0, 0, NULL,
		   "store: %s has schema version %s, newer than this mtastsd supports (%d);"
		   " run a newer mtastsd or move the file aside", path, num, STORE_SCHEMA);
	return -1;
    }
    if (atoi(num) < 1) {
	mt_err_set(err, 0, 0, NULL, "store: %s: bad schema version '%s'", path, num);
	return -1;
    }
    return 0;
}

/* store_open - open or create the environment and its databases */
store *store_open(const char *dir, uint64_t max_size, mt_err *err)
{
    char path[4096];
    MDB_envinfo info;
    MDB_txn *txn = NULL;
    store *s;
    int rc;

    if (snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >= (int) sizeof(path)) {
	mt_err_set(err, 0, 0, NULL, "store: state directory name too long");
	return NULL;
    }
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
	mt_err_set(err, 0, 0, NULL, "store: cannot create %s: %s", dir, strerror(errno));
	return NULL;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
	mt_err_set(err, 0, 0, NULL, "store: out of memory");
	return NULL;
    }
    s->max_size = max_size < STORE_MIN_MAP ? STORE_MIN_MAP : max_size;
    s->soft_size = s->max_size / STORE_RESERVE_FRACTION < STORE_RESERVE_MIN
	? s->max_size - STORE_RESERVE_MIN : s->max_size - s->max_size / STORE_RESERVE_FRACTION;
    s->map_size = s->max_size < STORE_START_MAP ? s->max_size : STORE_START_MAP;
    if ((rc = mdb_env_create(&s->env)) != 0) {
	store_lmdb_fail(err, "creating the environment", rc);
	free(s);
	return NULL;
    }
    if ((rc = mdb_env_set_maxdbs(s->env, STORE_MAX_DBS)) != 0
	|| (rc = mdb_env_set_mapsize(s->env, (size_t) s->map_size)) != 0
	|| (rc = mdb_env_set_userctx(s->env, s)) != 0) {
	store_lmdb_fail(err, "configuring the environment", rc);
	goto fail;
    }
    if ((rc = mdb_env_open(s->env, path, MDB_NOSUBDIR, 0640)) != 0) {
	mt_err_set(err, 0, 0, NULL, "store: cannot open %s: %s", path, mdb_strerror(rc));
	goto fail;
    }
    /* An existing file larger than our start size keeps its size. */
    if (mdb_env_info(s->env, &info) == 0)
	s->map_size = info.me_mapsize;
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0) {
	store_lmdb_fail(err, "beginning the first transaction", rc);
	goto fail;
    }
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) != 0
	|| (rc = mdb_dbi_open(txn, "policies", MDB_CREATE, &s->policies)) != 0
	|| (rc = mdb_dbi_open(txn, "schedule", MDB_CREATE, &s->schedule)) != 0) {
	store_lmdb_fail(err, "opening the databases", rc);
	goto fail;
    }
    if (check_schema(s, txn, err, path) < 0)
	goto fail;
    if ((rc = mdb_txn_commit(txn)) != 0) {
	txn = NULL;
	store_lmdb_fail(err, "committing the first transaction", rc);
	goto fail;
    }
    return s;
fail:
    if (txn)
	mdb_txn_abort(txn);
    mdb_env_close(s->env);
    free(s);
    return NULL;
}

/* store_close - close the environment (every write is already committed) */
void store_close(store *s)
{
    if (s == NULL)
	return;
    mdb_env_close(s->env);
    free(s);
}

/* store_env - the LMDB environment, for modules with their own databases */
MDB_env *store_env(store *s)
{
    return s->env;
}

/* store_set_evict_cb - hear about every domain the eviction rule deletes */
void store_set_evict_cb(store *s, store_evict_fn fn, void *arg)
{
    s->evict_cb = fn;
    s->evict_arg = arg;
}

/* store_set_lastuse_cb - where eviction learns of uses not yet written (batched) */
void store_set_lastuse_cb(store *s, store_lastuse_fn fn, void *arg)
{
    s->lastuse_cb = fn;
    s->lastuse_arg = arg;
}

/* store_get - one domain's record */
int store_get(store *s, const char *domain, store_rec *out, mt_err *err)
{
    MDB_txn *txn;
    MDB_val k, v;
    int rc, ret;

    store_rec_init(out);
    k.mv_size = strlen(domain);
    k.mv_data = (void *) domain;
    if (k.mv_size == 0 || k.mv_size > STORE_KEY_MAX) {
	mt_err_set(err, 0, 0, NULL, "store: bad key length");
	return -1;
    }
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
	return store_lmdb_fail(err, "read transaction", rc);
    rc = mdb_get(txn, s->policies, &k, &v);
    if (rc == MDB_NOTFOUND)
	ret = 0;
    else if (rc != 0)
	ret = store_lmdb_fail(err, "reading a policy", rc);
    else if (store_rec_decode(v.mv_data, v.mv_size, out) < 0) {
	mt_err_set(err, 0, 0, NULL, "store: the record of %s is damaged", domain);
	ret = -1;
    } else
	ret = 1;
    mdb_txn_abort(txn);
    return ret;
}

/*
 * put_in_txn - write a record and keep its schedule key in step; a record
 * without text keeps the text already stored. A policy is never stored
 * without its text: a state update (text NULL) of a policy that is no
 * longer stored (evicted meanwhile) is not written at all.
 */
static int put_in_txn(store *s, MDB_txn *txn, const char *domain, const store_rec *r,
		      buf *val)
{
    unsigned char sk[STORE_SCHED_KEY_MAX];
    MDB_val k = {strlen(domain), (void *) domain}, v, skv, empty = {0, (void *) ""};
    store_rec old, tmp;
    int rc, have_old = 0;

    rc = mdb_get(txn, s->policies, &k, &v);
    if (rc == 0 && store_rec_decode(v.mv_data, v.mv_size, &old) == 0)
	have_old = 1;
    else if (rc != 0 && rc != MDB_NOTFOUND)
	return rc;
    if (r->text == NULL && r->has_policy && !(have_old && old.has_policy)) {
	if (have_old)
	    store_rec_free(&old);
	return 0;
    }
    if (have_old && old.refresh_due && old.refresh_due != r->refresh_due) {
	skv.mv_size = sched_key(sk, old.refresh_due, domain);
	skv.mv_data = sk;
	rc = mdb_del(txn, s->schedule, &skv, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND) {
	    store_rec_free(&old);
	    return rc;
	}
    }
    tmp = *r;
    if (r->text == NULL) {
	tmp.text = have_old ? old.text : NULL;
	tmp.text_len = have_old ? old.text_len : 0;
    }
    buf_reset(val);
    rc = store_rec_encode(&tmp, val) < 0 ? MDB_BAD_VALSIZE : 0;
    if (have_old)
	store_rec_free(&old);
    if (rc != 0)
	return rc;
    v.mv_size = val->len;
    v.mv_data = val->data;
    if ((rc = mdb_put(txn, s->policies, &k, &v, 0)) != 0)
	return rc;
    if (r->refresh_due) {
	skv.mv_size = sched_key(sk, r->refresh_due, domain);
	skv.mv_data = sk;
	if ((rc = mdb_put(txn, s->schedule, &skv, &empty, 0)) != 0)
	    return rc;
    }
    return 0;
}

/* key_ok - a domain that fits an LMDB key */
static int key_ok(const char *domain)
{
    size_t n = strlen(domain);

    return n > 0 && n <= STORE_KEY_MAX;
}

/*
 * store_write - fn in a write transaction, committed; when the map is full,
 * make room within the write's budget and try again
 */
int store_write(MDB_env *env, const char *what, size_t size, store_txn_fn fn, void *arg,
		mt_err *err)
{
    store *s = mdb_env_get_userctx(env);
    store_budget b = {0, 0, 0};
    MDB_txn *txn;
    int rc = 0, attempt;

    for (attempt = 0; attempt < STORE_WRITE_ATTEMPTS; attempt++) {
	if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
	    break;
	if ((rc = fn(txn, arg)) == 0)
	    rc = mdb_txn_commit(txn);
	else
	    mdb_txn_abort(txn);
	if (rc != MDB_MAP_FULL || s == NULL)
	    break;
	if (store_room_for(s, what ? what : "a write", size, &b, err) < 0)
	    return rc;			/* err says what did not fit, and why */
    }
    if (rc != 0) {
	store_lmdb_fail(err, "writing", rc);
	return rc;
    }
    if (s != NULL && !b.started)	/* a write that evicted has had its round */
	store_check_fullness(s);
    return 0;
}

typedef struct put_job {
    store *s;
    const char *const *domains;
    const store_rec *const *recs;
    size_t n;
    buf val;				/* scratch: one encoded record */
} put_job;

/* put_all - store_put_many()'s transaction */
static int put_all(MDB_txn *txn, void *arg)
{
    put_job *j = arg;
    size_t i;
    int rc = 0;

    for (i = 0; i < j->n && rc == 0; i++)
	rc = put_in_txn(j->s, txn, j->domains[i], j->recs[i], &j->val);
    return rc;
}

/* rec_bytes - about the bytes of a record as stored, its key included */
static size_t rec_bytes(const char *domain, const store_rec *r)
{
    size_t n = strlen(domain) + STORE_REC_FIXED + 2 + 2 * STS_ID_MAX + 2 + 4 + r->text_len, i;

    for (i = 0; i < r->n_mx; i++)
	n += 1 + strlen(r->mx[i]);
    return n;
}

/* store_put_many - write n records in one transaction, making room when full */
int store_put_many(store *s, const char *const *domains, const store_rec *const *recs,
		   size_t n, mt_err *err)
{
    put_job j = {s, domains, recs, n, {0}};
    char what[STORE_WHAT_MAX];
    size_t i, size = 0;
    int rc;

    for (i = 0; i < n; i++) {
	if (!key_ok(domains[i])) {
	    mt_err_set(err, 0, 0, NULL, "store: bad key length");
	    return -1;
	}
	size += rec_bytes(domains[i], recs[i]);
    }
    if (n == 0)
	return 0;
    if (n == 1)
	snprintf(what, sizeof(what), "the record of %s", domains[0]);
    else
	snprintf(what, sizeof(what), "the records of %zu domains", n);
    rc = store_write(s->env, what, size, put_all, &j, err);
    buf_free(&j.val);
    return rc != 0 ? -1 : 0;
}

/* store_put - write one record in one transaction */
int store_put(store *s, const char *domain, const store_rec *r, mt_err *err)
{
    return store_put_many(s, &domain, &r, 1, err);
}

/* store_del_in_txn - delete a record and its schedule key */
int store_del_in_txn(store *s, MDB_txn *txn, const char *domain)
{
    unsigned char sk[STORE_SCHED_KEY_MAX];
    MDB_val k = {strlen(domain), (void *) domain}, v, skv;
    store_rec old;
    int rc;

    rc = mdb_get(txn, s->policies, &k, &v);
    if (rc != 0)
	return rc;
    if (store_rec_decode(v.mv_data, v.mv_size, &old) == 0) {
	if (old.refresh_due) {
	    skv.mv_size = sched_key(sk, old.refresh_due, domain);
	    skv.mv_data = sk;
	    rc = mdb_del(txn, s->schedule, &skv, NULL);
	    if (rc != 0 && rc != MDB_NOTFOUND) {
		store_rec_free(&old);
		return rc;
	    }
	}
	store_rec_free(&old);
    }
    return mdb_del(txn, s->policies, &k, NULL);
}

typedef struct del_job {
    store *s;
    const char *domain;
} del_job;

/* del_one - store_del()'s transaction */
static int del_one(MDB_txn *txn, void *arg)
{
    del_job *j = arg;

    return store_del_in_txn(j->s, txn, j->domain);
}

/* store_del - forget a domain */
int store_del(store *s, const char *domain, mt_err *err)
{
    del_job j = {s, domain};
    int rc;

    if (!key_ok(domain)) {
	mt_err_set(err, 0, 0, NULL, "store: bad key length");
	return -1;
    }
    rc = store_write(s->env, "a deletion", 0, del_one, &j, err);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

/* store_foreach - every record, in key order, in one read transaction */
int store_foreach(store *s, store_visit_fn fn, void *arg, mt_err *err)
{
    char domain[STORE_KEY_MAX + 1];
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, op = MDB_FIRST, stop = 0;

    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
	return store_lmdb_fail(err, "read transaction", rc);
    if ((rc = mdb_cursor_open(txn, s->policies, &cur)) != 0) {
	mdb_txn_abort(txn);
	return store_lmdb_fail(err, "cursor", rc);
    }
    while (!stop && (rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
	store_rec r;

	op = MDB_NEXT;
	if (k.mv_size == 0 || k.mv_size > STORE_KEY_MAX)
	    continue;
	memcpy(domain, k.mv_data, k.mv_size);
	domain[k.mv_size] = 0;
	if (store_rec_decode(v.mv_data, v.mv_size, &r) < 0)
	    continue;			/* damaged: skipped (store_get reports it) */
	stop = fn(domain, &r, arg);
	store_rec_free(&r);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND)
	return store_lmdb_fail(err, "walking the policies", rc);
    return 0;
}

/* store_schedule_due - schedule keys due at or before until, in time order */
int store_schedule_due(store *s, int64_t until, store_due_fn fn, void *arg, mt_err *err)
{
    char domain[STORE_KEY_MAX + 1];
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, op = MDB_FIRST;

    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
	return store_lmdb_fail(err, "read transaction", rc);
    if ((rc = mdb_cursor_open(txn, s->schedule, &cur)) != 0) {
	mdb_txn_abort(txn);
	return store_lmdb_fail(err, "cursor", rc);
    }
    while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
	const unsigned char *p = k.mv_data;
	uint64_t due = 0;
	int i;

	op = MDB_NEXT;
	if (k.mv_size <= 8 || k.mv_size > STORE_SCHED_KEY_MAX)
	    continue;
	for (i = 0; i < 8; i++)
	    due = due << 8 | p[i];
	if ((int64_t) due > until)
	    break;
	memcpy(domain, p + 8, k.mv_size - 8);
	domain[k.mv_size - 8] = 0;
	if (fn(domain, (int64_t) due, arg))
	    break;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND)
	return store_lmdb_fail(err, "walking the schedule", rc);
    return 0;
}

/* store_info - counts and sizes */
int store_info(store *s, store_stats *st)
{
    MDB_envinfo info;
    MDB_stat ms;
    MDB_txn *txn;

    memset(st, 0, sizeof(*st));
    st->max_size = s->max_size;
    st->evicted = s->evicted;
    if (mdb_env_info(s->env, &info) == 0 && mdb_env_stat(s->env, &ms) == 0) {
	st->map_size = info.me_mapsize;
	st->file_bytes = (uint64_t) (info.me_last_pgno + 1) * ms.ms_psize;
    }
    st->used_bytes = store_used_bytes(s);
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != 0)
	return -1;
    if (mdb_stat(txn, s->policies, &ms) == 0)
	st->entries = ms.ms_entries;
    if (mdb_stat(txn, s->schedule, &ms) == 0)
	st->scheduled = ms.ms_entries;
    mdb_txn_abort(txn);
    return 0;
}
