/* test_tlsrpt_counters - TLS-RPT counts in memory and in LMDB, and crash loss */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "t.h"

#include "evloop.h"
#include "tlsrpt_counters.h"

#define DAY0 19700		/* some UTC day */
#define T0 ((int64_t) DAY0 * 86400 + 3600)

static char dir[64];

/* env_open - a fresh LMDB environment in a temporary directory */
static MDB_env *env_open(int fresh)
{
    MDB_env *env;

    if (fresh) {
	if (*dir) {
	    char cmd[128];

	    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	    if (system(cmd) != 0)
		return NULL;
	}
	strcpy(dir, "/tmp/test_tlsrpt_counters.XXXXXX");
	if (mkdtemp(dir) == NULL)
	    return NULL;
    }
    if (mdb_env_create(&env) != 0)
	return NULL;
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, 64u << 20);
    if (mdb_env_open(env, dir, 0, 0600) != 0) {
	mdb_env_close(env);
	return NULL;
    }
    return env;
}

static void cleanup(void)
{
    char cmd[128];

    if (*dir) {
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
	    return;
    }
}

static tlsrpt_result sts_result(const char *domain, tlsrpt_result_type t, const char *mx)
{
    tlsrpt_result r = {
	.when = T0, .domain = domain, .policy_type = TLSRPT_POLICY_STS,
	.policy_string = "version: STSv1\nmode: enforce\nmx: *.mx.example.test\nmax_age: 86400",
	.mx_host = "*.mx.example.test", .result = t, .sending_ip = "192.0.2.1",
	.receiving_mx = mx, .receiving_ip = "127.0.0.21", .helo = NULL,
	.reason = t == TLSRPT_SUCCESS ? NULL : "TLS session: (certificate verification failed)",
    };
    return r;
}

/* RFC 8460 §4.2: successes and failures per policy, failure details grouped */
static void counts_add_up_per_policy_and_detail(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c;
    tlsrpt_data d;
    tlsrpt_result r;
    mt_err err;
    int i;

    T_ASSERT(env);
    c = tlsrpt_counters_open(env, &err);
    T_ASSERT(c);
    for (i = 0; i < 10; i++) {
	r = sts_result("example.test", TLSRPT_SUCCESS, "a.mx.example.test");
	T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    }
    r = sts_result("example.test", TLSRPT_CERTIFICATE_HOST_MISMATCH, "b.mx.example.test");
    T_EQ_INT(tlsrpt_counters_add(c, &r, 3), 0);
    r = sts_result("example.test", TLSRPT_CERTIFICATE_EXPIRED, "b.mx.example.test");
    T_EQ_INT(tlsrpt_counters_add(c, &r, 2), 0);
    r = sts_result("other.test", TLSRPT_SUCCESS, "mx.other.test");
    r.policy_type = TLSRPT_POLICY_NONE;
    T_EQ_INT(tlsrpt_counters_add(c, &r, 7), 0);
    T_EQ_INT(tlsrpt_counters_pending(c), 4);
    /* nothing is visible before a commit */
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.test", &d, &err), 1);
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    T_EQ_INT(tlsrpt_counters_pending(c), 0);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.test", &d, &err), 0);
    T_EQ_INT(d.n_policies, 1);
    T_EQ_INT(d.policies[0].type, TLSRPT_POLICY_STS);
    T_EQ_INT(d.policies[0].success, 10);
    T_EQ_INT(d.policies[0].failure, 5);
    T_EQ_INT(d.policies[0].n_fail, 2);
    T_EQ_STR(d.policies[0].mx_host, "*.mx.example.test");
    T_ASSERT(strstr(d.policies[0].policy_string, "mode: enforce") != NULL);
    T_EQ_STR(d.policies[0].fail[0].mx_host, "b.mx.example.test");
    T_EQ_STR(d.policies[0].fail[0].sending_ip, "192.0.2.1");
    T_EQ_STR(d.policies[0].fail[0].receiving_ip, "127.0.0.21");
    T_ASSERT(d.policies[0].fail[0].helo == NULL);
    tlsrpt_data_free(&d);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "other.test", &d, &err), 0);
    T_EQ_INT(d.policies[0].type, TLSRPT_POLICY_NONE);
    T_EQ_INT(d.policies[0].success, 7);
    T_ASSERT(d.policies[0].policy_string == NULL);
    tlsrpt_data_free(&d);
    /* a prefix of a domain is another domain */
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.tes", &d, &err), 1);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0 + 1, "example.test", &d, &err), 1);
    /* later counts add to committed ones */
    r = sts_result("example.test", TLSRPT_SUCCESS, "a.mx.example.test");
    T_EQ_INT(tlsrpt_counters_add(c, &r, 5), 0);
    tlsrpt_counters_close(c);	/* commits */
    c = tlsrpt_counters_open(env, &err);
    T_ASSERT(c);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.test", &d, &err), 0);
    T_EQ_INT(d.policies[0].success, 15);
    tlsrpt_data_free(&d);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

/* a changed policy is another applied policy: its own policies[] entry */
static void two_policies_two_entries(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    tlsrpt_result r = sts_result("example.test", TLSRPT_SUCCESS, "a.mx.example.test");
    tlsrpt_data d;
    mt_err err;

    T_ASSERT(c);
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    r.policy_string = "version: STSv1\nmode: testing\nmx: *.mx.example.test\nmax_age: 86400";
    T_EQ_INT(tlsrpt_counters_add(c, &r, 2), 0);
    r.policy_type = TLSRPT_POLICY_TLSA;
    r.policy_string = "_25._tcp.a.mx.example.test. IN TLSA 3 1 1 AABB";
    r.mx_host = "a.mx.example.test";
    T_EQ_INT(tlsrpt_counters_add(c, &r, 4), 0);
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.test", &d, &err), 0);
    T_EQ_INT(d.n_policies, 3);
    T_EQ_INT(d.policies[0].success + d.policies[1].success + d.policies[2].success, 7);
    tlsrpt_data_free(&d);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

/* LMDB keys hold at most 511 bytes: long names and policies are interned */
static void long_values_fit_lmdb_keys(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    char domain[254], policy[60000], reason[3000];
    tlsrpt_result r;
    tlsrpt_data d;
    mt_err err;
    int i;

    T_ASSERT(c);
    for (i = 0; i < 253; i++)
	domain[i] = (i % 64 == 63) ? '.' : 'a';
    domain[253] = 0;
    memset(policy, 'p', sizeof(policy) - 1);
    policy[sizeof(policy) - 1] = 0;
    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = 0;
    r = sts_result(domain, TLSRPT_VALIDATION_FAILURE, domain);
    r.policy_string = policy;
    r.reason = reason;
    r.helo = domain;
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, domain, &d, &err), 0);
    T_EQ_INT(strlen(d.policies[0].policy_string), sizeof(policy) - 1);
    T_EQ_INT(strlen(d.policies[0].fail[0].reason), TLSRPT_FIELD_MAX);
    tlsrpt_data_free(&d);
    /* a name longer than a domain name can be is refused */
    domain[0] = 0;
    r.domain = "";
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), -1);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

static int list_cb(const char *domain, uint64_t ok, uint64_t bad, void *arg)
{
    char *out = arg;

    sprintf(out + strlen(out), "%s:%llu:%llu ", domain, (unsigned long long) ok,
	    (unsigned long long) bad);
    return 0;
}

/* list per day, days, and pruning old days (counters_retention_days) */
static void list_days_and_prune(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    tlsrpt_result r;
    tlsrpt_data d;
    uint32_t days[8];
    size_t n;
    char out[512] = "";
    mt_err err;

    T_ASSERT(c);
    r = sts_result("b.test", TLSRPT_SUCCESS, "mx");
    T_EQ_INT(tlsrpt_counters_add(c, &r, 2), 0);
    r = sts_result("a.test", TLSRPT_STARTTLS_NOT_SUPPORTED, "mx");
    T_EQ_INT(tlsrpt_counters_add(c, &r, 3), 0);
    r.when += 86400;
    r.reason = "another reason, another detail";
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    r.when += 5 * 86400;
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    T_EQ_INT(tlsrpt_counters_list(c, DAY0, list_cb, out, &err), 0);
    T_EQ_STR(out, "a.test:0:3 b.test:2:0 ");
    T_EQ_INT(tlsrpt_counters_days(c, days, 8, &n, &err), 0);
    T_EQ_INT(n, 3);
    T_EQ_INT(days[0], DAY0);
    T_EQ_INT(days[1], DAY0 + 1);
    T_EQ_INT(days[2], DAY0 + 6);
    T_EQ_INT(tlsrpt_counters_prune(c, DAY0 + 1, &err), 0);
    T_EQ_INT(tlsrpt_counters_days(c, days, 8, &n, &err), 0);
    T_EQ_INT(n, 2);
    T_EQ_INT(days[0], DAY0 + 1);
    /* what remains still reads, with its interned policy and detail */
    T_EQ_INT(tlsrpt_counters_read(c, DAY0 + 1, "a.test", &d, &err), 0);
    T_EQ_STR(d.policies[0].fail[0].reason, "another reason, another detail");
    tlsrpt_data_free(&d);
    /* the old detail is gone; counting it again interns it anew */
    r = sts_result("a.test", TLSRPT_STARTTLS_NOT_SUPPORTED, "mx");
    r.when += 86400;
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    T_EQ_INT(tlsrpt_counters_commit(c, &err), 0);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0 + 1, "a.test", &d, &err), 0);
    T_EQ_INT(d.policies[0].n_fail, 2);
    tlsrpt_data_free(&d);
    T_EQ_INT(tlsrpt_counters_prune(c, DAY0 + 100, &err), 0);
    T_EQ_INT(tlsrpt_counters_days(c, days, 8, &n, &err), 0);
    T_EQ_INT(n, 0);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

/* the commit timer: counts reach LMDB within the interval */
static void timer_commits(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    evloop *loop = evloop_new();
    tlsrpt_result r = sts_result("example.test", TLSRPT_SUCCESS, "a");
    int i;

    T_ASSERT(c && loop);
    tlsrpt_counters_attach(c, loop, 50);
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    T_EQ_INT(tlsrpt_counters_pending(c), 1);
    for (i = 0; i < 20 && tlsrpt_counters_pending(c) > 0; i++)
	evloop_run_once(loop, 20);
    T_EQ_INT(tlsrpt_counters_pending(c), 0);
    tlsrpt_counters_close(c);
    evloop_free(loop);
    mdb_env_close(env);
}

/* design.md: a crash (kill -9) loses at most what was counted since the
 * last commit; every committed count survives, whole */
static void kill9_loses_only_the_uncommitted_window(void)
{
    MDB_env *env;
    tlsrpt_counters *c;
    tlsrpt_data d;
    mt_err err;
    pid_t pid;
    int status;

    env = env_open(1);
    T_ASSERT(env);
    mdb_env_close(env);
    pid = fork();
    T_ASSERT(pid >= 0);
    if (pid == 0) {
	tlsrpt_result r = sts_result("example.test", TLSRPT_SUCCESS, "a");
	int i;

	env = env_open(0);
	c = tlsrpt_counters_open(env, NULL);
	for (i = 0; i < 1000; i++)
	    tlsrpt_counters_add(c, &r, 1);
	if (tlsrpt_counters_commit(c, NULL) < 0)
	    _exit(3);
	r.result = TLSRPT_CERTIFICATE_EXPIRED;
	for (i = 0; i < 1000; i++)
	    tlsrpt_counters_add(c, &r, 1);
	if (tlsrpt_counters_commit(c, NULL) < 0)
	    _exit(3);
	/* the uncommitted window: lost with the process */
	r.result = TLSRPT_SUCCESS;
	for (i = 0; i < 777; i++)
	    tlsrpt_counters_add(c, &r, 1);
	raise(SIGKILL);
	_exit(4);
    }
    T_EQ_INT(waitpid(pid, &status, 0), pid);
    T_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    env = env_open(0);
    c = tlsrpt_counters_open(env, &err);
    T_ASSERT(c);
    T_EQ_INT(tlsrpt_counters_read(c, DAY0, "example.test", &d, &err), 0);
    T_EQ_INT(d.policies[0].success, 1000);
    T_EQ_INT(d.policies[0].failure, 1000);
    tlsrpt_data_free(&d);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

/* TLSRPT_COMMIT_BATCH distinct counters force a commit */
static void batch_size_forces_a_commit(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    tlsrpt_result r = sts_result("example.test", TLSRPT_VALIDATION_FAILURE, "a");
    char ip[32];
    int i;

    T_ASSERT(c);
    for (i = 0; i < TLSRPT_COMMIT_BATCH; i++) {
	snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	r.sending_ip = ip;
	T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    }
    T_EQ_INT(tlsrpt_counters_pending(c), 0);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

/* A full store: a failed commit backs off, pending memory is capped, drops are counted */
static void full_store_backs_off_and_caps_pending(void)
{
    MDB_env *env = env_open(1);
    tlsrpt_counters *c;
    tlsrpt_result r = sts_result("example.test", TLSRPT_SUCCESS, "a");
    tlsrpt_counter_stats st;
    char domain[32];
    int i;

    T_ASSERT(env);
    mdb_env_close(env);			/* again, with room for the databases only */
    T_ASSERT(mdb_env_create(&env) == 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, 256u << 10);
    T_ASSERT(mdb_env_open(env, dir, 0, 0600) == 0);
    c = tlsrpt_counters_open(env, NULL);
    T_ASSERT(c);
    r.domain = domain;
    for (i = 0; i < TLSRPT_COMMIT_BATCH + 1000; i++) {
	snprintf(domain, sizeof(domain), "d%07d.example", i);
	T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    }
    tlsrpt_counters_get_stats(c, &st);
    T_EQ_INT(st.commit_failures, 1);	/* not one commit per line after it */
    T_EQ_INT(st.pending, TLSRPT_COMMIT_BATCH + 1000);
    for (; i < TLSRPT_PENDING_MAX; i++) {
	snprintf(domain, sizeof(domain), "d%07d.example", i);
	T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    }
    for (; i < TLSRPT_PENDING_MAX + 10; i++) {
	snprintf(domain, sizeof(domain), "d%07d.example", i);
	T_EQ_INT(tlsrpt_counters_add(c, &r, 2), -1);
    }
    tlsrpt_counters_get_stats(c, &st);
    T_EQ_INT(st.pending, TLSRPT_PENDING_MAX);
    T_EQ_INT(st.dropped, 20);
    T_EQ_INT(st.commit_failures, 1);
    /* a counter already pending still counts */
    snprintf(domain, sizeof(domain), "d%07d.example", 5);
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    /* after the back-off the next line tries again, once */
    usleep(1100 * 1000);
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    T_EQ_INT(tlsrpt_counters_add(c, &r, 1), 0);
    tlsrpt_counters_get_stats(c, &st);
    T_EQ_INT(st.commit_failures, 2);
    tlsrpt_counters_close(c);
    mdb_env_close(env);
}

int main(void)
{
    T_RUN(counts_add_up_per_policy_and_detail);
    T_RUN(two_policies_two_entries);
    T_RUN(long_values_fit_lmdb_keys);
    T_RUN(list_days_and_prune);
    T_RUN(timer_commits);
    T_RUN(kill9_loses_only_the_uncommitted_window);
    T_RUN(batch_size_forces_a_commit);
    T_RUN(full_store_backs_off_and_caps_pending);
    cleanup();
    return t_done();
}
