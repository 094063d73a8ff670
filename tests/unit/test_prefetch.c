/*
 * test_prefetch - the daemon's prefetch_file: every listed domain is
 * discovered once, paced by refresh_concurrency, with a scripted
 * discovery engine (the real one: tests/integration/t_prefetch.sh).
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
#include "prefetch.h"
#include "store.h"
#include "t.h"
#include "t_disc.h"

/* outcome - what the scripted network says for call i */
static disc_result *outcome(int i, disc_status s, policy_mode mode)
{
    disc_result *r = calloc(1, sizeof(*r));

    snprintf(r->domain, sizeof(r->domain), "%s", calls[i].domain);
    r->status = s;
    snprintf(r->reason, sizeof(r->reason), "scripted");
    if (s == DISC_POLICY) {
	snprintf(r->id, sizeof(r->id), "id1");
	r->fetched = 1;
	r->policy.mode = mode;
	r->policy.max_age = 86400;
	r->policy.n_mx = 1;
	r->policy.mx = calloc(1, sizeof(char *));
	r->policy.mx[0] = strdup("mx.example.com");
	r->policy_text = strdup("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n");
    } else if (s == DISC_TEMPFAIL) {
	r->txt_outcome = DNS_SERVFAIL;
    }
    return r;
}

static char dir[128], list[200];
static mtasts_config cfg;
static evloop *loop;
static store *st;
static policy_cache *pc;

static void setup(const char *text)
{
    pc_backend be = {fake_start, discovery_result_free, NULL};
    mt_err err;
    FILE *fp;

    config_defaults(&cfg);
    strcpy(dir, "/tmp/test_prefetch.XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    snprintf(list, sizeof(list), "%s/list", dir);
    fp = fopen(list, "w");
    fputs(text, fp);
    fclose(fp);
    loop = evloop_new();
    st = store_open(dir, 16 << 20, &err);
    pc = pc_new(loop, &cfg, st, &be, &err);
    ncalls = 0;
}

static void teardown(void)
{

    pc_free(pc);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    t_rmtree(dir);
}

/* The list: one domain per line, comments, blank lines; bad names skipped */
static void list_is_read_like_the_cli_reads_it(void)
{
    prefetch *p;
    prefetch_stats s;
    mt_err err;

    setup("# domains we send to\nExample.COM.\n\n  example.org  # trailing comment\n"
	  "not a domain\n[192.0.2.1]\n");
    p = prefetch_start(loop, &cfg, pc, list, &err);
    T_ASSERT(p != NULL);
    prefetch_get_stats(p, &s);
    T_EQ_INT(s.listed, 2);
    T_EQ_INT(s.bad_lines, 2);
    T_EQ_INT(ncalls, 0);			/* nothing before the loop turns */
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 2);
    T_EQ_STR(calls[0].domain, "example.com");
    T_EQ_STR(calls[1].domain, "example.org");
    prefetch_free(p);
    teardown();
}

/* Paced: at most refresh_concurrency discoveries at once; the summary counts each kind */
static void paced_and_counted(void)
{
    prefetch *p;
    prefetch_stats s;
    mt_err err;

    setup("a.example\nb.example\nc.example\nd.example\ne.example\n");
    cfg.refresh_concurrency = 2;
    p = prefetch_start(loop, &cfg, pc, list, &err);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 2);
    calls[0].cb(outcome(0, DISC_POLICY, POLICY_MODE_ENFORCE), calls[0].arg);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 3);
    calls[1].cb(outcome(1, DISC_POLICY, POLICY_MODE_TESTING), calls[1].arg);
    calls[2].cb(outcome(2, DISC_NO_POLICY, POLICY_MODE_NONE), calls[2].arg);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 5);
    calls[3].cb(outcome(3, DISC_POLICY, POLICY_MODE_NONE), calls[3].arg);
    calls[4].cb(outcome(4, DISC_TEMPFAIL, POLICY_MODE_NONE), calls[4].arg);
    prefetch_get_stats(p, &s);
    T_EQ_INT(s.done, 5);
    T_EQ_INT(s.enforce, 1);
    T_EQ_INT(s.testing, 1);
    T_EQ_INT(s.none, 1);
    T_EQ_INT(s.no_policy + s.failed, 2);
    T_EQ_INT(s.finished, 1);
    prefetch_free(p);
    teardown();
}

/* on_done - a query's answer, not looked at */
static void on_done(void *arg, const pc_answer *a)
{
    (void) arg;
    (void) a;
}

/* A domain already cached costs nothing: answered at once, no discovery */
static void cached_domains_need_no_network(void)
{
    prefetch *p;
    prefetch_stats s;
    pc_answer a;
    pc_wait *w;
    mt_err err;

    setup("a.example\n");
    T_EQ_INT(pc_query(pc, "a.example", 0, &a, on_done, NULL, &w), 0);
    calls[0].cb(outcome(0, DISC_POLICY, POLICY_MODE_ENFORCE), calls[0].arg);
    p = prefetch_start(loop, &cfg, pc, list, &err);
    evloop_run_once(loop, 0);
    T_EQ_INT(ncalls, 1);
    prefetch_get_stats(p, &s);
    T_EQ_INT(s.enforce, 1);
    T_EQ_INT(s.finished, 1);
    prefetch_free(p);
    teardown();
}

/* A missing list is an error at start, with the file named */
static void missing_file_is_an_error(void)
{
    mt_err err;

    setup("");
    T_ASSERT(prefetch_start(loop, &cfg, pc, "/nonexistent/list", &err) == NULL);
    T_ASSERT(strstr(err.msg, "/nonexistent/list") != NULL);
    teardown();
}

int main(void)
{
    log_open("test_prefetch", 1, 0);
    T_RUN(list_is_read_like_the_cli_reads_it);
    T_RUN(paced_and_counted);
    T_RUN(cached_domains_need_no_network);
    T_RUN(missing_file_is_an_error);
    return t_done();
}
