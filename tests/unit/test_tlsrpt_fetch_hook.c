/*
 * test_tlsrpt_fetch_hook - the policy cache's failure hook in TLS-RPT
 * (tlsrpt_on_fetch_failure() in daemon/tlsrpt.c): what the daemon's own
 * failed fetches count against a domain, and what the report says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "t.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "store.h"
#include "tlsrpt.h"
#include "tlsrpt_counters.h"
#include "tlsrpt_report.h"

static char dir[64];
static mtasts_config cfg;
static evloop *loop;
static store *st;

/* failure - a failed fetch as discovery reports it */
static disc_result failure(tlsrpt_fetch_failure type, fetch_problem problem, const char *reason)
{
    disc_result r;

    memset(&r, 0, sizeof(r));
    r.status = DISC_NO_POLICY;
    r.fetched = 1;
    r.failure = type;
    r.fetch_problem = problem;
    snprintf(r.reason, sizeof(r.reason), "%s", reason);
    return r;
}

/* hook - hand each result to the hook, commit, and open the counters to read back */
static tlsrpt_counters *hook(const char *const *domains, const disc_result *rs, size_t n)
{
    tlsrpt *t;
    mt_err err;
    size_t i;

    config_defaults(&cfg);
    strcpy(dir, "/tmp/test_tlsrpt_hook.XXXXXX");
    if (mkdtemp(dir) == NULL)
	return NULL;
    loop = evloop_new();
    if ((st = store_open(dir, 16 << 20, &err)) == NULL
	|| (t = tlsrpt_new(loop, &cfg, st, NULL, NULL, &err)) == NULL)
	return NULL;
    for (i = 0; i < n; i++)
	tlsrpt_on_fetch_failure(t, domains[i], &rs[i]);
    tlsrpt_free(t);			/* commits the counts */
    return tlsrpt_counters_open(store_env(st), &err);
}

/* done - close and remove everything */
static void done(tlsrpt_counters *c)
{

    tlsrpt_counters_close(c);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    t_rmtree(dir);
}

/* Our own trouble (CA file, memory, libcurl) is not the domain's failure. */
static void local_problem_counts_nothing_against_the_domain(void)
{
    static const char *const domains[] = {"local.example"};
    disc_result r = failure(FETCH_FAIL_FETCH_ERROR, FETCH_LOCAL,
			    "a local problem, not the domain's: (check ca_file and ca_path)");
    tlsrpt_counters *c = hook(domains, &r, 1);
    tlsrpt_data d;
    mt_err err;

    T_ASSERT(c != NULL);
    T_EQ_INT(tlsrpt_counters_read(c, tlsrpt_day_of(time(NULL)), "local.example", &d, &err), 1);
    done(c);
}

/* RFC 8460 §4.4 failure-reason-code: a fixed code, never our log text */
static void report_carries_a_fixed_reason_code_not_our_log_text(void)
{
    static const char *const domains[] = {"private.example", "syntax.example"};
    disc_result r[2];
    tlsrpt_counters *c;
    tlsrpt_data d;
    mt_err err;

    r[0] = failure(FETCH_FAIL_FETCH_ERROR, FETCH_REFUSED_ADDRESS,
		   "refused to connect: 10.1.2.3 is private (RFC 1918)");
    r[1] = failure(FETCH_FAIL_POLICY_INVALID, FETCH_OK,
		   "the policy at https://mta-sts.syntax.example/.well-known/mta-sts.txt"
		   " is invalid: line 2: mode");
    c = hook(domains, r, 2);
    T_ASSERT(c != NULL);
    T_EQ_INT(tlsrpt_counters_read(c, tlsrpt_day_of(time(NULL)), "private.example", &d, &err), 0);
    T_EQ_INT(d.n_policies, 1);
    T_EQ_INT(d.policies[0].n_fail, 1);
    T_EQ_INT(d.policies[0].fail[0].result, TLSRPT_STS_POLICY_FETCH_ERROR);
    T_EQ_STR(d.policies[0].fail[0].reason, "refused-address");
    tlsrpt_data_free(&d);
    T_EQ_INT(tlsrpt_counters_read(c, tlsrpt_day_of(time(NULL)), "syntax.example", &d, &err), 0);
    T_EQ_INT(d.policies[0].fail[0].result, TLSRPT_STS_POLICY_INVALID);
    T_EQ_STR(d.policies[0].fail[0].reason, "policy-syntax");
    tlsrpt_data_free(&d);
    done(c);
}

int main(void)
{
    T_RUN(local_problem_counts_nothing_against_the_domain);
    T_RUN(report_carries_a_fixed_reason_code_not_our_log_text);
    return t_done();
}
