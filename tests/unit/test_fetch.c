/*
 * test_fetch - the HTTPS policy fetch's own rules (daemon/fetch.c)
 *
 * What needs no server: media types, the connect_to syntax, and the last
 * line of the address filter (a refused address is never connected).
 * Real fetches against the test world's HTTPS hosts are in
 * tests/integration/t_discovery*.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evloop.h"
#include "fetch.h"
#include "t.h"

typedef struct got {
    int calls;
    tlsrpt_fetch_failure failure;
    int temporary;
    long status;
    char ip[64];
    char reason[FETCH_REASON_MAX];
} got;

/* on_result - keep what a test looks at */
static void on_result(fetch_result *r, void *arg)
{
    got *g = arg;

    g->calls++;
    g->failure = r->failure;
    g->temporary = r->temporary;
    g->status = r->http_status;
    snprintf(g->ip, sizeof(g->ip), "%s", r->ip);
    snprintf(g->reason, sizeof(g->reason), "%s", r->reason);
}

/* RFC 8461 §3.3: the media type is text/plain; parameters are allowed */
static void media_type_text_plain_with_parameters_is_accepted(void)
{
    T_ASSERT(fetch_content_type_ok("text/plain"));
    T_ASSERT(fetch_content_type_ok("text/plain; charset=utf-8"));
    T_ASSERT(fetch_content_type_ok("text/plain;charset=us-ascii"));
    T_ASSERT(fetch_content_type_ok("Text/Plain"));
    T_ASSERT(fetch_content_type_ok("text/plain ; format=flowed"));
}

static void other_media_types_are_refused(void)
{
    T_ASSERT(!fetch_content_type_ok(NULL));
    T_ASSERT(!fetch_content_type_ok(""));
    T_ASSERT(!fetch_content_type_ok("text/html"));
    T_ASSERT(!fetch_content_type_ok("text/plainx"));
    T_ASSERT(!fetch_content_type_ok("text/plain-policy"));
    T_ASSERT(!fetch_content_type_ok("application/octet-stream"));
    T_ASSERT(!fetch_content_type_ok("text"));
}

/* new_fetcher - a fetcher with one connect_to entry (or none) */
static fetcher *new_fetcher(evloop *loop, mtasts_config *cfg, const char *connect_to, mt_err *e)
{
    config_defaults(cfg);
    if (connect_to)
	cfg->connect_to.v[cfg->connect_to.n++] = strdup(connect_to);
    return fetcher_new(loop, cfg, e);
}

static void connect_to_needs_an_ip_address(void)
{
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetcher *f;
    mt_err e;

    f = new_fetcher(loop, &cfg, "mta-sts.a.test:443:localhost:8443", &e);
    T_ASSERT(f == NULL);
    T_ASSERT(strstr(e.msg, "not an IP address") != NULL);
    config_free(&cfg);
    f = new_fetcher(loop, &cfg, "mta-sts.a.test:443:127.0.0.1", &e);
    T_ASSERT(f == NULL);
    T_ASSERT(strstr(e.msg, "HOST:PORT:ADDRESS:PORT") != NULL);
    config_free(&cfg);
    f = new_fetcher(loop, &cfg, "mta-sts.a.test:443::8443", &e);
    T_ASSERT(f == NULL);
    config_free(&cfg);
    f = new_fetcher(loop, &cfg, "mta-sts.a.test:99999:127.0.0.1:8443", &e);
    T_ASSERT(f == NULL);
    config_free(&cfg);
    evloop_free(loop);
}

static void connect_to_routes_matching_hosts_only(void)
{
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetcher *f;
    mt_err e;

    f = new_fetcher(loop, &cfg, "mta-sts.a.test:443:[::1]:8443", &e);
    T_ASSERT(f != NULL);
    T_ASSERT(fetcher_routes(f, "mta-sts.a.test"));
    T_ASSERT(fetcher_routes(f, "MTA-STS.A.test"));
    T_ASSERT(!fetcher_routes(f, "mta-sts.b.test"));
    fetcher_free(f);
    config_free(&cfg);
    f = new_fetcher(loop, &cfg, "::127.0.0.1:8443", &e);	/* any host, any port */
    T_ASSERT(f != NULL);
    T_ASSERT(fetcher_routes(f, "mta-sts.b.test"));
    fetcher_free(f);
    config_free(&cfg);
    f = new_fetcher(loop, &cfg, "mta-sts.a.test:8443:127.0.0.1:8443", &e);	/* another port */
    T_ASSERT(f != NULL);
    T_ASSERT(!fetcher_routes(f, "mta-sts.a.test"));
    fetcher_free(f);
    config_free(&cfg);
    evloop_free(loop);
}

/* run_until - run the loop until g->calls or 5 s */
static void run_until(evloop *loop, got *g)
{
    uint64_t end = evloop_now_ms(loop) + 5000;

    while (g->calls == 0 && evloop_now_ms(loop) < end)
	evloop_run_once(loop, 100);
}

/* without an address and without a route, nothing is fetched (libcurl never resolves) */
static void no_address_and_no_route_fails_without_a_connection(void)
{
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetcher *f;
    got g;
    mt_err e;

    memset(&g, 0, sizeof(g));
    f = new_fetcher(loop, &cfg, NULL, &e);
    T_ASSERT(f != NULL);
    T_ASSERT(fetch_start(f, "mta-sts.example.test", NULL, 0, on_result, &g) != NULL);
    T_EQ_INT(g.calls, 0);		/* never inside fetch_start() */
    run_until(loop, &g);
    fetcher_free(f);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.failure, FETCH_FAIL_FETCH_ERROR);
    T_ASSERT(strstr(g.reason, "no address") != NULL);
    T_EQ_INT(g.temporary, 0);		/* the domain's: definitive */
}

/* the last line: libcurl asks for a socket to a refused address and gets none */
static void refused_address_is_never_connected(void)
{
    static const char *const addrs[] = {"127.0.0.1", "::1"};
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetcher *f;
    got g;
    mt_err e;

    memset(&g, 0, sizeof(g));
    f = new_fetcher(loop, &cfg, NULL, &e);
    T_ASSERT(f != NULL);
    T_ASSERT(fetch_start(f, "mta-sts.example.test", addrs, 2, on_result, &g) != NULL);
    run_until(loop, &g);
    fetcher_free(f);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 1);
    T_EQ_INT(g.failure, FETCH_FAIL_FETCH_ERROR);
    T_EQ_INT(g.temporary, 0);
    T_EQ_INT(g.status, 0);
    T_EQ_STR(g.ip, "");
    T_ASSERT(strstr(g.reason, "refused to connect") != NULL);
    T_ASSERT(strstr(g.reason, "loopback") != NULL);
}

/* a local setup failure is ours, not the domain's: temporary (fetch.h) */
static void local_setup_failure_is_temporary(void)
{
    static const char *const addrs[] = {"127.0.0.1"};
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetcher *f;
    got g;
    mt_err e;

    memset(&g, 0, sizeof(g));
    f = new_fetcher(loop, &cfg, NULL, &e);
    T_ASSERT(f != NULL);
    /* longer than CURL_MAX_INPUT_LENGTH (8 MB): libcurl refuses the option */
    cfg.ca_file = malloc(9000000);
    T_ASSERT(cfg.ca_file != NULL);
    memset(cfg.ca_file, 'x', 9000000 - 1);
    cfg.ca_file[9000000 - 1] = 0;
    T_ASSERT(fetch_start(f, "mta-sts.example.test", addrs, 1, on_result, &g) != NULL);
    run_until(loop, &g);
    fetcher_free(f);
    config_free(&cfg);
    evloop_free(loop);
    T_EQ_INT(g.calls, 1);
    T_ASSERT(strstr(g.reason, "libcurl refused an option") != NULL);
    T_EQ_INT(g.temporary, 1);
}

static void cancelled_fetch_never_calls_back(void)
{
    static const char *const addrs[] = {"127.0.0.1"};
    evloop *loop = evloop_new();
    mtasts_config cfg;
    fetch_req *r;
    fetcher *f;
    got g;
    mt_err e;
    int i;

    memset(&g, 0, sizeof(g));
    f = new_fetcher(loop, &cfg, NULL, &e);
    T_ASSERT(f != NULL);
    r = fetch_start(f, "mta-sts.example.test", addrs, 1, on_result, &g);
    T_ASSERT(r != NULL);
    fetch_cancel(f, r);
    T_ASSERT(fetch_start(f, "mta-sts.example.test", NULL, 0, on_result, &g) != NULL);
    for (i = 0; i < 5; i++)
	evloop_run_once(loop, 20);
    /* the second one is cancelled by fetcher_free() if still there */
    fetcher_free(f);
    config_free(&cfg);
    evloop_free(loop);
    T_ASSERT(g.calls <= 1);
    T_ASSERT(g.calls == 0 || strstr(g.reason, "no address") != NULL);
}

static void result_type_names_are_rfc8460s(void)
{
    T_EQ_STR(tlsrpt_fetch_failure_name(FETCH_FAIL_FETCH_ERROR), "sts-policy-fetch-error");
    T_EQ_STR(tlsrpt_fetch_failure_name(FETCH_FAIL_POLICY_INVALID), "sts-policy-invalid");
    T_EQ_STR(tlsrpt_fetch_failure_name(FETCH_FAIL_WEBPKI_INVALID), "sts-webpki-invalid");
}

int main(void)
{
    T_RUN(media_type_text_plain_with_parameters_is_accepted);
    T_RUN(other_media_types_are_refused);
    T_RUN(connect_to_needs_an_ip_address);
    T_RUN(connect_to_routes_matching_hosts_only);
    T_RUN(no_address_and_no_route_fails_without_a_connection);
    T_RUN(refused_address_is_never_connected);
    T_RUN(local_setup_failure_is_temporary);
    T_RUN(cancelled_fetch_never_calls_back);
    T_RUN(result_type_names_are_rfc8460s);
    return t_done();
}
