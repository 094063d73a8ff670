/*
 * test_resolver - asynchronous DNS with outcomes (daemon/resolver.c)
 *
 * No network: libunbound serves a zone file itself (auth-zone with
 * for-upstream), and the timeout case asks a UDP socket of ours on
 * 127.0.0.1 that never answers. DNSSEC outcomes are covered against the
 * signed zones of the test world (tests/integration/t_discovery*.sh).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "dns_rdata.h"
#include "evloop.h"
#include "resolver.h"
#include "t.h"

static char dir[64];
static char conf_path[128];
static int silent_fd = -1;

typedef struct got {
    int calls;
    dns_outcome outcome;
    dns_sec sec;
    size_t n;
    char first[256];
    char canon[256];
} got;

/* on_answer - keep what a test looks at */
static void on_answer(const dns_answer *a, void *arg)
{
    got *g = arg;

    g->calls++;
    g->outcome = a->outcome;
    g->sec = a->sec;
    g->n = a->n;
    g->first[0] = 0;
    if (a->n > 0) {
	size_t l = (size_t) a->len[0] < sizeof(g->first) - 1 ? (size_t) a->len[0] : sizeof(g->first) - 1;

	memcpy(g->first, a->rdata[0], l);
	g->first[l] = 0;
    }
    snprintf(g->canon, sizeof(g->canon), "%s", a->canonname ? a->canonname : "");
}

/* write_file - create path with text */
static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
	abort();
}

/* setup - a zone file, a silent UDP server and an unbound.conf using both */
static void setup(void)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);
    char zone[128], text[1024];

    strcpy(dir, "/tmp/mtasts-resolver-XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    snprintf(zone, sizeof(zone), "%s/example.test.zone", dir);
    write_file(zone,
	       "$ORIGIN example.test.\n$TTL 300\n"
	       "@ IN SOA ns.example.test. h.example.test. 1 3600 600 86400 300\n"
	       "@ IN NS ns.example.test.\nns IN A 127.0.0.1\n"
	       "@ IN MX 10 mx1.example.test.\n@ IN MX 5 mx2.example.test.\n"
	       "_mta-sts IN TXT \"v=STSv1; \" \"id=abc\"\n"
	       "mta-sts IN A 192.0.2.10\n"
	       "alias IN CNAME mta-sts\n");
    silent_fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (silent_fd < 0 || bind(silent_fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(silent_fd, (struct sockaddr *) &sin, &sl) < 0)
	abort();
    snprintf(conf_path, sizeof(conf_path), "%s/unbound.conf", dir);
    snprintf(text, sizeof(text),
	     "server:\n  local-zone: \"test.\" nodefault\n  do-not-query-localhost: no\n"
	     "  module-config: \"iterator\"\n"
	     "auth-zone:\n  name: \"example.test\"\n  zonefile: \"%s\"\n"
	     "  for-upstream: yes\n  for-downstream: no\n  fallback-enabled: no\n"
	     "stub-zone:\n  name: \"silent.test\"\n  stub-addr: 127.0.0.1@%u\n",
	     zone, (unsigned) ntohs(sin.sin_port));
    write_file(conf_path, text);
}

/* teardown - remove what setup made */
static void teardown(void)
{

    close(silent_fd);
    t_rmtree(dir);
}

/* test_config - our configuration for the test zone, DNSSEC off (no root access) */
static void test_config(mtasts_config *cfg)
{
    config_defaults(cfg);
    cfg->dnssec = 0;
    free(cfg->unbound_config);
    cfg->unbound_config = strdup(conf_path);
    cfg->dns_timeout_ms = 700;
}

/* run_until - run the loop until *calls reaches want or 5 s pass */
static void run_until(evloop *loop, const int *calls, int want)
{
    uint64_t end = evloop_now_ms(loop) + 5000;

    while (*calls < want && evloop_now_ms(loop) < end)
	evloop_run_once(loop, 100);
}

/* ask - one query through a fresh resolver, to completion */
static void ask(const char *name, int type, got *g)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    resolver *res;
    mt_err e;

    memset(g, 0, sizeof(*g));
    test_config(&cfg);
    if ((res = resolver_new(loop, &cfg, &e)) == NULL) {
	printf("resolver_new: %s\n", e.msg);
	g->calls = -1;
    } else {
	if (resolver_query(res, name, type, on_answer, g) == NULL)
	    g->calls = -1;
	else
	    run_until(loop, &g->calls, 1);
	resolver_free(res);
    }
    config_free(&cfg);
    evloop_free(loop);
}

/* RFC 8461 §3.1: the TXT record comes back as its character-strings */
static void txt_answer_has_data(void)
{
    got g;

    ask("_mta-sts.example.test", DNS_TYPE_TXT, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_OK);
    T_EQ_INT(g.sec, DNS_SEC_INSECURE);
    T_EQ_INT(g.n, 1);
    T_ASSERT(memcmp(g.first, "\x09v=STSv1; \x06id=abc", 18) == 0);
}

static void missing_name_is_nxdomain(void)
{
    got g;

    ask("_mta-sts.nothing.example.test", DNS_TYPE_TXT, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_NXDOMAIN);
    T_EQ_INT(g.n, 0);
}

static void name_without_that_type_is_nodata(void)
{
    got g;

    ask("mta-sts.example.test", DNS_TYPE_AAAA, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_NODATA);
}

/* RFC 8461 §3.1: CNAMEs are followed */
static void cname_is_followed(void)
{
    got g;

    ask("alias.example.test", DNS_TYPE_A, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_OK);
    T_EQ_STR(g.canon, "mta-sts.example.test.");
    T_ASSERT(memcmp(g.first, "\xc0\x00\x02\x0a", 4) == 0);
}

static void mx_answer_has_every_record(void)
{
    got g;

    ask("example.test", DNS_TYPE_MX, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_OK);
    T_EQ_INT(g.n, 2);
}

static void silent_server_times_out(void)
{
    got g;

    ask("_mta-sts.silent.test", DNS_TYPE_TXT, &g);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_TIMEOUT);
}

/* a bad name fails from the loop, never inside resolver_query() */
static void start_error_is_delivered_later(void)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    resolver *res;
    got g;
    mt_err e;

    memset(&g, 0, sizeof(g));
    test_config(&cfg);
    res = resolver_new(loop, &cfg, &e);
    T_ASSERT(res != NULL);
    T_ASSERT(resolver_query(res, "a..b", DNS_TYPE_A, on_answer, &g) != NULL);
    T_EQ_INT(g.calls, 0);
    run_until(loop, &g.calls, 1);
    resolver_free(res);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.outcome, DNS_ERROR);
}

static void callback_never_runs_inside_query(void)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    resolver *res;
    got g;
    mt_err e;

    memset(&g, 0, sizeof(g));
    test_config(&cfg);
    res = resolver_new(loop, &cfg, &e);
    T_ASSERT(res != NULL);
    /* twice: the second answer comes from libunbound's cache */
    T_ASSERT(resolver_query(res, "example.test", DNS_TYPE_MX, on_answer, &g) != NULL);
    T_EQ_INT(g.calls, 0);
    run_until(loop, &g.calls, 1);
    T_ASSERT(resolver_query(res, "example.test", DNS_TYPE_MX, on_answer, &g) != NULL);
    T_EQ_INT(g.calls, 1);
    run_until(loop, &g.calls, 2);
    resolver_free(res);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 2);
}

static void cancelled_query_never_calls_back(void)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    resolver *res;
    dns_query *q;
    got g, g2;
    mt_err e;

    memset(&g, 0, sizeof(g));
    memset(&g2, 0, sizeof(g2));
    test_config(&cfg);
    res = resolver_new(loop, &cfg, &e);
    T_ASSERT(res != NULL);
    q = resolver_query(res, "example.test", DNS_TYPE_MX, on_answer, &g);
    T_ASSERT(resolver_query(res, "example.test", DNS_TYPE_TXT, on_answer, &g2) != NULL);
    resolver_cancel(res, q);
    run_until(loop, &g2.calls, 1);
    /* and one left in flight is cancelled by resolver_free() */
    T_ASSERT(resolver_query(res, "_mta-sts.silent.test", DNS_TYPE_TXT, on_answer, &g) != NULL);
    resolver_free(res);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 0);
    T_EQ_INT(g2.calls, 1);
}

static void permissive_validation_is_refused(void)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    char path[160];
    resolver *res;
    mt_err e;

    snprintf(path, sizeof(path), "%s/permissive.conf", dir);
    write_file(path, "server:\n  val-permissive-mode: yes\n");
    config_defaults(&cfg);
    cfg.dnssec = 0;
    cfg.unbound_config = strdup(path);
    res = resolver_new(loop, &cfg, &e);
    config_free(&cfg);
    evloop_free(loop);
    T_ASSERT(res == NULL);
    T_ASSERT(strstr(e.msg, "val-permissive-mode") != NULL);
}

static void missing_trust_anchor_file_is_an_error(void)
{
    mtasts_config cfg;
    evloop *loop = evloop_new();
    resolver *res;
    mt_err e;

    config_defaults(&cfg);
    cfg.dnssec = 0;
    cfg.trust_anchor_file.v[cfg.trust_anchor_file.n++] = strdup("/nonexistent/ta.key");
    res = resolver_new(loop, &cfg, &e);
    config_free(&cfg);
    evloop_free(loop);
    T_ASSERT(res == NULL);
    T_ASSERT(strstr(e.msg, "/nonexistent/ta.key") != NULL);
}

static void outcome_names_are_stable(void)
{
    T_EQ_STR(dns_outcome_name(DNS_BOGUS), "bogus");
    T_EQ_STR(dns_outcome_name(DNS_NXDOMAIN), "nxdomain");
    T_EQ_STR(dns_sec_name(DNS_SEC_SECURE), "secure");
}

int main(void)
{
    setup();
    T_RUN(txt_answer_has_data);
    T_RUN(missing_name_is_nxdomain);
    T_RUN(name_without_that_type_is_nodata);
    T_RUN(cname_is_followed);
    T_RUN(mx_answer_has_every_record);
    T_RUN(silent_server_times_out);
    T_RUN(start_error_is_delivered_later);
    T_RUN(callback_never_runs_inside_query);
    T_RUN(cancelled_query_never_calls_back);
    T_RUN(permissive_validation_is_refused);
    T_RUN(missing_trust_anchor_file_is_an_error);
    T_RUN(outcome_names_are_stable);
    teardown();
    return t_done();
}
