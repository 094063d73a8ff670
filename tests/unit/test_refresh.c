/*
 * test_refresh - proactive refresh (RFC 8461 §3.3, §10.2): when a policy
 * is due, how failures back off, and the scheduler's limits, with a
 * scripted discovery engine standing in for the network (the real one is
 * exercised in tests/integration/t_refresh.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "refresh.h"
#include "store.h"
#include "t.h"
#include "t_disc.h"

/* ---- the scripted engine ---- */

static disc_result *result(const char *domain, disc_status s)
{
    disc_result *r = calloc(1, sizeof(*r));

    snprintf(r->domain, sizeof(r->domain), "%s", domain);
    r->status = s;
    snprintf(r->reason, sizeof(r->reason), "scripted failure");
    return r;
}

static disc_result *policy_result(const char *domain, const char *id, const char *mx,
				  uint32_t max_age)
{
    disc_result *r = result(domain, DISC_POLICY);
    char text[256];

    snprintf(r->id, sizeof(r->id), "%s", id);
    r->fetched = 1;
    r->http_status = 200;
    r->policy.mode = POLICY_MODE_ENFORCE;
    r->policy.max_age = max_age;
    r->policy.n_mx = 1;
    r->policy.mx = calloc(1, sizeof(char *));
    r->policy.mx[0] = strdup(mx);
    snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\nmx: %s\nmax_age: %u\n", mx,
	     (unsigned) max_age);
    r->policy_text = strdup(text);
    return r;
}

/* finish - complete call i with r, then let the scheduler react */
static void finish(int i, disc_result *r)
{
    calls[i].done = 1;
    calls[i].cb(r, calls[i].arg);
}

/* ---- the daemon parts under test ---- */

static char dir[128];
static mtasts_config cfg;
static evloop *loop;
static store *st;
static policy_cache *pc;
static refresh *rf;
static int64_t now;

/* seed - a cached enforce policy for domain, fetched `age` seconds ago, due at due */
static void seed(const char *domain, int64_t age, uint32_t max_age, int64_t due)
{
    store_rec r;
    char *mx[1] = {"mx.example.com"};
    mt_err err;

    store_rec_init(&r);
    r.has_policy = 1;
    r.mode = POLICY_MODE_ENFORCE;
    snprintf(r.id, sizeof(r.id), "id1");
    r.max_age = max_age;
    r.fetched = now - age;
    r.expires = r.fetched + max_age;
    r.refresh_due = due;
    store_rec_set_mx(&r, mx, 1);
    store_rec_set_text(&r, "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n",
		       62);
    if (store_put(st, domain, &r, &err) < 0)
	abort();
    store_rec_free(&r);
}

static void setup(void)
{
    mt_err err;

    config_defaults(&cfg);
    strcpy(dir, "/tmp/test_refresh.XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    loop = evloop_new();
    st = store_open(dir, 16 << 20, &err);
    if (st == NULL)
	abort();
    ncalls = 0;
    now = (int64_t) time(NULL);
    pc = NULL;
    rf = NULL;
}

/* start - load the cache and start the scheduler, then let it walk once */
static void start(void)
{
    pc_backend be = {fake_start, discovery_result_free, NULL};
    mt_err err;

    pc = pc_new(loop, &cfg, st, &be, &err);
    rf = refresh_new(loop, &cfg, st, pc, &err);
    if (pc == NULL || rf == NULL)
	abort();
    evloop_run_once(loop, 0);
}

static void teardown(void)
{

    refresh_free(rf);
    pc_free(pc);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    t_rmtree(dir);
}

/* stored - the record of domain as the store has it now */
static store_rec stored(const char *domain)
{
    store_rec r;
    mt_err err;

    if (store_get(st, domain, &r, &err) != 1)
	store_rec_init(&r);
    return r;
}

/* ---- when: refresh_due_time, refresh_retry_time ---- */

/* RFC 8461 §10.2: refreshed before expiry; by default at half its life, jittered earlier */
static void due_at_half_life_with_jitter_earlier(void)
{
    int64_t d;

    config_defaults(&cfg);
    d = refresh_due_time(&cfg, "example.com", 1000000, 1000000 + 40000);
    T_ASSERT(d <= 1000000 + 20000);
    T_ASSERT(d >= 1000000 + 18000);		/* 10 % jitter at most */
    cfg.refresh_jitter_percent = 0;
    T_EQ_INT(refresh_due_time(&cfg, "example.com", 1000000, 1000000 + 40000), 1000000 + 20000);
    config_free(&cfg);
}

/* RFC 8461 §10.2 suggests daily: refresh_max_interval caps a long max_age */
static void due_at_least_every_max_interval(void)
{
    config_defaults(&cfg);
    cfg.refresh_jitter_percent = 0;
    T_EQ_INT(refresh_due_time(&cfg, "example.com", 0, 31557600), 86400);
    config_free(&cfg);
}

/* Named minimum: max_age 1 does not mean a refresh per second */
static void due_never_sooner_than_min_interval(void)
{
    config_defaults(&cfg);
    T_EQ_INT(refresh_due_time(&cfg, "example.com", 0, 1), 300);
    T_EQ_INT(refresh_due_time(&cfg, "example.com", 0, 0), 300);
    config_free(&cfg);
}

/* Jitter spreads a million policies fetched in the same second */
static void jitter_spreads_domains(void)
{
    int64_t first, differ = 0;
    char name[64];
    int i;

    config_defaults(&cfg);
    first = refresh_due_time(&cfg, "d0.example", 0, 86400);
    for (i = 1; i < 100; i++) {
	snprintf(name, sizeof(name), "d%d.example", i);
	differ += refresh_due_time(&cfg, name, 0, 86400) != first;
    }
    T_ASSERT(differ > 90);
    config_free(&cfg);
}

/* RFC 8461 §3.3: five minutes or more between failed attempts; doubling */
static void retry_backs_off_from_five_minutes(void)
{
    config_defaults(&cfg);
    cfg.refresh_jitter_percent = 0;
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 1, 10000000), 300);
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 2, 10000000), 600);
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 3, 10000000), 1200);
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 40, 10000000), 86400);
    cfg.refresh_jitter_percent = 100;
    T_ASSERT(refresh_retry_time(&cfg, "example.com", 0, 1, 10000000) >= 300);
    config_free(&cfg);
}

/* Several attempts before expiry: never more than half the remaining life */
static void retry_keeps_trying_before_expiry(void)
{
    config_defaults(&cfg);
    cfg.refresh_jitter_percent = 0;
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 10, 7200), 3600);
    T_EQ_INT(refresh_retry_time(&cfg, "example.com", 0, 10, 400), 300);	/* but >= 5 min */
    config_free(&cfg);
}

/* Per-host limits count the organisation's policy hosts together */
static void host_key_is_registrable_domain(void)
{
    char k[256];

    T_EQ_INT(refresh_host_key("a.example.co.uk", k, sizeof(k)), 0);
    T_EQ_STR(k, "example.co.uk");
    T_EQ_INT(refresh_host_key("example.com", k, sizeof(k)), 0);
    T_EQ_STR(k, "example.com");
    T_EQ_INT(refresh_host_key("x.y.example.com", k, sizeof(k)), 0);
    T_EQ_STR(k, "example.com");
}

/* ---- who: the scheduler and pc_refresh ---- */

/* A due policy is fetched in full; the same policy again extends its life */
static void same_policy_extends_life(void)
{
    store_rec r;
    refresh_stats rs;

    setup();
    seed("example.com", 50000, 86400, now - 1);
    seed("later.example.net", 10, 86400, now + 40000);
    start();
    T_EQ_INT(ncalls, 1);
    T_EQ_STR(calls[0].domain, "example.com");
    T_EQ_INT(calls[0].flags, 0);		/* a full fetch, not only the TXT id */
    finish(0, policy_result("example.com", "id1", "mx.example.com", 86400));
    r = stored("example.com");
    T_ASSERT(r.fetched >= now);
    T_ASSERT(r.expires >= now + 86400);
    T_ASSERT(r.refresh_due > now + 86400 / 4);
    T_EQ_STR(r.id, "id1");
    store_rec_free(&r);
    refresh_get_stats(rf, &rs);
    T_EQ_INT(rs.started, 1);
    T_EQ_INT(rs.same, 1);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 1);			/* nothing else is due */
    teardown();
}

/* A changed TXT id or body replaces the cached policy */
static void changed_policy_replaces(void)
{
    store_rec r;
    refresh_stats rs;
    int i;

    setup();
    seed("new-id.example", 50000, 86400, now - 2);
    seed("new-body.example", 50000, 86400, now - 1);
    start();
    T_EQ_INT(ncalls, 2);
    for (i = 0; i < 2; i++) {
	if (strcmp(calls[i].domain, "new-id.example") == 0)
	    finish(i, policy_result(calls[i].domain, "id2", "mx.example.com", 86400));
	else
	    finish(i, policy_result(calls[i].domain, "id1", "mx2.example.com", 86400));
    }
    r = stored("new-id.example");
    T_EQ_STR(r.id, "id2");
    store_rec_free(&r);
    r = stored("new-body.example");
    T_EQ_STR(r.id, "id1");
    T_EQ_INT(r.n_mx, 1);
    T_EQ_STR(r.mx[0], "mx2.example.com");
    T_ASSERT(strstr(r.text, "mx2.example.com") != NULL);
    store_rec_free(&r);
    refresh_get_stats(rf, &rs);
    T_EQ_INT(rs.replaced, 2);
    T_EQ_INT(rs.same, 0);
    teardown();
}

/* RFC 8461 §3.3: a failed refresh keeps the policy, and retries with back-off */
static void failure_keeps_policy_and_backs_off(void)
{
    store_rec r;
    pc_answer a;
    pc_wait *w;
    int64_t first_retry;
    int before;

    setup();
    seed("example.com", 50000, 86400, now - 1);
    start();
    T_EQ_INT(ncalls, 1);
    finish(0, result("example.com", DISC_TEMPFAIL));
    r = stored("example.com");
    T_EQ_INT(r.has_policy, 1);
    T_EQ_STR(r.id, "id1");
    T_EQ_INT(r.fail_count, 1);
    T_ASSERT(r.refresh_due >= now + 300);
    T_ASSERT(r.refresh_due < r.expires);
    first_retry = r.refresh_due - now;
    store_rec_free(&r);
    T_EQ_INT(pc_query(pc, "example.com", 0, &a, NULL, NULL, &w), 1);
    T_EQ_INT(a.status, PC_POLICY);		/* still enforced */

    /* the next failure waits about twice as long */
    refresh_free(rf);
    pc_free(pc);
    r = stored("example.com");
    r.refresh_due = now - 1;
    {
	mt_err err;
	store_put(st, "example.com", &r, &err);
    }
    store_rec_free(&r);
    before = ncalls;			/* the query also re-checked the TXT id */
    start();
    T_EQ_INT(ncalls, before + 1);
    finish(before, result("example.com", DISC_NO_POLICY));
    r = stored("example.com");
    T_EQ_INT(r.fail_count, 2);
    T_ASSERT(r.refresh_due - now >= 2 * first_retry * 9 / 10 - 1);
    T_EQ_INT(r.has_policy, 1);
    store_rec_free(&r);
    teardown();
}

/* An expired policy whose refresh fails is no longer kept alive */
static void failure_after_expiry_unschedules(void)
{
    store_rec r;

    setup();
    seed("example.com", 90000, 86400, now - 1);
    start();
    T_EQ_INT(ncalls, 1);
    finish(0, result("example.com", DISC_NO_POLICY));
    r = stored("example.com");
    T_EQ_INT(r.refresh_due, 0);
    store_rec_free(&r);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 1);
    teardown();
}

/* refresh_concurrency: at most that many at once; a finished one makes room */
static void concurrency_limit_holds(void)
{
    char name[64];
    int i;

    setup();
    cfg.refresh_concurrency = 2;
    for (i = 0; i < 5; i++) {
	snprintf(name, sizeof(name), "d%d.example", i);
	seed(name, 50000, 86400, now - 10 + i);
    }
    start();
    T_EQ_INT(ncalls, 2);
    T_EQ_STR(calls[0].domain, "d0.example");	/* earliest due first */
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 2);
    finish(0, policy_result(calls[0].domain, "id1", "mx.example.com", 86400));
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 3);
    T_EQ_STR(calls[2].domain, "d2.example");
    teardown();
}

/* refresh_per_host: one organisation's policy hosts are not all fetched at once */
static void per_host_limit_holds(void)
{
    refresh_stats rs;

    setup();
    cfg.refresh_per_host = 1;
    seed("a.example.com", 50000, 86400, now - 3);
    seed("b.example.com", 50000, 86400, now - 2);
    seed("c.example.net", 50000, 86400, now - 1);
    start();
    T_EQ_INT(ncalls, 2);
    T_EQ_STR(calls[0].domain, "a.example.com");
    T_EQ_STR(calls[1].domain, "c.example.net");
    refresh_get_stats(rf, &rs);
    T_ASSERT(rs.deferred_host >= 1);
    finish(0, policy_result("a.example.com", "id1", "mx.example.com", 86400));
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 3);
    T_EQ_STR(calls[2].domain, "b.example.com");
    teardown();
}

/* A domain busy with other network work is refreshed later, not twice */
static void busy_entry_waits(void)
{
    pc_answer a;
    pc_wait *w;
    refresh_stats rs;

    setup();
    cfg.txt_recheck_interval_ms = 0;		/* every query re-checks the TXT id */
    seed("example.com", 50000, 86400, now + 3600);
    start();
    T_EQ_INT(ncalls, 0);
    T_EQ_INT(pc_query(pc, "example.com", 0, &a, NULL, NULL, &w), 1);
    T_EQ_INT(ncalls, 1);			/* the re-check flight */
    {
	store_rec r = stored("example.com");
	mt_err err;

	r.refresh_due = now - 1;
	store_put(st, "example.com", &r, &err);
	store_rec_free(&r);
    }
    evloop_run_once(loop, 1100);		/* the next tick */
    T_EQ_INT(ncalls, 1);
    refresh_get_stats(rf, &rs);
    T_ASSERT(rs.deferred_busy >= 1);
    teardown();
}

/* Finding nothing due does not depend on how many policies are cached */
static void nothing_due_walks_nothing(void)
{
    char name[64];
    refresh_stats rs;
    int i;

    setup();
    for (i = 0; i < 2000; i++) {
	snprintf(name, sizeof(name), "d%d.example", i);
	seed(name, 10, 86400, now + 40000 + i);
    }
    start();
    T_EQ_INT(ncalls, 0);
    refresh_get_stats(rf, &rs);
    T_EQ_INT(rs.ticks, 1);
    T_EQ_INT(rs.started, 0);
    T_EQ_INT(rs.deferred_host + rs.deferred_busy, 0);
    teardown();
}

int main(void)
{
    log_open("test_refresh", 1, 0);
    T_RUN(due_at_half_life_with_jitter_earlier);
    T_RUN(due_at_least_every_max_interval);
    T_RUN(due_never_sooner_than_min_interval);
    T_RUN(jitter_spreads_domains);
    T_RUN(retry_backs_off_from_five_minutes);
    T_RUN(retry_keeps_trying_before_expiry);
    T_RUN(host_key_is_registrable_domain);
    T_RUN(same_policy_extends_life);
    T_RUN(changed_policy_replaces);
    T_RUN(failure_keeps_policy_and_backs_off);
    T_RUN(failure_after_expiry_unschedules);
    T_RUN(concurrency_limit_holds);
    T_RUN(per_host_limit_holds);
    T_RUN(busy_entry_waits);
    T_RUN(nothing_due_walks_nothing);
    return t_done();
}
