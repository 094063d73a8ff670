/* test_store - the LMDB store (daemon/store.c): records, schedule, schema, eviction */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "store.h"
#include "t.h"
#include "t_store.h"
#include "tlsrpt_counters.h"
#include "tlsrpt_send.h"

static char dir[256];

/* fresh_dir - a new empty state directory */
static void fresh_dir(void)
{

    if (dir[0]) {
	t_rmtree(dir);
    }
    strcpy(dir, "/tmp/test_store.XXXXXX");
    if (mkdtemp(dir) == NULL)
	dir[0] = 0;
}

/* sample - an enforce policy record */
static void sample(store_rec *r, const char *id, int64_t fetched, uint32_t max_age)
{
    char *mx[] = {"mx1.example.com", "*.mail.example.com"};
    static const char text[] = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
	"mx: *.mail.example.com\nmax_age: 86400\n";

    store_rec_init(r);
    r->has_policy = 1;
    r->mode = POLICY_MODE_ENFORCE;
    snprintf(r->id, sizeof(r->id), "%s", id);
    r->max_age = max_age;
    r->fetched = fetched;
    r->expires = fetched + max_age;
    r->refresh_due = fetched + max_age / 2;
    r->last_used = fetched;
    store_rec_set_mx(r, mx, 2);
    store_rec_set_text(r, text, sizeof(text) - 1);
}

static void record_round_trips_every_field(void)
{
    store_rec a, b;
    buf v = {0};

    sample(&a, "20240101", 1700000000, 86400);
    a.first_contact = 1690000000;
    a.last_failure = STORE_FAIL_DEFINITIVE;
    a.fail_time = -5;
    strcpy(a.fail_id, "abc");
    a.fail_count = 7;
    T_EQ_INT(store_rec_encode(&a, &v), 0);
    T_EQ_INT(store_rec_decode(v.data, v.len, &b), 0);
    T_EQ_INT(b.has_policy, 1);
    T_EQ_INT(b.mode, POLICY_MODE_ENFORCE);
    T_EQ_STR(b.id, "20240101");
    T_EQ_INT(b.max_age, 86400);
    T_EQ_INT(b.expires, 1700086400);
    T_EQ_INT(b.first_contact, 1690000000);
    T_EQ_INT(b.fail_time, -5);
    T_EQ_STR(b.fail_id, "abc");
    T_EQ_INT(b.fail_count, 7);
    T_EQ_INT(b.last_failure, STORE_FAIL_DEFINITIVE);
    T_EQ_INT(b.n_mx, 2);
    T_EQ_STR(b.mx[1], "*.mail.example.com");
    T_EQ_STR(b.text, a.text);
    store_rec_free(&a);
    store_rec_free(&b);
    buf_free(&v);
}

static void truncated_record_is_refused_at_every_length(void)
{
    store_rec a, b;
    buf v = {0};
    size_t n;

    sample(&a, "x1", 1700000000, 600);
    T_EQ_INT(store_rec_encode(&a, &v), 0);
    for (n = 0; n < v.len; n++)
	T_EQ_INT(store_rec_decode(v.data, n, &b), -1);
    store_rec_free(&a);
    buf_free(&v);
}

static void put_get_del_and_reopen(void)
{
    mt_err err;
    store *s;
    store_rec a, b;

    fresh_dir();
    s = store_open(dir, 64 << 20, &err);
    T_ASSERT(s != NULL);
    sample(&a, "id1", 1700000000, 3600);
    T_EQ_INT(store_put(s, "example.com", &a, &err), 0);
    T_EQ_INT(store_get(s, "example.com", &b, &err), 1);
    T_EQ_STR(b.id, "id1");
    store_rec_free(&b);
    T_EQ_INT(store_get(s, "example.org", &b, &err), 0);
    store_close(s);
    s = store_open(dir, 64 << 20, &err);
    T_ASSERT(s != NULL);
    T_EQ_INT(store_get(s, "example.com", &b, &err), 1);
    T_EQ_INT(b.n_mx, 2);
    store_rec_free(&b);
    T_EQ_INT(store_del(s, "example.com", &err), 0);
    T_EQ_INT(store_get(s, "example.com", &b, &err), 0);
    T_EQ_INT(store_del(s, "example.com", &err), 0);
    store_rec_free(&a);
    store_close(s);
}

typedef struct due_seen {
    int n;
    char names[8][64];
    int64_t due[8];
} due_seen;

static int on_due(const char *domain, int64_t due, void *arg)
{
    due_seen *d = arg;

    if (d->n < 8) {
	snprintf(d->names[d->n], 64, "%s", domain);
	d->due[d->n] = due;
    }
    d->n++;
    return 0;
}

/* design.md "Storage": a refresh schedule keyed by (due time, domain) */
static void schedule_follows_every_write_in_time_order(void)
{
    mt_err err;
    store *s;
    store_rec a;
    due_seen seen = {0};

    fresh_dir();
    s = store_open(dir, 64 << 20, &err);
    T_ASSERT(s != NULL);
    sample(&a, "id1", 1000, 600);	/* due 1300 */
    T_EQ_INT(store_put(s, "b.example", &a, &err), 0);
    a.refresh_due = 1200;
    T_EQ_INT(store_put(s, "a.example", &a, &err), 0);
    a.refresh_due = 5000;
    T_EQ_INT(store_put(s, "c.example", &a, &err), 0);
    a.refresh_due = 1100;		/* moved: the old key 5000 must go */
    T_EQ_INT(store_put(s, "c.example", &a, &err), 0);
    T_EQ_INT(store_schedule_due(s, 1300, on_due, &seen, &err), 0);
    T_EQ_INT(seen.n, 3);
    T_EQ_STR(seen.names[0], "c.example");
    T_EQ_STR(seen.names[1], "a.example");
    T_EQ_STR(seen.names[2], "b.example");
    T_EQ_INT(seen.due[2], 1300);
    T_EQ_INT(store_del(s, "a.example", &err), 0);
    memset(&seen, 0, sizeof(seen));
    T_EQ_INT(store_schedule_due(s, 1000000, on_due, &seen, &err), 0);
    T_EQ_INT(seen.n, 2);
    a.refresh_due = 0;			/* out of the schedule */
    T_EQ_INT(store_put(s, "b.example", &a, &err), 0);
    memset(&seen, 0, sizeof(seen));
    T_EQ_INT(store_schedule_due(s, 1000000, on_due, &seen, &err), 0);
    T_EQ_INT(seen.n, 1);
    store_rec_free(&a);
    store_close(s);
}

static void newer_schema_is_refused_clearly(void)
{
    char path[300];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {6, "schema"}, v = {2, "99"};
    mt_err err;
    store *s;

    fresh_dir();
    snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
    T_EQ_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    T_EQ_INT(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
    T_EQ_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    T_EQ_INT(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
    T_EQ_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
    T_EQ_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    s = store_open(dir, 64 << 20, &err);
    T_ASSERT(s == NULL);
    T_ASSERT(strstr(err.msg, "schema version 99") != NULL);
    T_ASSERT(strstr(err.msg, "newer") != NULL);
}

static int evicted_n;
static int enforce_evicted;

static void on_evict(const char *domain, void *arg)
{
    (void) arg;
    evicted_n++;
    if (strncmp(domain, "enforce", 7) == 0)
	enforce_evicted++;
}

/* design.md "Storage": LRU domains without an unexpired enforce policy go first */
static void full_store_evicts_lru_but_keeps_unexpired_enforce(void)
{
    mt_err err;
    store *s;
    store_rec a;
    store_stats st;
    char name[64];
    int64_t now = (int64_t) time(NULL);
    int i, ok = 1;

    fresh_dir();
    s = store_open(dir, 1 << 20, &err);	/* 1 MiB cap */
    T_ASSERT(s != NULL);
    store_set_evict_cb(s, on_evict, NULL);
    sample(&a, "id1", now, 86400);
    for (i = 0; i < 50; i++) {
	snprintf(name, sizeof(name), "enforce%d.example", i);
	a.last_used = 1;		/* oldest of all, but protected */
	if (store_put(s, name, &a, &err) < 0)
	    ok = 0;
    }
    T_ASSERT(ok);
    a.mode = POLICY_MODE_TESTING;
    store_rec_set_text(&a, NULL, 0);
    {
	char big[2000];

	memset(big, 'x', sizeof(big));
	store_rec_set_text(&a, big, sizeof(big));
    }
    for (i = 0; i < 3000 && ok; i++) {
	snprintf(name, sizeof(name), "testing%d.example", i);
	a.last_used = 100 + i;
	if (store_put(s, name, &a, &err) < 0) {
	    printf("# %s: %s\n", name, err.msg);
	    ok = 0;
	}
    }
    T_ASSERT(ok);
    T_ASSERT(evicted_n > 0);
    T_EQ_INT(enforce_evicted, 0);
    store_info(s, &st);
    T_ASSERT(st.map_size <= (1 << 20));
    T_ASSERT(st.evicted > 0);
    {
	store_rec b;

	T_EQ_INT(store_get(s, "enforce0.example", &b, &err), 1);
	store_rec_free(&b);
	T_EQ_INT(store_get(s, "testing0.example", &b, &err), 0);	/* least recent: gone */
	T_EQ_INT(store_get(s, "testing2999.example", &b, &err), 1);
	store_rec_free(&b);
    }
    store_rec_free(&a);
    store_close(s);
}

static void env_has_room_for_other_named_databases(void)
{
    mt_err err;
    store *s;
    MDB_txn *txn;
    MDB_dbi dbi;
    int i;
    char name[32];

    fresh_dir();
    s = store_open(dir, 8 << 20, &err);
    T_ASSERT(s != NULL);
    T_EQ_INT(mdb_txn_begin(store_env(s), NULL, 0, &txn), 0);
    for (i = 0; i < STORE_MAX_DBS - 3; i++) {
	snprintf(name, sizeof(name), "other%d", i);
	T_EQ_INT(mdb_dbi_open(txn, name, MDB_CREATE, &dbi), 0);
    }
    T_EQ_INT(mdb_txn_commit(txn), 0);
    store_close(s);
}

/* fill_to_cap - a 1 MiB store full of evictable testing policies */
static store *fill_to_cap(void)
{
    char name[64], big[2000];
    store_rec a;
    store_stats st;
    mt_err err;
    store *s;
    int i;

    fresh_dir();
    if ((s = store_open(dir, 1 << 20, &err)) == NULL)
	return NULL;
    sample(&a, "id1", (int64_t) time(NULL), 86400);
    a.mode = POLICY_MODE_TESTING;
    memset(big, 'x', sizeof(big));
    store_rec_set_text(&a, big, sizeof(big));
    for (i = 0, st.evicted = 0; i < 2000 && st.evicted == 0; i++) {
	snprintf(name, sizeof(name), "testing%d.example", i);
	a.last_used = 100 + i;
	if (store_put(s, name, &a, &err) < 0)
	    break;
	store_info(s, &st);
    }
    store_rec_free(&a);
    if (st.evicted == 0) {		/* never full, or a write failed */
	store_close(s);
	return NULL;
    }
    return s;
}

typedef struct bulk {
    MDB_dbi dbi;
    int n;
    size_t size;
} bulk;

/* put_bulk - n values of size bytes into another module's database */
static int put_bulk(MDB_txn *txn, void *arg)
{
    bulk *b = arg;
    char key[32], *val = malloc(b->size);
    MDB_val k, v;
    int i, rc = 0;

    if (val == NULL)
	return ENOMEM;
    memset(val, 'v', b->size);
    for (i = 0; i < b->n && rc == 0; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	k.mv_size = strlen(key), k.mv_data = key;
	v.mv_size = b->size, v.mv_data = val;
	rc = mdb_put(txn, b->dbi, &k, &v, 0);
    }
    free(val);
    return rc;
}

/* open_bulk - store_write()'s first use: the named database */
static int open_bulk(MDB_txn *txn, void *arg)
{
    return mdb_dbi_open(txn, "other", MDB_CREATE, &((bulk *) arg)->dbi);
}

/*
 * Every writer of the environment makes room when full (store.h,
 * store_write): here a quarter of the cap in one transaction, more than
 * the room left but less than what one write may evict
 */
static void store_write_makes_room_when_the_map_is_full(void)
{
    store *s = fill_to_cap();
    store_stats before, after;
    bulk b = {0, 250, 1000};
    mt_err err;

    T_ASSERT(s != NULL);
    store_info(s, &before);
    T_EQ_INT(store_write(store_env(s), "the other database", 0, open_bulk, &b, &err), 0);
    T_EQ_INT(store_write(store_env(s), "250 bulk values", 250 * 1000, put_bulk, &b, &err), 0);
    store_info(s, &after);
    T_ASSERT(after.evicted > before.evicted);
    T_ASSERT(after.map_size <= (1 << 20));
    store_close(s);
}

/* store.h: a state update (text NULL) keeps the stored text, and never stores a policy without one */
static void state_update_never_stores_a_policy_without_text(void)
{
    store_rec a, b;
    mt_err err;
    store *s;

    fresh_dir();
    s = store_open(dir, 64 << 20, &err);
    T_ASSERT(s != NULL);
    sample(&a, "id1", 1700000000, 3600);
    T_EQ_INT(store_put(s, "kept.example", &a, &err), 0);
    free(a.text);
    a.text = NULL;			/* a state update, as pc_commit() writes */
    a.text_len = 0;
    a.last_used = 1700000100;
    T_EQ_INT(store_put(s, "kept.example", &a, &err), 0);
    T_EQ_INT(store_get(s, "kept.example", &b, &err), 1);
    T_EQ_INT(b.last_used, 1700000100);
    T_ASSERT(b.text_len > 0 && strstr(b.text, "mode: enforce") != NULL);
    store_rec_free(&b);
    /* the same for a domain no longer stored (evicted): nothing is written */
    T_EQ_INT(store_put(s, "evicted.example", &a, &err), 0);
    T_EQ_INT(store_get(s, "evicted.example", &b, &err), 0);
    a.has_policy = 0;			/* state without a policy is stored */
    T_EQ_INT(store_put(s, "unknown.example", &a, &err), 0);
    T_EQ_INT(store_get(s, "unknown.example", &b, &err), 1);
    store_rec_free(&b);
    store_rec_free(&a);
    store_close(s);
}

static int64_t hot_use;

/* lastuse - the test's stand-in for the policy cache's memory */
static int64_t lastuse(const char *domain, void *arg)
{
    (void) arg;
    if (strcmp(domain, "hot.example") == 0)
	return hot_use;
    if (strcmp(domain, "busy.example") == 0)
	return STORE_IN_USE;
    return 0;
}

/*
 * design.md "Storage": eviction ranks a domain by the later of its stored
 * last use and the one the last-use callback knows (uses not yet
 * written); a domain being looked up is never evicted
 */
static void eviction_ranks_by_the_freshest_last_use(void)
{
    store *s = fill_to_cap();
    store_rec a, b;
    mt_err err;
    char name[64], big[2000];
    int i;

    T_ASSERT(s != NULL);
    sample(&a, "id1", (int64_t) time(NULL), 86400);
    a.mode = POLICY_MODE_TESTING;
    memset(big, 'x', sizeof(big));
    store_rec_set_text(&a, big, sizeof(big));
    a.last_used = 1;			/* the oldest in the store ... */
    T_EQ_INT(store_put(s, "hot.example", &a, &err), 0);
    T_EQ_INT(store_put(s, "busy.example", &a, &err), 0);
    T_EQ_INT(store_put(s, "cold.example", &a, &err), 0);
    hot_use = 1000000;			/* ... but hot was used since: newest of all */
    store_set_lastuse_cb(s, lastuse, NULL);
    for (i = 0; i < 300; i++) {
	snprintf(name, sizeof(name), "more%d.example", i);
	a.last_used = 10000 + i;
	T_EQ_INT(store_put(s, name, &a, &err), 0);
    }
    T_EQ_INT(store_get(s, "cold.example", &b, &err), 0);
    T_EQ_INT(store_get(s, "more0.example", &b, &err), 0);
    T_EQ_INT(store_get(s, "hot.example", &b, &err), 1);
    store_rec_free(&b);
    T_EQ_INT(store_get(s, "busy.example", &b, &err), 1);
    store_rec_free(&b);
    store_rec_free(&a);
    store_close(s);
}

/* outbox_add_json - a TLS-RPT report of size bytes of JSON into the outbox */
static int outbox_add_json(store *s, size_t size, mt_err *err)
{
    tlsrpt_outbox_entry e;
    mtasts_config cfg;
    tlsrpt_sender *snd;
    evloop *loop;
    int rc = -1;

    config_defaults(&cfg);
    loop = evloop_new();
    if ((snd = tlsrpt_sender_new(loop, &cfg, store_env(s), NULL, err)) != NULL) {
	memset(&e, 0, sizeof(e));
	e.day = 20000;
	e.domain = "huge.example";
	e.report_id = "id@huge.example";
	if ((e.json = malloc(size + 1)) != NULL) {
	    memset(e.json, 'j', size);
	    e.json[size] = 0;
	    rc = tlsrpt_outbox_add(snd, &e, err);
	    free(e.json);
	}
	tlsrpt_sender_free(snd);
    }
    evloop_free(loop);
    config_free(&cfg);
    return rc;
}

/* TLS-RPT's counts and reports share the store's map: they make room too */
static void tlsrpt_writes_make_room_when_the_store_is_full(void)
{
    store *s = fill_to_cap();
    store_stats before, after;
    tlsrpt_counters *c;
    char reason[1000], domain[64];
    mt_err err;
    int i;

    T_ASSERT(s != NULL);
    store_info(s, &before);
    c = tlsrpt_counters_open(store_env(s), &err);
    T_ASSERT(c != NULL);
    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = 0;
    for (i = 0; i < 150; i++) {		/* about 150 KB in one transaction */
	tlsrpt_result r = {
	    .when = (int64_t) time(NULL), .domain = domain, .policy_type = TLSRPT_POLICY_STS,
	    .result = TLSRPT_VALIDATION_FAILURE, .reason = reason,
	};

	snprintf(domain, sizeof(domain), "report%d.example", i);
	snprintf(reason, sizeof(reason), "%d", i);	/* distinct, then long */
	reason[strlen(reason)] = 'r';
	T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    }
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    tlsrpt_counters_close(c);
    T_EQ_INT(outbox_add_json(s, 100000, &err), 0);
    store_info(s, &after);
    T_ASSERT(after.evicted > before.evicted);
    store_close(s);
}

/*
 * design.md "Storage": one write that cannot fit fails alone. A value
 * larger than the cap evicts nothing; one that eviction might make room
 * for evicts a bounded share of the policies; the error names the write
 * and its size, and every policy kept reads back whole.
 */
static void write_that_cannot_fit_fails_and_keeps_the_cache(void)
{
    store *s = fill_to_cap();
    bulk b = {0, 1, 700u * 1024};		/* fits only an empty store */
    uint64_t n0, n;
    mt_err err;

    T_ASSERT(s != NULL);
    T_ASSERT((n0 = t_store_whole(s)) > 100);
    T_ASSERT(outbox_add_json(s, 2u << 20, &err) < 0);	/* twice the cap */
    printf("# %s\n", err.msg);
    T_ASSERT(strstr(err.msg, "huge.example") != NULL);
    T_ASSERT(strstr(err.msg, "2097") != NULL);		/* its size, in bytes */
    n = t_store_whole(s);
    printf("# %llu of %llu policies kept\n", (unsigned long long) n, (unsigned long long) n0);
    T_EQ_INT(n, n0);					/* nothing evicted in vain */

    T_EQ_INT(store_write(store_env(s), "the other database", 0, open_bulk, &b, &err), 0);
    T_ASSERT(store_write(store_env(s), "the big value", b.size, put_bulk, &b, &err) != 0);
    printf("# %s\n", err.msg);
    n = t_store_whole(s);
    printf("# %llu of %llu policies kept\n", (unsigned long long) n, (unsigned long long) n0);
    T_ASSERT(n * 100 >= n0 * 80);
    store_close(s);
}

/*
 * design.md "Storage": at the cap, ordinary writes (policies, a report)
 * succeed, each evicting a few least recently used domains
 */
static void ordinary_writes_at_the_cap_evict_a_few(void)
{
    store *s = fill_to_cap();
    store_stats before, after;
    uint64_t n0, most = 0;
    store_rec a, got;
    char name[64], text[2000];
    mt_err err;
    int i;

    T_ASSERT(s != NULL);
    T_ASSERT((n0 = t_store_whole(s)) > 100);
    sample(&a, "id2", (int64_t) time(NULL), 86400);
    a.mode = POLICY_MODE_TESTING;
    memset(text, 'y', sizeof(text));
    store_rec_set_text(&a, text, sizeof(text));
    for (i = 0; i < 100; i++) {
	snprintf(name, sizeof(name), "new%d.example", i);
	a.last_used = 100000 + i;
	store_info(s, &before);
	T_EQ_INT(store_put(s, name, &a, &err), 0);
	store_info(s, &after);
	if (after.evicted - before.evicted > most)
	    most = after.evicted - before.evicted;
    }
    store_rec_free(&a);
    T_EQ_INT(outbox_add_json(s, 20000, &err), 0);
    printf("# at most %llu evicted by one write of %llu policies\n", (unsigned long long) most,
	   (unsigned long long) n0);
    T_ASSERT(most > 0);
    T_ASSERT(most * 100 <= n0 * STORE_WRITE_EVICT_PERCENT);
    for (i = 0; i < 100; i++) {
	snprintf(name, sizeof(name), "new%d.example", i);
	T_EQ_INT(store_get(s, name, &got, &err), 1);
	store_rec_free(&got);
    }
    T_ASSERT(t_store_whole(s) > 0);
    store_info(s, &after);
    T_ASSERT(after.map_size <= (1 << 20));
    store_close(s);
}

int main(void)
{
    T_RUN(record_round_trips_every_field);
    T_RUN(truncated_record_is_refused_at_every_length);
    T_RUN(put_get_del_and_reopen);
    T_RUN(schedule_follows_every_write_in_time_order);
    T_RUN(newer_schema_is_refused_clearly);
    T_RUN(full_store_evicts_lru_but_keeps_unexpired_enforce);
    T_RUN(env_has_room_for_other_named_databases);
    T_RUN(store_write_makes_room_when_the_map_is_full);
    T_RUN(tlsrpt_writes_make_room_when_the_store_is_full);
    T_RUN(state_update_never_stores_a_policy_without_text);
    T_RUN(eviction_ranks_by_the_freshest_last_use);
    T_RUN(write_that_cannot_fit_fails_and_keeps_the_cache);
    T_RUN(ordinary_writes_at_the_cap_evict_a_few);
    fresh_dir();			/* removes the last one */
    if (dir[0])
	rmdir(dir);
    return t_done();
}
