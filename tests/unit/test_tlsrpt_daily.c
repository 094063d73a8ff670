/*
 * test_tlsrpt_daily - the daily run of daemon/tlsrpt.c on a test clock:
 * the catch-up of missed days after a start or a downtime, a daily run
 * that meets a run under way, and a _smtp._tls lookup that fails for now
 * (RFC 8460 §3, §5.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "store.h"
#include "tlsrpt.h"
#include "tlsrpt_send.h"

#define DAY 19710u
#define AT(day, hour) ((int64_t) (day) * 86400 + (int64_t) (hour) * 3600)

static char dir[64];
static mtasts_config cfg;
static evloop *loop;
static store *st;
static tlsrpt *t;
static tlsrpt_sender *ob;		/* our own view of the outbox */
static int64_t clock_now;
static int lookups;
static dns_outcome answer_of_b;		/* what _smtp._tls.b.test answers */

/* test_now - the test's clock */
static int64_t test_now(void *arg)
{
    (void) arg;
    return clock_now;
}

typedef struct pending {
    disc_cb cb;
    void *arg;
    disc_result *res;
} pending;

/* fire - the lookup's answer, from the loop as discovery gives it */
static void fire(evloop *l, void *arg)
{
    pending *p = arg;

    (void) l;
    p->cb(p->res, p->arg);
    free(p);
}

/* test_lookup - nx.test has no record, b.test answers answer_of_b, others one record */
static int test_lookup(void *arg, const char *domain, disc_cb cb, void *cb_arg)
{
    pending *p = calloc(1, sizeof(*p));
    disc_result *r = calloc(1, sizeof(*r));

    (void) arg;
    lookups++;
    p->cb = cb, p->arg = cb_arg, p->res = r;
    r->status = DISC_NO_POLICY;
    snprintf(r->domain, sizeof(r->domain), "%s", domain);
    r->tlsrpt_outcome = strcmp(domain, "nx.test") == 0 ? DNS_NXDOMAIN
	: strcmp(domain, "b.test") == 0 ? answer_of_b : DNS_OK;
    r->tlsrpt_set = TLSRPT_SET_NONE;
    snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason), "outcome %d", (int) r->tlsrpt_outcome);
    if (r->tlsrpt_outcome == DNS_OK) {
	r->tlsrpt_set = TLSRPT_SET_ONE;
	r->tlsrpt.n_rua = 1;
	r->tlsrpt.rua[0] = strdup("https://report.example.test/tlsrpt");
    }
    evloop_timer(loop, 0, fire, p);
    return 0;
}

/* count - one failure of domain on day, as the daemon's fetch hook counts it */
static void count(const char *domain, uint32_t day)
{
    disc_result r;
    int64_t keep = clock_now;

    memset(&r, 0, sizeof(r));
    r.failure = FETCH_FAIL_FETCH_ERROR;
    r.fetch_problem = FETCH_TIMEOUT;
    clock_now = AT(day, 12);
    tlsrpt_on_fetch_failure(t, domain, &r);
    clock_now = keep;
}

/* setup - a daemon's TLS-RPT at now, its start catch-up not yet run */
static int setup(int64_t now)
{
    tlsrpt_hooks h = {test_now, test_lookup, NULL};
    mt_err err;

    config_defaults(&cfg);
    cfg.tlsrpt = 1;
    cfg.report_hour = 1;
    cfg.report_jitter_ms = 0;
    cfg.organization_name = strdup("Org");
    cfg.report_submitter = strdup("mail.sender.test");
    strcpy(dir, "/tmp/test_tlsrpt_daily.XXXXXX");
    if (mkdtemp(dir) == NULL)
	return -1;
    loop = evloop_new();
    clock_now = now;
    lookups = 0;
    answer_of_b = DNS_OK;
    if ((st = store_open(dir, 16 << 20, &err)) == NULL
	|| (t = tlsrpt_new(loop, &cfg, st, NULL, NULL, &err)) == NULL
	|| (ob = tlsrpt_sender_new(loop, &cfg, store_env(st), NULL, &err)) == NULL)
	return -1;
    tlsrpt_set_hooks(t, &h);
    return 0;
}

/* pump - run the loop until no run is under way or waiting */
static void pump(void)
{
    int i;

    for (i = 0; i < 200; i++) {
	evloop_run_once(loop, 5);
	if (i > 2 && !tlsrpt_busy(t))
	    break;
    }
}

/* built - is (day, domain) in the outbox? */
static int built(uint32_t day, const char *domain)
{
    return tlsrpt_outbox_has(ob, day, domain, NULL) == 1;
}

static void done(void)
{

    tlsrpt_sender_free(ob);
    tlsrpt_free(t);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    t_rmtree(dir);
}

/* A restart after report_hour builds every missed day before today, once */
static void start_after_report_hour_builds_the_missed_days(void)
{
    T_ASSERT(setup(AT(DAY, 10)) == 0);
    count("a.test", DAY - 3);
    count("a.test", DAY - 1);
    count("a.test", DAY);
    pump();
    T_ASSERT(built(DAY - 3, "a.test"));
    T_ASSERT(built(DAY - 1, "a.test"));
    T_ASSERT(!built(DAY, "a.test"));	/* today is not over */
    T_EQ_INT(lookups, 1);		/* one lookup serves every day of a domain */
    /* the next daily run finds nothing left: no lookup, nothing built twice */
    T_EQ_INT(tlsrpt_daily_run(t), 1);
    pump();
    T_EQ_INT(lookups, 1);
    done();
}

/* Before report_hour the start builds nothing; the daily run catches up */
static void start_before_report_hour_leaves_it_to_the_daily_run(void)
{
    T_ASSERT(setup(AT(DAY, 0) + 1800) == 0);
    count("a.test", DAY - 2);
    count("a.test", DAY - 1);
    pump();
    T_ASSERT(!built(DAY - 1, "a.test"));
    T_EQ_INT(lookups, 0);
    clock_now = AT(DAY, 1) + 60;
    T_EQ_INT(tlsrpt_daily_run(t), 1);
    pump();
    T_ASSERT(built(DAY - 2, "a.test"));
    T_ASSERT(built(DAY - 1, "a.test"));
    done();
}

/* A daily run that meets a run under way runs when that one ends */
static void daily_run_during_a_run_runs_after_it(void)
{
    T_ASSERT(setup(AT(DAY, 0) + 60) == 0);
    count("a.test", DAY - 1);
    T_EQ_INT(tlsrpt_daily_run(t), 1);
    count("c.test", DAY - 2);		/* after the first run listed its days */
    T_EQ_INT(tlsrpt_daily_run(t), 0);	/* under way: deferred, not skipped */
    pump();
    T_ASSERT(built(DAY - 1, "a.test"));
    T_ASSERT(built(DAY - 2, "c.test"));
    done();
}

/* A SERVFAIL is no answer: the day stays unbuilt and is tried again (§3) */
static void temporary_dns_failure_is_tried_again(void)
{
    T_ASSERT(setup(AT(DAY, 0) + 60) == 0);
    count("b.test", DAY - 1);
    answer_of_b = DNS_SERVFAIL;
    tlsrpt_daily_run(t);
    pump();
    T_ASSERT(!built(DAY - 1, "b.test"));
    T_EQ_INT(lookups, 1);
    answer_of_b = DNS_OK;
    clock_now += 60;			/* too soon */
    tlsrpt_daily_run(t);
    pump();
    T_EQ_INT(lookups, 1);
    clock_now += 600;
    tlsrpt_daily_run(t);
    pump();
    T_EQ_INT(lookups, 2);
    T_ASSERT(built(DAY - 1, "b.test"));
    done();
}

/* Tried again until report_retry (RFC 8460 §5.4), then given up */
static void temporary_failure_is_given_up_after_report_retry(void)
{
    int n;

    T_ASSERT(setup(AT(DAY, 0) + 60) == 0);
    count("b.test", DAY - 1);
    answer_of_b = DNS_TIMEOUT;
    tlsrpt_daily_run(t);
    pump();
    clock_now += 3600;
    tlsrpt_daily_run(t);
    pump();
    T_EQ_INT(lookups, 2);
    clock_now += (int64_t) (cfg.report_retry_ms / 1000);
    answer_of_b = DNS_OK;
    tlsrpt_daily_run(t);
    pump();
    n = lookups;
    T_EQ_INT(n, 2);
    T_ASSERT(!built(DAY - 1, "b.test"));
    done();
}

/* NXDOMAIN is an answer: no report, and no second lookup */
static void no_record_is_decided_once(void)
{
    T_ASSERT(setup(AT(DAY, 0) + 60) == 0);
    count("nx.test", DAY - 1);
    tlsrpt_daily_run(t);
    pump();
    T_EQ_INT(lookups, 1);
    clock_now += 3600;
    tlsrpt_daily_run(t);
    pump();
    T_EQ_INT(lookups, 1);
    T_ASSERT(!built(DAY - 1, "nx.test"));
    done();
}

int main(void)
{
    T_RUN(start_after_report_hour_builds_the_missed_days);
    T_RUN(start_before_report_hour_leaves_it_to_the_daily_run);
    T_RUN(daily_run_during_a_run_runs_after_it);
    T_RUN(temporary_dns_failure_is_tried_again);
    T_RUN(temporary_failure_is_given_up_after_report_retry);
    T_RUN(no_record_is_decided_once);
    return t_done();
}
