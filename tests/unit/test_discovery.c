/*
 * test_discovery - the discovery pipeline up to the fetch (daemon/discovery.c)
 *
 * No network: libunbound serves a zone file itself (auth-zone with
 * for-upstream), unsigned. The record rule, the flags, MX ordering, the
 * implicit and null MX, TLS-RPT, and the refusal of a policy host on a
 * loopback address (with no connection) are tested here; real HTTPS and
 * DNSSEC are tested against the test world (tests/integration/).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "t.h"

static char dir[64];
static char conf_path[128];

static const char zone_text[] =
    "$ORIGIN d.test.\n$TTL 300\n"
    "@ IN SOA ns.d.test. h.d.test. 1 3600 600 86400 300\n"
    "@ IN NS ns.d.test.\nns IN A 192.0.2.53\n"
    /* one valid record, split in two strings (RFC 8461 §3.1) */
    "ok IN MX 20 mx-b.d.test.\nok IN MX 10 mx-z.d.test.\nok IN MX 10 mx-a.d.test.\n"
    "_mta-sts.ok IN TXT \"v=STSv1; \" \"id=abc123\"\n"
    "_mta-sts.ok IN TXT \"some other record\"\n"
    "mta-sts.ok IN A 127.0.0.1\nmta-sts.ok IN AAAA ::1\nmta-sts.ok IN A 10.1.2.3\n"
    "_smtp._tls.ok IN TXT \"v=TLSRPTv1; rua=mailto:r@d.test\"\n"
    "_25._tcp.mx-a.d.test. IN TLSA 3 1 1 "
    "0000000000000000000000000000000000000000000000000000000000000000\n"
    /* two records: none counts */
    "_mta-sts.two IN TXT \"v=STSv1; id=1\"\n_mta-sts.two IN TXT \"v=STSv1; id=2\"\n"
    /* v=STSv10 is no MTA-STS record and cannot disable its sibling */
    "_mta-sts.ten IN TXT \"v=STSv10; id=1\"\n_mta-sts.ten IN TXT \"v=STSv1; id=2\"\n"
    "mta-sts.ten IN A 127.0.0.1\n"
    "_mta-sts.bad IN TXT \"v=STSv1; id=not_valid!\"\n"
    "_mta-sts.other IN TXT \"hello\"\n"
    "_mta-sts.cname IN CNAME _mta-sts.ok.d.test.\nmta-sts.cname IN A 127.0.0.1\n"
    /* no MX record: the domain is its own MX; no policy host address */
    "implicit IN A 192.0.2.1\n_mta-sts.implicit IN TXT \"v=STSv1; id=i1\"\n"
    /* RFC 7505 null MX */
    "nullmx IN MX 0 .\n"
    /* the policy host is routed by connect_to to our closed port */
    "_mta-sts.routed IN TXT \"v=STSv1; id=r1\"\n"
    "_mta-sts.noaddr IN TXT \"v=STSv1; id=n1\"\n";

typedef struct got {
    int calls;
    disc_result *r;
} got;

/* on_done - keep the result */
static void on_done(disc_result *r, void *arg)
{
    got *g = arg;

    g->calls++;
    if (g->r)
	discovery_result_free(g->r);
    g->r = r;
}

/* write_file - create path with text */
static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
	abort();
}

/* setup - the zone and the configuration */
static void setup(void)
{
    char zone[128], text[1024];

    strcpy(dir, "/tmp/mtasts-discovery-XXXXXX");
    if (mkdtemp(dir) == NULL)
	abort();
    snprintf(zone, sizeof(zone), "%s/d.test.zone", dir);
    write_file(zone, zone_text);
    snprintf(conf_path, sizeof(conf_path), "%s/unbound.conf", dir);
    snprintf(text, sizeof(text),
	     "server:\n  local-zone: \"test.\" nodefault\n  module-config: \"iterator\"\n"
	     "auth-zone:\n  name: \"d.test\"\n  zonefile: \"%s\"\n"
	     "  for-upstream: yes\n  for-downstream: no\n  fallback-enabled: no\n", zone);
    write_file(conf_path, text);
}

/* teardown - remove what setup made */
static void teardown(void)
{

    t_rmtree(dir);
}

/* closed_port - a local TCP port where nothing listens (bound, not listening) */
static unsigned closed_port(int *fd)
{
    struct sockaddr_in sin;
    socklen_t sl = sizeof(sin);

    *fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (*fd < 0 || bind(*fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(*fd, (struct sockaddr *) &sin, &sl) < 0)
	abort();
    return ntohs(sin.sin_port);
}

/* test_config - our configuration for the test zone (unsigned: DNSSEC off) */
static void test_config(mtasts_config *cfg)
{
    config_defaults(cfg);
    cfg->dnssec = 0;
    cfg->unbound_config = strdup(conf_path);
    cfg->dns_timeout_ms = 3000;
    cfg->fetch_timeout_ms = 3000;
    cfg->fetch_connect_timeout_ms = 2000;
}

/* discover - one discovery to completion with cfg; NULL result on failure */
static disc_result *discover_cfg(mtasts_config *cfg, const char *domain, unsigned flags,
				 const char *known_id)
{
    evloop *loop = evloop_new();
    discovery *d;
    got g = {0, NULL};
    uint64_t end;
    mt_err e;

    if ((d = discovery_new(loop, cfg, &e)) == NULL) {
	printf("discovery_new: %s\n", e.msg);
	evloop_free(loop);
	return NULL;
    }
    if (discovery_start(d, domain, flags, known_id, on_done, &g) == 0) {
	if (g.calls != 0)
	    printf("callback ran inside discovery_start()\n");
	end = evloop_now_ms(loop) + 10000;
	while (g.calls == 0 && evloop_now_ms(loop) < end)
	    evloop_run_once(loop, 100);
    }
    discovery_free(d);
    evloop_free(loop);
    return g.calls == 1 ? g.r : NULL;
}

/* discover - with the test configuration */
static disc_result *discover(const char *domain, unsigned flags, const char *known_id)
{
    mtasts_config cfg;
    disc_result *r;

    test_config(&cfg);
    r = discover_cfg(&cfg, domain, flags, known_id);
    config_free(&cfg);
    return r;
}

/* RFC 8461 §3.1: strings concatenated; exactly one v=STSv1 record among others */
static void one_record_among_others_gives_its_id(void)
{
    disc_result *r = discover("ok.d.test", DISC_TXT_ONLY, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_TXT_OK);
    T_EQ_INT(r->txt_outcome, DNS_OK);
    T_EQ_INT(r->txt_sec, DNS_SEC_INSECURE);
    T_EQ_INT(r->txt_set, STS_SET_ONE);
    T_EQ_INT(r->txt_count, 2);
    T_EQ_STR(r->txt, "v=STSv1; id=abc123");
    T_EQ_STR(r->id, "abc123");
    T_EQ_STR(r->policy_host, "");		/* TXT only: no fetch */
    discovery_result_free(r);
}

static void unchanged_id_is_not_fetched(void)
{
    disc_result *r = discover("ok.d.test", DISC_IF_CHANGED, "abc123");

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_UNCHANGED);
    T_EQ_STR(r->id, "abc123");
    T_EQ_STR(r->policy_host, "");
    discovery_result_free(r);
}

/* our rule (RFC 8461 §10): the policy host's loopback/private addresses are never fetched from */
static void changed_id_goes_on_and_refuses_private_policy_host(void)
{
    disc_result *r = discover("ok.d.test", DISC_IF_CHANGED, "old");

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_STR(r->policy_host, "mta-sts.ok.d.test");
    T_EQ_INT(r->policy_host_routed, 0);
    T_EQ_INT(r->n_policy_addr, 0);
    T_EQ_INT(r->n_refused_addr, 3);		/* 127.0.0.1, 10.1.2.3, ::1 */
    T_EQ_INT(r->failure, FETCH_FAIL_FETCH_ERROR);
    T_EQ_INT(r->fetch_problem, FETCH_REFUSED_ADDRESS);
    T_EQ_INT(r->fetched, 0);
    T_EQ_STR(r->fetch_ip, "");
    T_ASSERT(strstr(r->reason, "loopback") != NULL);
    T_ASSERT(strstr(r->reason, "nothing was connected") != NULL);
    discovery_result_free(r);
}

/* RFC 5321 §5.1 order, RFC 7672: TLSA without DNSSEC is not usable */
static void mx_set_in_preference_order_with_tlsa_status(void)
{
    disc_result *r = discover("ok.d.test", DISC_TXT_ONLY | DISC_WITH_MX, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->mx_outcome, DNS_OK);
    T_EQ_INT(r->n_mx, 3);
    T_EQ_STR(r->mx[0].host, "mx-a.d.test");
    T_EQ_INT(r->mx[0].preference, 10);
    T_EQ_STR(r->mx[1].host, "mx-z.d.test");
    T_EQ_STR(r->mx[2].host, "mx-b.d.test");
    T_EQ_INT(r->mx[2].preference, 20);
    T_EQ_INT(r->mx[0].tlsa_outcome, DNS_OK);
    T_EQ_INT(r->mx[0].tlsa_sec, DNS_SEC_INSECURE);
    T_EQ_INT(r->mx[0].tlsa_usable, 0);
    T_EQ_INT(r->mx[1].tlsa_outcome, DNS_NXDOMAIN);
    T_EQ_INT(r->mx[0].implicit, 0);
    discovery_result_free(r);
}

/* RFC 8460 §3 */
static void tlsrpt_record_is_read(void)
{
    disc_result *r = discover("ok.d.test", DISC_TXT_ONLY | DISC_WITH_TLSRPT, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->tlsrpt_outcome, DNS_OK);
    T_EQ_INT(r->tlsrpt_set, TLSRPT_SET_ONE);
    T_EQ_INT(r->tlsrpt.n_rua, 1);
    T_EQ_STR(r->tlsrpt.rua[0], "mailto:r@d.test");
    discovery_result_free(r);
}

static void missing_tlsrpt_record_says_so(void)
{
    disc_result *r = discover("two.d.test", DISC_TXT_ONLY | DISC_WITH_TLSRPT, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->tlsrpt_outcome, DNS_NXDOMAIN);
    T_EQ_INT(r->tlsrpt_set, TLSRPT_SET_NONE);
    T_ASSERT(strstr(r->tlsrpt_reason, "no TLS-RPT record") != NULL);
    discovery_result_free(r);
}

/* RFC 8461 §3.1: more than one record: no usable record */
static void two_records_give_no_policy(void)
{
    disc_result *r = discover("two.d.test", 0, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_INT(r->txt_set, STS_SET_MANY);
    T_EQ_STR(r->txt, "v=STSv1; id=1\nv=STSv1; id=2");
    T_EQ_INT(r->failure, FETCH_FAIL_NONE);
    T_EQ_STR(r->policy_host, "");
    discovery_result_free(r);
}

/* RFC 8461 §3.1: "v=STSv10;" is not a record and cannot disable a valid sibling */
static void stsv10_does_not_count(void)
{
    disc_result *r = discover("ten.d.test", DISC_TXT_ONLY, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_TXT_OK);
    T_EQ_STR(r->id, "2");
    discovery_result_free(r);
}

static void invalid_record_gives_no_policy(void)
{
    disc_result *r = discover("bad.d.test", 0, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_INT(r->txt_set, STS_SET_INVALID);
    T_ASSERT(strstr(r->reason, "invalid") != NULL);
    discovery_result_free(r);
}

static void non_sts_txt_gives_no_policy(void)
{
    disc_result *r = discover("other.d.test", 0, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_INT(r->txt_set, STS_SET_NONE);
    T_EQ_INT(r->txt_count, 1);
    discovery_result_free(r);
}

static void missing_record_is_nxdomain_no_policy(void)
{
    disc_result *r = discover("nothing.d.test", 0, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_INT(r->txt_outcome, DNS_NXDOMAIN);
    T_EQ_INT(r->txt_set, STS_SET_NONE);
    discovery_result_free(r);
}

/* RFC 8461 §3.1: CNAMEs are followed */
static void cname_to_record_is_followed(void)
{
    disc_result *r = discover("cname.d.test", DISC_TXT_ONLY, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_TXT_OK);
    T_EQ_STR(r->id, "abc123");
    discovery_result_free(r);
}

/* RFC 5321 §5.1: no MX record: the domain itself */
static void no_mx_gives_implicit_mx_and_no_policy_host_address(void)
{
    disc_result *r = discover("implicit.d.test", DISC_WITH_MX, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->mx_outcome, DNS_NODATA);
    T_EQ_INT(r->n_mx, 1);
    T_EQ_STR(r->mx[0].host, "implicit.d.test");
    T_EQ_INT(r->mx[0].implicit, 1);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    T_EQ_INT(r->fetch_problem, FETCH_NO_ADDRESS);
    T_EQ_INT(r->policy_host_outcome, DNS_NXDOMAIN);
    discovery_result_free(r);
}

/* RFC 7505 */
static void null_mx_is_recognised(void)
{
    disc_result *r = discover("nullmx.d.test", DISC_WITH_MX, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->mx_outcome, DNS_OK);
    T_EQ_INT(r->null_mx, 1);
    T_EQ_INT(r->n_mx, 0);
    discovery_result_free(r);
}

/* connect_to decides: no lookup of the policy host; a refused connection is temporary */
static void routed_fetch_connect_error_is_temporary(void)
{
    mtasts_config cfg;
    disc_result *r;
    char route[128];
    int fd;

    snprintf(route, sizeof(route), "mta-sts.routed.d.test:443:127.0.0.1:%u", closed_port(&fd));
    test_config(&cfg);
    cfg.connect_to.v[cfg.connect_to.n++] = strdup(route);
    r = discover_cfg(&cfg, "routed.d.test", 0, NULL);
    config_free(&cfg);
    close(fd);
    T_ASSERT(r != NULL);
    T_EQ_INT(r->policy_host_routed, 1);
    T_EQ_INT(r->status, DISC_TEMPFAIL);
    T_EQ_INT(r->failure, FETCH_FAIL_FETCH_ERROR);
    T_EQ_INT(r->fetch_problem, FETCH_CONNECT);
    T_ASSERT(strstr(r->reason, "Connection refused") != NULL);
    discovery_result_free(r);
}

static void invalid_domain_is_answered_later(void)
{
    disc_result *r = discover("a..b", DISC_WITH_MX, NULL);

    T_ASSERT(r != NULL);
    T_EQ_INT(r->status, DISC_NO_POLICY);
    discovery_result_free(r);
}

/* many discoveries on one engine, and discovery_free() with work in flight */
static void concurrent_discoveries_complete_and_free_cancels(void)
{
    static const char *const names[] = {"ok.d.test", "two.d.test", "other.d.test",
					"cname.d.test", "nothing.d.test"};
    evloop *loop = evloop_new();
    mtasts_config cfg;
    discovery *d;
    got g[50];
    uint64_t end;
    mt_err e;
    int i, done;

    memset(g, 0, sizeof(g));
    test_config(&cfg);
    d = discovery_new(loop, &cfg, &e);
    T_ASSERT(d != NULL);
    for (i = 0; i < 50; i++)
	T_EQ_INT(discovery_start(d, names[i % 5], DISC_WITH_MX | DISC_WITH_TLSRPT, NULL,
				 on_done, &g[i]), 0);
    end = evloop_now_ms(loop) + 10000;
    do {
	evloop_run_once(loop, 100);
	for (done = 0, i = 0; i < 50; i++)
	    done += g[i].calls;
    } while (done < 50 && evloop_now_ms(loop) < end);
    T_EQ_INT(done, 50);
    for (i = 0; i < 50; i++) {
	T_EQ_INT(g[i].calls, 1);
	T_EQ_STR(g[i].r->domain, names[i % 5]);
	discovery_result_free(g[i].r);
	g[i].r = NULL;
    }
    /* work in flight is cancelled: no callback afterwards */
    memset(g, 0, sizeof(g));
    T_EQ_INT(discovery_start(d, "ok.d.test", DISC_WITH_MX, NULL, on_done, &g[0]), 0);
    discovery_free(d);
    evloop_run_once(loop, 50);
    evloop_free(loop);
    config_free(&cfg);
    T_EQ_INT(g[0].calls, 0);
}

int main(void)
{
    setup();
    T_RUN(one_record_among_others_gives_its_id);
    T_RUN(unchanged_id_is_not_fetched);
    T_RUN(changed_id_goes_on_and_refuses_private_policy_host);
    T_RUN(mx_set_in_preference_order_with_tlsa_status);
    T_RUN(tlsrpt_record_is_read);
    T_RUN(missing_tlsrpt_record_says_so);
    T_RUN(two_records_give_no_policy);
    T_RUN(stsv10_does_not_count);
    T_RUN(invalid_record_gives_no_policy);
    T_RUN(non_sts_txt_gives_no_policy);
    T_RUN(missing_record_is_nxdomain_no_policy);
    T_RUN(cname_to_record_is_followed);
    T_RUN(no_mx_gives_implicit_mx_and_no_policy_host_address);
    T_RUN(null_mx_is_recognised);
    T_RUN(routed_fetch_connect_error_is_temporary);
    T_RUN(invalid_domain_is_answered_later);
    T_RUN(concurrent_discoveries_complete_and_free_cancels);
    teardown();
    return t_done();
}
