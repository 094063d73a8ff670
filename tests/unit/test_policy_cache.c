/*
 * test_policy_cache - the answer table of design.md "Policy life cycle",
 * row by row, with a scripted discovery engine standing in for the network
 * (the real one is exercised row by row in tests/integration/t_daemon_table.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "policy_cache.h"
#include "store.h"
#include "t.h"
#include "t_disc.h"
#include "t_store.h"

/* ---- the scripted engine: remembers each start, the test finishes it ---- */

static disc_result *result(disc_status s)
{
    disc_result *r = calloc(1, sizeof(*r));

    r->status = s;
    snprintf(r->reason, sizeof(r->reason), "scripted %d", (int) s);
    return r;
}

static disc_result *policy_result(const char *id, policy_mode mode, uint32_t max_age)
{
    disc_result *r = result(DISC_POLICY);

    snprintf(r->id, sizeof(r->id), "%s", id);
    r->fetched = 1;
    r->http_status = 200;
    r->policy.mode = mode;
    r->policy.max_age = max_age;
    r->policy.n_mx = 1;
    r->policy.mx = calloc(1, sizeof(char *));
    r->policy.mx[0] = strdup("mx.example.com");
    r->policy_text = strdup("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n");
    return r;
}

/* finish - complete call i with r */
static void finish(int i, disc_result *r)
{
    calls[i].done = 1;
    calls[i].cb(r, calls[i].arg);
}

/* ---- the cache under test ---- */

static char dir[128];
static mtasts_config cfg;
static evloop *loop;
static store *st;
static policy_cache *pc;
static int hook_calls;
static uint64_t store_cap = 16 << 20;	/* setup()'s store_max_size */

static void on_hook(void *arg, const char *domain, const disc_result *r)
{
    (void) arg;
    (void) domain;
    (void) r;
    hook_calls++;
}

static void setup(void)
{
    pc_backend be = {fake_start, discovery_result_free, NULL};
    mt_err err;

    config_defaults(&cfg);
    strcpy(dir, "/tmp/test_pc.XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    loop = evloop_new();
    st = store_open(dir, store_cap, &err);
    pc = pc_new(loop, &cfg, st, &be, &err);
    pc_set_failure_hook(pc, on_hook, NULL);
    ncalls = 0;
    hook_calls = 0;
}

/* setup_small - setup() with the smallest store, to reach its cap */
static void setup_small(void)
{
    store_cap = STORE_MIN_MAP;
    setup();
    store_cap = 16 << 20;
}

static void teardown(void)
{

    pc_free(pc);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    t_rmtree(dir);
}

typedef struct got {
    int n;
    pc_answer a;
    char reason[64];
} got;

static void on_done(void *arg, const pc_answer *a)
{
    got *g = arg;

    g->n++;
    g->a = *a;
    snprintf(g->reason, sizeof(g->reason), "%s", a->reason ? a->reason : "");
}

/* ask - query; returns 1 when answered now (into g), 0 pending */
static int ask(const char *domain, unsigned flags, got *g)
{
    pc_wait *w;
    int r;

    memset(g, 0, sizeof(*g));
    r = pc_query(pc, domain, flags, &g->a, on_done, g, &w);
    if (r == 1) {
	g->n = 1;
	snprintf(g->reason, sizeof(g->reason), "%s", g->a.reason ? g->a.reason : "");
    }
    return r;
}

/* age_first_contact - pretend the domain was first asked long ago */
static void age_first_contact(const char *domain, int64_t seconds)
{
    pc_entry *e = pc_find_mut(pc, domain);

    e->rec.first_contact -= seconds;
}

/* Row 1: a cached policy is answered at once, without the network. */
static void cached_policy_answers_at_once(void)
{
    got g;

    setup();
    T_EQ_INT(ask("example.com", 0, &g), 0);
    T_EQ_INT(ncalls, 1);
    T_EQ_INT(calls[0].flags, 0);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(g.n, 1);
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_INT(ask("example.com", 0, &g), 1);
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_STR(g.a.e->rec.id, "id1");
    T_EQ_INT(g.a.e->rec.mode, POLICY_MODE_ENFORCE);
    T_EQ_INT(ncalls, 1);
    teardown();
}

/* Row 1, behind it: the TXT id is re-checked; a changed id fetches. */
static void cached_policy_rechecks_id_in_background(void)
{
    got g;

    setup();
    cfg.txt_recheck_interval_ms = 0;
    ask("example.com", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(ask("example.com", 0, &g), 1);	/* at once ... */
    T_EQ_INT(ncalls, 2);			/* ... and a re-check behind it */
    T_ASSERT(calls[1].flags & DISC_TXT_ONLY);
    {
	disc_result *r = result(DISC_TXT_OK);

	strcpy(r->id, "id2");
	finish(1, r);
    }
    T_EQ_INT(ncalls, 3);			/* the changed id is fetched */
    T_ASSERT(calls[2].flags & DISC_IF_CHANGED);
    T_EQ_STR(calls[2].known_id, "id1");
    finish(2, policy_result("id2", POLICY_MODE_TESTING, 3600));
    T_EQ_INT(ask("example.com", 0, &g), 1);
    T_EQ_STR(g.a.e->rec.id, "id2");
    T_EQ_INT(g.a.e->rec.mode, POLICY_MODE_TESTING);
    teardown();
}

/* Only a newly fetched valid policy replaces a cached one. */
static void failed_refetch_keeps_cached_policy_and_backs_off(void)
{
    got g;
    disc_result *r;

    setup();
    cfg.txt_recheck_interval_ms = 0;
    ask("example.com", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    ask("example.com", 0, &g);
    r = result(DISC_TXT_OK);
    strcpy(r->id, "id2");
    finish(1, r);
    r = result(DISC_NO_POLICY);		/* the new policy: HTTP 404 */
    strcpy(r->id, "id2");
    r->fetched = 1;
    r->http_status = 404;
    r->failure = FETCH_FAIL_FETCH_ERROR;
    finish(2, r);
    T_EQ_INT(hook_calls, 1);
    T_EQ_INT(ask("example.com", 0, &g), 1);
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_STR(g.a.e->rec.id, "id1");
    T_EQ_INT(ncalls, 4);			/* another re-check ... */
    r = result(DISC_TXT_OK);
    strcpy(r->id, "id2");
    finish(3, r);
    T_EQ_INT(ncalls, 4);			/* ... but id2 backs off: no fetch */
    teardown();
}

/* Row 2: no STS record (or several, or invalid) -> none. */
static void no_record_answers_none(void)
{
    got g;
    disc_result *r;

    setup();
    T_EQ_INT(ask("norecord.example", 0, &g), 0);
    r = result(DISC_NO_POLICY);
    r->txt_outcome = DNS_NXDOMAIN;
    r->txt_set = STS_SET_NONE;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_NONE);
    T_EQ_STR(g.reason, "no-record");
    T_EQ_INT(ask("several.example", 0, &g), 0);
    r = result(DISC_NO_POLICY);
    r->txt_outcome = DNS_OK;
    r->txt_set = STS_SET_MANY;
    finish(1, r);
    T_EQ_INT(g.a.status, PC_NONE);
    T_EQ_STR(g.reason, "several-records");
    T_EQ_INT(hook_calls, 0);
    /* remembered: asked again, no network */
    T_EQ_INT(ask("norecord.example", 0, &g), 1);
    T_EQ_INT(g.a.status, PC_NONE);
    T_EQ_INT(ncalls, 2);
    teardown();
}

/* Row 3: SERVFAIL, timeout or bogus -> tempfail inside the window, then none. */
static void dns_failure_tempfails_inside_window_then_none(void)
{
    got g;
    disc_result *r;

    setup();
    ask("servfail.example", 0, &g);
    r = result(DISC_TEMPFAIL);
    r->txt_outcome = DNS_SERVFAIL;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_TEMPFAIL);
    T_EQ_STR(g.reason, "dns-servfail");
    age_first_contact("servfail.example", 3600);
    T_EQ_INT(ask("servfail.example", 0, &g), 1);	/* remembered, window over */
    T_EQ_INT(g.a.status, PC_NONE);
    teardown();
}

/* Row 3: DNSSEC-bogus is a failure, never "no record". */
static void dnssec_bogus_is_a_failure_not_no_record(void)
{
    got g;
    disc_result *r;

    setup();
    ask("bogus.example", 0, &g);
    r = result(DISC_TEMPFAIL);
    r->txt_outcome = DNS_BOGUS;
    r->txt_sec = DNS_SEC_BOGUS;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_TEMPFAIL);
    T_EQ_STR(g.reason, "dnssec-bogus");
    teardown();
}

/* Row 4: fetch still running at the answer deadline -> tempfail in the window. */
static void deadline_tempfails_inside_window(void)
{
    got g;
    int i;

    setup();
    cfg.answer_deadline_ms = 30;
    T_EQ_INT(ask("slow.example", 0, &g), 0);
    for (i = 0; i < 100 && g.n == 0; i++)
	evloop_run_once(loop, 10);
    T_EQ_INT(g.n, 1);
    T_EQ_INT(g.a.status, PC_TEMPFAIL);
    T_EQ_STR(g.reason, "answer-deadline");
    /* the flight goes on and caches the policy for the next ask */
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(ask("slow.example", 0, &g), 1);
    T_EQ_INT(g.a.status, PC_POLICY);
    teardown();
}

/* Row 4, outside the window (here: a window of 0, never tempfail) -> none. */
static void deadline_without_window_answers_none(void)
{
    got g;
    int i;

    setup();
    cfg.answer_deadline_ms = 30;
    cfg.first_contact_window_ms = 0;
    ask("slow.example", 0, &g);
    for (i = 0; i < 100 && g.n == 0; i++)
	evloop_run_once(loop, 10);
    T_EQ_INT(g.a.status, PC_NONE);
    finish(0, result(DISC_TEMPFAIL));
    teardown();
}

/* Row 5: connect error or timeout -> tempfail in the window, then none; back-off per id. */
static void connect_error_tempfails_then_backs_off_per_id(void)
{
    got g;
    disc_result *r;

    setup();
    cfg.failure_recheck_interval_ms = 0;
    ask("unreachable.example", 0, &g);
    r = result(DISC_TEMPFAIL);
    r->txt_outcome = DNS_OK;
    strcpy(r->id, "abc");
    r->fetched = 1;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_TEMPFAIL);
    T_EQ_STR(g.reason, "fetch-unreachable");
    T_EQ_INT(hook_calls, 1);
    /* RFC 8461 §3.3 back-off: the same id is not fetched again for 5 minutes */
    T_EQ_INT(ask("unreachable.example", 0, &g), 0);
    T_EQ_INT(ncalls, 2);
    T_ASSERT(calls[1].flags & DISC_IF_CHANGED);
    T_EQ_STR(calls[1].known_id, "abc");
    finish(1, result(DISC_UNCHANGED));
    T_EQ_INT(g.a.status, PC_TEMPFAIL);
    T_EQ_STR(g.reason, "fetch-backoff");
    age_first_contact("unreachable.example", 3600);
    ask("unreachable.example", 0, &g);
    finish(2, result(DISC_UNCHANGED));
    T_EQ_INT(g.a.status, PC_NONE);
    teardown();
}

/* Row 6: definitive fetch failure -> none, counted for TLS-RPT. */
static void definitive_fetch_failure_answers_none_and_counts(void)
{
    got g;
    disc_result *r;

    setup();
    ask("404.example", 0, &g);
    r = result(DISC_NO_POLICY);
    strcpy(r->id, "x1");
    r->fetched = 1;
    r->http_status = 404;
    r->failure = FETCH_FAIL_FETCH_ERROR;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_NONE);
    T_EQ_STR(g.reason, "policy-fetch-error");
    T_EQ_INT(hook_calls, 1);
    {
	pc_stats s;

	pc_get_stats(pc, &s);
	T_EQ_INT(s.fetch_failures, 1);
    }
    teardown();
}

/* Row 7: a valid policy is the answer; mode none is a policy whose mode is none. */
static void valid_policy_answers_it_mode_none_too(void)
{
    got g;

    setup();
    ask("none.example", 0, &g);
    finish(0, policy_result("n1", POLICY_MODE_NONE, 86400));
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_INT(g.a.e->rec.mode, POLICY_MODE_NONE);
    teardown();
}

/* One flight per domain however many clients wait. */
static void hundred_waiters_share_one_flight(void)
{
    got g[100];
    int i, answered = 0;

    setup();
    for (i = 0; i < 100; i++)
	T_EQ_INT(ask("busy.example", 0, &g[i]), 0);
    T_EQ_INT(ncalls, 1);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    for (i = 0; i < 100; i++)
	answered += g[i].n == 1 && g[i].a.status == PC_POLICY;
    T_EQ_INT(answered, 100);
    teardown();
}

/* Cached policies survive a restart (the store), and answer without network. */
static void restart_keeps_cached_policies(void)
{
    pc_backend be = {fake_start, discovery_result_free, NULL};
    mt_err err;
    got g;

    setup();
    ask("keep.example", 0, &g);
    finish(0, policy_result("id9", POLICY_MODE_ENFORCE, 86400));
    pc_free(pc);
    store_close(st);
    st = store_open(dir, 16 << 20, &err);
    pc = pc_new(loop, &cfg, st, &be, &err);
    T_ASSERT(pc != NULL);
    T_EQ_INT(ask("keep.example", 0, &g), 1);
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_STR(g.a.e->rec.id, "id9");
    T_EQ_INT(g.a.e->rec.n_mx, 1);
    T_EQ_INT(ncalls, 1);
    teardown();
}

/* The first-contact time survives a restart: no new window for an old domain. */
static void first_contact_is_remembered_across_restart(void)
{
    pc_backend be = {fake_start, discovery_result_free, NULL};
    mt_err err;
    got g;
    disc_result *r;

    setup();
    ask("sf.example", 0, &g);
    age_first_contact("sf.example", 3600);
    r = result(DISC_TEMPFAIL);
    r->txt_outcome = DNS_TIMEOUT;
    finish(0, r);
    T_EQ_INT(g.a.status, PC_NONE);
    pc_free(pc);
    store_close(st);
    st = store_open(dir, 16 << 20, &err);
    pc = pc_new(loop, &cfg, st, &be, &err);
    ask("sf.example", 0, &g);
    r = result(DISC_TEMPFAIL);
    r->txt_outcome = DNS_TIMEOUT;
    finish(1, r);
    T_EQ_INT(g.a.status, PC_NONE);
    teardown();
}

static void cancelled_waiter_hears_nothing(void)
{
    got g;
    pc_wait *w;

    setup();
    memset(&g, 0, sizeof(g));
    T_EQ_INT(pc_query(pc, "gone.example", 0, &g.a, on_done, &g, &w), 0);
    pc_wait_cancel(w);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(g.n, 0);
    teardown();
}

static void flush_forgets_policy_and_store_record(void)
{
    got g;
    store_rec r;
    mt_err err;

    setup();
    ask("flush.example", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(pc_flush(pc, "flush.example", &err), 0);
    T_ASSERT(pc_find(pc, "flush.example") == NULL);
    T_EQ_INT(store_get(st, "flush.example", &r, &err), 0);
    T_EQ_INT(ask("flush.example", 0, &g), 0);	/* asks the network again */
    T_EQ_INT(ncalls, 2);
    finish(1, result(DISC_NO_POLICY));
    teardown();
}

/* mx: a cached testing/enforce policy waits for the MX/TLSA status once */
static void mx_query_fetches_tlsa_status_once(void)
{
    got g;
    disc_result *r;

    setup();
    ask("dane.example", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(ask("dane.example", PC_Q_MX, &g), 0);
    T_EQ_INT(ncalls, 2);
    T_ASSERT(calls[1].flags & DISC_WITH_MX);
    r = result(DISC_TXT_OK);
    strcpy(r->id, "id1");
    r->mx_outcome = DNS_OK;
    r->n_mx = 1;
    strcpy(r->mx[0].host, "mx.example.com");
    r->mx[0].tlsa_usable = 1;
    finish(1, r);
    T_EQ_INT(g.n, 1);
    T_EQ_INT(g.a.mx_known, 1);
    T_EQ_INT(g.a.e->mx_info[0].tlsa_usable, 1);
    T_EQ_INT(ask("dane.example", PC_Q_MX, &g), 1);
    T_EQ_INT(ncalls, 2);
    teardown();
}

/* Row 1 with mx: a valid cached policy is answered even when no re-check can start */
static void mx_query_answers_cached_policy_when_recheck_cannot_start(void)
{
    got g;

    setup();
    ask("dane.example", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    fake_fail = 1;
    T_EQ_INT(ask("dane.example", PC_Q_MX, &g), 1);
    fake_fail = 0;
    T_EQ_INT(g.a.status, PC_POLICY);
    T_EQ_STR(g.a.e->rec.id, "id1");
    T_EQ_INT(g.a.mx_known, 0);
    teardown();
}

/* Cached answers must not get slower with more domains: 200k entries. */
/* lookup_ns - best of five runs of 100000 cached lookups, in thread CPU time
 * (wall time on a shared machine measures the other tenants) */
static double lookup_ns(const char *domain)
{
    struct timespec a, b;
    double best = 1e18;
    got g;
    int r, i;

    for (r = 0; r < 5; r++) {
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (i = 0; i < 100000; i++)
	    ask(domain, 0, &g);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 100000;

	if (ns < best)
	    best = ns;
    }
    return best;
}

static void cached_lookup_cost_does_not_grow(void)
{
    char name[64];
    double small_ns, big_ns;
    got g;
    int i;

    setup();
    ask("d0.example", 0, &g);
    finish(0, policy_result("id", POLICY_MODE_ENFORCE, 86400));
    small_ns = lookup_ns("d0.example");
    fake_drop = 1;
    for (i = 1; i < 200000; i++) {
	pc_entry *e;

	snprintf(name, sizeof(name), "d%d.example", i);
	ask(name, PC_Q_FORCE, &g);
	e = pc_find_mut(pc, name);
	e->rec.has_policy = 1;		/* as if its flight had brought one */
	e->rec.expires = time(NULL) + 3600;
	e->last_txt_check = time(NULL);
    }
    big_ns = lookup_ns("d0.example");
    printf("# cached lookup: %.0f ns with 1 domain, %.0f ns with 200000\n", small_ns, big_ns);
    T_ASSERT(big_ns < small_ns * 3 + 200);
    fake_drop = 0;
    teardown();
}

/*
 * Eviction frees memory too: many distinct unknown domains through a small
 * store keep the entries in memory near what the store holds, and an
 * evicted domain is not written back by the next commit (design.md "Storage").
 */
static void store_eviction_bounds_memory_entries(void)
{
    char name[64];
    store_stats ss;
    pc_stats ps;
    got g;
    int i;

    setup_small();
    for (i = 0; i < 12000; i++) {
	disc_result *r = result(DISC_NO_POLICY);

	snprintf(name, sizeof(name), "unknown%d.example", i);
	T_EQ_INT(ask(name, 0, &g), 0);
	r->txt_outcome = DNS_NXDOMAIN;
	finish(0, r);
	ncalls = 0;
	if (i % 100 == 99)
	    T_EQ_INT(pc_commit(pc), 0);
    }
    pc_get_stats(pc, &ps);
    T_EQ_INT(store_info(st, &ss), 0);
    printf("# %llu entries in memory, %llu in the store, %llu evicted\n",
	   (unsigned long long) ps.entries, (unsigned long long) ss.entries,
	   (unsigned long long) ss.evicted);
    T_ASSERT(ss.evicted > 0);
    T_ASSERT(ps.entries <= ss.entries);
    /* the oldest is gone from both, and the last commit did not bring it back */
    T_ASSERT(pc_find(pc, "unknown0.example") == NULL);
    T_EQ_INT(pc_commit(pc), 0);
    {
	store_rec r;
	mt_err err;

	T_EQ_INT(store_get(st, "unknown0.example", &r, &err), 0);
    }
    teardown();
}

/* ---- eviction and the batched last-use times (design.md "Storage") ---- */

/* fill_cold - evictable testing policies straight into the store, last used at
 * last_used, until the eviction rule has run; the number written */
static int fill_cold(int64_t last_used)
{
    char name[64], text[2000];
    store_stats ss;
    store_rec r;
    mt_err err;
    uint64_t before;
    int i;

    store_info(st, &ss);
    before = ss.evicted;
    store_rec_init(&r);
    r.has_policy = 1;
    r.mode = POLICY_MODE_TESTING;
    strcpy(r.id, "cold");
    r.max_age = 86400;
    r.fetched = time(NULL);
    r.expires = r.fetched + 86400;
    r.last_used = last_used;
    memset(text, 'c', sizeof(text));
    store_rec_set_text(&r, text, sizeof(text));
    for (i = 0; i < 3000 && ss.evicted == before; i++) {
	snprintf(name, sizeof(name), "cold%d.example", i);
	if (store_put(st, name, &r, &err) < 0)
	    break;
	store_info(st, &ss);
    }
    store_rec_free(&r);
    return i;
}

/* hot_policy - a testing policy for domain, stored last used at stored_use */
static void hot_policy(const char *domain, int64_t stored_use)
{
    got g;

    ask(domain, 0, &g);
    finish(ncalls - 1, policy_result("v1", POLICY_MODE_TESTING, 86400));
    pc_find_mut(pc, domain)->rec.last_used = stored_use;
    pc_commit(pc);
}

/*
 * A domain used within the last PC_TOUCH_INTERVAL_MS has an old last-use
 * time in the store; eviction must rank it by the use the daemon knows,
 * so its cached policy outlives colder domains.
 */
static void recently_used_domain_survives_eviction_of_colder_ones(void)
{
    int64_t now = (int64_t) time(NULL);
    store_rec r;
    mt_err err;
    got g;

    setup_small();
    hot_policy("hot.example", now - 3600);	/* stored: used an hour ago */
    T_EQ_INT(ask("hot.example", 0, &g), 1);	/* used now: not yet committed */
    T_EQ_INT(g.a.status, PC_POLICY);
    T_ASSERT(fill_cold(now - 60) > 0);
    T_ASSERT(pc_find(pc, "hot.example") != NULL);
    T_EQ_INT(store_get(st, "hot.example", &r, &err), 1);
    T_EQ_INT(r.has_policy, 1);
    T_ASSERT(r.text_len > 0);
    store_rec_free(&r);
    T_EQ_INT(pc_commit(pc), 0);
    T_EQ_INT(store_get(st, "hot.example", &r, &err), 1);
    T_EQ_STR(r.id, "v1");
    T_ASSERT(r.text != NULL && strstr(r.text, "version: STSv1") != NULL);
    T_ASSERT(r.last_used >= now);		/* the use in memory, committed */
    store_rec_free(&r);
    T_ASSERT(t_store_whole(st) > 0);
    teardown();
}

/*
 * A domain evicted while its state waits for the batched commit (here a
 * failure marked dirty without a new use) goes from memory too: the commit
 * must not store it again as a policy without its text.
 */
static void evicted_policy_is_never_stored_without_its_text(void)
{
    int64_t now = (int64_t) time(NULL);
    store_rec r;
    mt_err err;
    got g;

    setup_small();
    hot_policy("old.example", now - 3600);
    ask("old.example", 0, &g);		/* in the commit batch ... */
    pc_find_mut(pc, "old.example")->rec.last_used = now - 3600;	/* ... but not a new use */
    T_ASSERT(fill_cold(now - 60) > 0);
    T_EQ_INT(store_get(st, "old.example", &r, &err), 0);	/* the coldest: evicted */
    T_EQ_INT(pc_commit(pc), 0);
    T_EQ_INT(store_get(st, "old.example", &r, &err), 0);
    T_ASSERT(pc_find(pc, "old.example") == NULL);
    T_ASSERT(t_store_whole(st) > 0);
    T_EQ_INT(ask("old.example", 0, &g), 0);	/* a first contact again */
    finish(ncalls - 1, policy_result("v2", POLICY_MODE_TESTING, 86400));
    T_EQ_INT(store_get(st, "old.example", &r, &err), 1);
    T_EQ_STR(r.id, "v2");
    T_ASSERT(r.text_len > 0);
    store_rec_free(&r);
    teardown();
}

/* the refresh primitive (refresh.c): an unconditional fetch; only a valid policy replaces */
static void refresh_fetches_and_only_valid_policy_replaces(void)
{
    got g;
    disc_result *r;

    setup();
    ask("refresh.example", 0, &g);
    finish(0, policy_result("id1", POLICY_MODE_ENFORCE, 86400));
    T_EQ_INT(pc_refresh(pc, "refresh.example", NULL, NULL), 0);
    T_EQ_INT(pc_refresh(pc, "refresh.example", NULL, NULL), 1);	/* one flight at a time */
    T_EQ_INT(calls[1].flags, 0);
    r = result(DISC_TEMPFAIL);
    strcpy(r->id, "id1");
    r->fetched = 1;
    finish(1, r);
    T_EQ_INT(ask("refresh.example", 0, &g), 1);
    T_EQ_STR(g.a.e->rec.id, "id1");
    T_EQ_INT(pc_refresh(pc, "refresh.example", NULL, NULL), 0);
    finish(2, policy_result("id1", POLICY_MODE_TESTING, 600));
    T_EQ_INT(ask("refresh.example", 0, &g), 1);
    T_EQ_INT(g.a.e->rec.mode, POLICY_MODE_TESTING);
    teardown();
}

int main(void)
{
    T_RUN(refresh_fetches_and_only_valid_policy_replaces);
    T_RUN(cached_policy_answers_at_once);
    T_RUN(cached_policy_rechecks_id_in_background);
    T_RUN(failed_refetch_keeps_cached_policy_and_backs_off);
    T_RUN(no_record_answers_none);
    T_RUN(dns_failure_tempfails_inside_window_then_none);
    T_RUN(dnssec_bogus_is_a_failure_not_no_record);
    T_RUN(deadline_tempfails_inside_window);
    T_RUN(deadline_without_window_answers_none);
    T_RUN(connect_error_tempfails_then_backs_off_per_id);
    T_RUN(definitive_fetch_failure_answers_none_and_counts);
    T_RUN(valid_policy_answers_it_mode_none_too);
    T_RUN(hundred_waiters_share_one_flight);
    T_RUN(restart_keeps_cached_policies);
    T_RUN(first_contact_is_remembered_across_restart);
    T_RUN(cancelled_waiter_hears_nothing);
    T_RUN(flush_forgets_policy_and_store_record);
    T_RUN(mx_query_fetches_tlsa_status_once);
    T_RUN(mx_query_answers_cached_policy_when_recheck_cannot_start);
    T_RUN(cached_lookup_cost_does_not_grow);
    T_RUN(store_eviction_bounds_memory_entries);
    T_RUN(recently_used_domain_survives_eviction_of_colder_ones);
    T_RUN(evicted_policy_is_never_stored_without_its_text);
    return t_done();
}
