/*
 * test_cache_import - the offline import of policies into the store: each
 * line is checked as a fetched policy would be, and lands as the record
 * the daemon would have written for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache_import.h"
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "store.h"
#include "t.h"

static char dir[128];
static mtasts_config cfg;
static store *st;
static int64_t now;

static void setup(void)
{
    mt_err err;

    config_defaults(&cfg);
    strcpy(dir, "/tmp/test_import.XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    st = store_open(dir, 64 << 20, &err);
    if (st == NULL)
	abort();
    now = (int64_t) time(NULL);
}

static void teardown(void)
{

    store_close(st);
    config_free(&cfg);
    t_rmtree(dir);
}

/* import - run cache_import over text */
static int import(const char *text, cache_import_stats *s)
{
    FILE *fp = fmemopen((void *) text, strlen(text), "r");
    mt_err err;
    int rc;

    rc = cache_import(st, &cfg, fp, "test", now, s, &err);
    fclose(fp);
    return rc;
}

#define POLICY "version: STSv1\\nmode: enforce\\nmx: mx1.example.com\\nmx: *.mx.example.com\\nmax_age: 604800\\n"

/* A good line becomes the record a fetch at `fetched` would have made */
static void good_line_becomes_a_cached_policy(void)
{
    cache_import_stats s;
    store_rec r;
    mt_err err;
    char text[512];

    setup();
    snprintf(text, sizeof(text),
	     "# a comment\n\n{\"domain\": \"Example.COM.\", \"id\": \"2024a\", \"policy\": \"%s\","
	     " \"fetched\": %lld}\n", POLICY, (long long) (now - 100));
    T_EQ_INT(import(text, &s), 0);
    T_EQ_INT(s.lines, 1);
    T_EQ_INT(s.imported, 1);
    T_EQ_INT(s.bad, 0);
    T_EQ_INT(store_get(st, "example.com", &r, &err), 1);
    T_EQ_INT(r.has_policy, 1);
    T_EQ_INT(r.mode, POLICY_MODE_ENFORCE);
    T_EQ_STR(r.id, "2024a");
    T_EQ_INT(r.max_age, 604800);
    T_EQ_INT(r.fetched, now - 100);
    T_EQ_INT(r.expires, now - 100 + 604800);
    T_ASSERT(r.refresh_due > now && r.refresh_due <= now - 100 + 86400);
    T_EQ_INT(r.n_mx, 2);
    T_EQ_STR(r.mx[1], "*.mx.example.com");
    T_ASSERT(strstr(r.text, "max_age: 604800") != NULL);
    store_rec_free(&r);
    teardown();
}

/* RFC 8461 §3.1, §3.2: what a fetch would refuse, the import refuses */
static void bad_lines_are_refused_and_counted(void)
{
    cache_import_stats s;
    store_stats ss;

    setup();
    T_EQ_INT(import("not json\n"
		    "{\"domain\": \"a.example\", \"id\": \"x_y\", \"policy\": \"" POLICY "\"}\n"
		    "{\"domain\": \"b.example\", \"id\": \"1\", \"policy\": \"version: STSv1\\nmode: on\\n\"}\n"
		    "{\"domain\": \"c..example\", \"id\": \"1\", \"policy\": \"" POLICY "\"}\n"
		    "{\"domain\": \"d.example\", \"id\": \"1\", \"policy\": \"" POLICY "\", \"fetched\": 99999999999}\n"
		    "{\"domain\": \"e.example\", \"policy\": \"" POLICY "\"}\n"
		    "{\"domain\": \"ok.example\", \"id\": \"1\", \"policy\": \"" POLICY "\"}\n", &s), 0);
    T_EQ_INT(s.lines, 7);
    T_EQ_INT(s.bad, 6);
    T_EQ_INT(s.imported, 1);
    store_info(st, &ss);
    T_EQ_INT(ss.entries, 1);
    teardown();
}

/* Named minimum: a tiny max_age still lives min_cache_lifetime */
static void tiny_max_age_gets_minimum_lifetime(void)
{
    cache_import_stats s;
    store_rec r;
    mt_err err;

    setup();
    T_EQ_INT(import("{\"domain\": \"a.example\", \"id\": \"1\", \"policy\":"
		    " \"version: STSv1\\nmode: testing\\nmx: mx.a.example\\nmax_age: 1\\n\"}\n", &s), 0);
    T_EQ_INT(store_get(st, "a.example", &r, &err), 1);
    T_EQ_INT(r.expires - r.fetched, 3600);
    T_ASSERT(r.refresh_due - r.fetched >= 300);
    store_rec_free(&r);
    teardown();
}

/* An expired policy is imported as expired and due for refresh at once */
static void expired_policy_due_at_once(void)
{
    cache_import_stats s;
    store_rec r;
    mt_err err;
    char text[512];

    setup();
    snprintf(text, sizeof(text), "{\"domain\": \"a.example\", \"id\": \"1\", \"policy\": \"%s\","
	     " \"fetched\": %lld}\n", POLICY, (long long) (now - 700000));
    T_EQ_INT(import(text, &s), 0);
    T_EQ_INT(s.expired, 1);
    T_EQ_INT(store_get(st, "a.example", &r, &err), 1);
    T_EQ_INT(r.refresh_due, now);
    store_rec_free(&r);
    teardown();
}

/* More than one batch, and the daemon's cache answers from what was imported */
static void many_batches_load_into_the_cache(void)
{
    cache_import_stats s;
    size_t n = CACHE_IMPORT_BATCH + 1234, i, len = 0;
    char *text = malloc(n * 200), name[64];
    evloop *loop;
    policy_cache *pc;
    pc_backend be = {NULL, NULL, NULL};
    pc_answer a;
    pc_wait *w;
    store_stats ss;
    mt_err err;

    setup();
    for (i = 0; i < n; i++)
	len += (size_t) sprintf(text + len, "{\"domain\": \"d%zu.example\", \"id\": \"1\","
				" \"policy\": \"%s\"}\n", i, POLICY);
    T_EQ_INT(import(text, &s), 0);
    free(text);
    T_EQ_INT(s.imported, n);
    store_info(st, &ss);
    T_EQ_INT(ss.entries, n);
    T_EQ_INT(ss.scheduled, n);
    loop = evloop_new();
    pc = pc_new(loop, &cfg, st, &be, &err);
    T_ASSERT(pc != NULL);
    snprintf(name, sizeof(name), "d%zu.example", n - 1);
    cfg.txt_recheck_interval_ms = 86400000;	/* no network behind the answer */
    T_EQ_INT(pc_query(pc, name, 0, &a, NULL, NULL, &w), 1);
    T_EQ_INT(a.status, PC_POLICY);
    T_EQ_INT(a.e->rec.n_mx, 2);
    pc_free(pc);
    evloop_free(loop);
    teardown();
}

int main(void)
{
    log_open("test_cache_import", 1, 0);
    T_RUN(good_line_becomes_a_cached_policy);
    T_RUN(bad_lines_are_refused_and_counted);
    T_RUN(tiny_max_age_gets_minimum_lifetime);
    T_RUN(expired_policy_due_at_once);
    T_RUN(many_batches_load_into_the_cache);
    return t_done();
}
