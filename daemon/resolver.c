/*
 * NAME
 *	resolver - asynchronous DNS lookups with their DNSSEC status
 * DESCRIPTION
 *	See resolver.h. Each query is a dns_query on a list owned by the
 *	resolver, with a loop timer for its timeout. libunbound calls
 *	ub_answer() from ub_process(), which only the loop calls (watch on
 *	ub_fd()); a failure to start a query is delivered from a zero-delay
 *	timer, so no callback ever runs inside resolver_query().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>

#include "mt_err.h"

#include "log.h"
#include "resolver.h"

#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESOLVER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define RESOLVER_ASAN 1
#endif
#ifdef RESOLVER_ASAN
/*
 * libunbound's default background worker is a forked copy of this process,
 * and it leaves a few bytes of its own allocated when it exits, which
 * LeakSanitizer then reports from the child. Only ASan builds see this.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libunbound.so\n";
}
#endif

struct dns_query {
    resolver *res;
    int async_id;
    int started;		/* libunbound has it (async_id valid) */
    char *name;
    int rrtype;
    resolver_cb cb;
    void *arg;
    ev_timer *timer;		/* timeout, or the deferred start error */
    char why[DNS_REASON_MAX];	/* a start error */
    dns_query *prev, *next;
};

struct resolver {
    evloop *loop;
    struct ub_ctx *ctx;
    int fd;
    uint64_t timeout_ms;
    dns_query *head;
};

/* unlink_query - take q off the resolver's list */
static void unlink_query(resolver *res, dns_query *q)
{
    if (q->prev)
	q->prev->next = q->next;
    else
	res->head = q->next;
    if (q->next)
	q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

/* free_query - release q (already unlinked, timer gone) */
static void free_query(dns_query *q)
{
    free(q->name);
    free(q);
}

/* ub_readable - libunbound has answers: let it call back */
static void ub_readable(evloop *loop, int fd, unsigned events, void *arg)
{
    resolver *res = arg;
    int rc;

    (void) loop;
    (void) fd;
    (void) events;
    if ((rc = ub_process(res->ctx)) != 0)
	log_msg(LOG_ERR, "resolver: ub_process: %s", ub_strerror(rc));
}

/* load_anchor - one trust anchor file into the context */
static int load_anchor(struct ub_ctx *ctx, const char *path, mt_err *err)
{
    FILE *fp;
    int rc;

    /* libunbound reads it only when the first query starts: check now */
    if ((fp = fopen(path, "r")) == NULL) {
	mt_err_set(err, 0, 0, NULL, "trust anchor file %s: %s", path, strerror(errno));
	return -1;
    }
    fclose(fp);
    if ((rc = ub_ctx_add_ta_file(ctx, path)) != 0) {
	mt_err_set(err, 0, 0, NULL, "trust anchor file %s: %s", path, ub_strerror(rc));
	return -1;
    }
    return 0;
}

/* resolver_new - a libunbound context on the loop, configured from cfg */
resolver *resolver_new(evloop *loop, const mtasts_config *cfg, mt_err *err)
{
    resolver *res;
    char *permissive = NULL;
    size_t i;
    int rc;

    if ((res = calloc(1, sizeof(*res))) == NULL) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    res->loop = loop;
    res->fd = -1;
    res->timeout_ms = cfg->dns_timeout_ms ? cfg->dns_timeout_ms : 10000;
    if ((res->ctx = ub_ctx_create()) == NULL) {
	mt_err_set(err, 0, 0, NULL, "cannot create a libunbound context");
	goto fail;
    }
    /*
     * A thread, not a fork: by default libunbound forks its worker at the
     * first query, and the child inherits every descriptor open then -
     * client connections included, so a client that waits for EOF after
     * its answer (Exim's ${readsocket}) never sees it.
     */
    if ((rc = ub_ctx_async(res->ctx, 1)) != 0) {
	mt_err_set(err, 0, 0, NULL, "libunbound threads: %s", ub_strerror(rc));
	goto fail;
    }
    if (cfg->unbound_config && (rc = ub_ctx_config(res->ctx, cfg->unbound_config)) != 0) {
	mt_err_set(err, 0, 0, NULL, "unbound_config %s: %s", cfg->unbound_config,
		   ub_strerror(rc));
	goto fail;
    }
    if (cfg->dnssec && cfg->root_anchor_file && *cfg->root_anchor_file
	&& load_anchor(res->ctx, cfg->root_anchor_file, err) < 0)
	goto fail;
    for (i = 0; i < cfg->trust_anchor_file.n; i++)
	if (load_anchor(res->ctx, cfg->trust_anchor_file.v[i], err) < 0)
	    goto fail;

    /* A bogus answer must stay bogus: never let a site file weaken that. */
    if (ub_ctx_get_option(res->ctx, "val-permissive-mode", &permissive) == 0
	&& permissive && strcmp(permissive, "yes") == 0) {
	mt_err_set(err, 0, 0, NULL, "unbound_config %s sets val-permissive-mode: yes, which "
		   "makes DNSSEC failures look like unsigned answers; remove it",
		   cfg->unbound_config ? cfg->unbound_config : "");
	free(permissive);
	goto fail;
    }
    free(permissive);
    if ((res->fd = ub_fd(res->ctx)) < 0
	|| evloop_watch(loop, res->fd, EV_READ, ub_readable, res) < 0) {
	mt_err_set(err, 0, 0, NULL, "cannot watch the libunbound descriptor");
	goto fail;
    }
    return res;
fail:
    if (res->ctx)
	ub_ctx_delete(res->ctx);
    free(res);
    return NULL;
}

/* resolver_free - cancel everything (no callbacks) and release */
void resolver_free(resolver *res)
{
    if (res == NULL)
	return;
    while (res->head)
	resolver_cancel(res, res->head);
    if (res->fd >= 0)
	evloop_unwatch(res->loop, res->fd);
    ub_ctx_delete(res->ctx);
    free(res);
}

/* deliver - hand an answer to the caller and forget the query */
static void deliver(dns_query *q, dns_answer *a)
{
    resolver_cb cb = q->cb;
    void *arg = q->arg;

    if (q->timer) {
	evloop_timer_cancel(q->res->loop, q->timer);
	q->timer = NULL;
    }
    unlink_query(q->res, q);
    a->qname = q->name;
    a->qtype = q->rrtype;
    cb(a, arg);
    free_query(q);
}

/* ub_answer - libunbound's callback: turn its result into a dns_answer */
static void ub_answer(void *mydata, int err, struct ub_result *result)
{
    dns_query *q = mydata;
    dns_answer a;

    memset(&a, 0, sizeof(a));
    a.rcode = -1;
    if (err != 0 || result == NULL) {
	a.outcome = DNS_ERROR;
	a.why = ub_strerror(err);
	deliver(q, &a);
	ub_resolve_free(result);
	return;
    }
    a.rcode = result->rcode;
    a.canonname = result->canonname;
    if (result->bogus) {
	a.outcome = DNS_BOGUS;
	a.sec = DNS_SEC_BOGUS;
	a.why = result->why_bogus ? result->why_bogus : "validation failed";
    } else {
	a.sec = result->secure ? DNS_SEC_SECURE : DNS_SEC_INSECURE;
	if (result->rcode == DNS_RCODE_NXDOMAIN || result->nxdomain)
	    a.outcome = DNS_NXDOMAIN;
	else if (result->rcode != 0)
	    a.outcome = DNS_SERVFAIL;
	else if (result->havedata && result->data != NULL && result->data[0] != NULL) {
	    size_t n = 0;

	    /* result->data can be NULL (e.g. no usable answer): guarded above */
	    while (result->data[n] != NULL)
		n++;
	    a.outcome = DNS_OK;
	    a.n = n;
	    a.rdata = (const unsigned char *const *) result->data;
	    a.len = result->len;
	} else
	    a.outcome = DNS_NODATA;
    }
    deliver(q, &a);
    ub_resolve_free(result);
}

/* query_timeout - the query took longer than dns_timeout */
static void query_timeout(evloop *loop, void *arg)
{
    dns_query *q = arg;
    dns_answer a;

    (void) loop;
    q->timer = NULL;
    if (q->started)
	(void) ub_cancel(q->res->ctx, q->async_id);
    memset(&a, 0, sizeof(a));
    a.rcode = -1;
    a.outcome = DNS_TIMEOUT;
    deliver(q, &a);
}

/* start_failed - deliver a start error, from the loop */
static void start_failed(evloop *loop, void *arg)
{
    dns_query *q = arg;
    dns_answer a;

    (void) loop;
    q->timer = NULL;
    memset(&a, 0, sizeof(a));
    a.rcode = -1;
    a.outcome = DNS_ERROR;
    a.why = q->why;
    deliver(q, &a);
}

/* resolver_query - start one lookup; cb runs later from the loop */
dns_query *resolver_query(resolver *res, const char *name, int rrtype, resolver_cb cb, void *arg)
{
    dns_query *q;
    int rc;

    if ((q = calloc(1, sizeof(*q))) == NULL)
	return NULL;
    if ((q->name = strdup(name)) == NULL) {
	free(q);
	return NULL;
    }
    q->res = res;
    q->rrtype = rrtype;
    q->cb = cb;
    q->arg = arg;
    q->next = res->head;
    if (res->head)
	res->head->prev = q;
    res->head = q;
    rc = ub_resolve_async(res->ctx, name, rrtype, 1 /* IN */ , q, ub_answer, &q->async_id);
    if (rc != 0) {
	snprintf(q->why, sizeof(q->why), "%s", ub_strerror(rc));
	q->timer = evloop_timer(res->loop, 0, start_failed, q);
    } else {
	q->started = 1;
	q->timer = evloop_timer(res->loop, res->timeout_ms, query_timeout, q);
    }
    if (q->timer == NULL) {
	if (q->started)
	    (void) ub_cancel(res->ctx, q->async_id);
	unlink_query(res, q);
	free_query(q);
	return NULL;
    }
    return q;
}

/* resolver_cancel - abandon a query; its callback is not called */
void resolver_cancel(resolver *res, dns_query *q)
{
    if (q == NULL)
	return;
    if (q->started)
	(void) ub_cancel(res->ctx, q->async_id);
    if (q->timer)
	evloop_timer_cancel(res->loop, q->timer);
    unlink_query(res, q);
    free_query(q);
}

/* dns_outcome_name - a stable word for an outcome (logs, JSON) */
const char *dns_outcome_name(dns_outcome o)
{
    switch (o) {
    case DNS_OK:
	return "ok";
    case DNS_NXDOMAIN:
	return "nxdomain";
    case DNS_NODATA:
	return "nodata";
    case DNS_SERVFAIL:
	return "servfail";
    case DNS_TIMEOUT:
	return "timeout";
    case DNS_BOGUS:
	return "bogus";
    case DNS_ERROR:
	return "error";
    }
    return "?";
}

/* dns_sec_name - a stable word for a DNSSEC state (logs, JSON) */
const char *dns_sec_name(dns_sec s)
{
    switch (s) {
    case DNS_SEC_INSECURE:
	return "insecure";
    case DNS_SEC_SECURE:
	return "secure";
    case DNS_SEC_BOGUS:
	return "bogus";
    }
    return "?";
}

/* dns_outcome_text - an answer's outcome in plain words */
const char *dns_outcome_text(const dns_answer *a, char *out, size_t outsz)
{
    switch (a->outcome) {
    case DNS_OK:
	snprintf(out, outsz, "%zu record%s", a->n, a->n == 1 ? "" : "s");
	break;
    case DNS_NXDOMAIN:
	snprintf(out, outsz, "the name does not exist (NXDOMAIN)");
	break;
    case DNS_NODATA:
	snprintf(out, outsz, "the name exists but has no record of this type (NODATA)");
	break;
    case DNS_SERVFAIL:
	snprintf(out, outsz, "the DNS server failed (%s)",
		 a->rcode == DNS_RCODE_SERVFAIL ? "SERVFAIL" : "error response");
	if (a->rcode > 0 && a->rcode != DNS_RCODE_SERVFAIL)
	    snprintf(out, outsz, "the DNS server refused or failed (rcode %d)", a->rcode);
	break;
    case DNS_TIMEOUT:
	snprintf(out, outsz, "no answer in time (timeout)");
	break;
    case DNS_BOGUS: {
	/* libunbound ends with " from SERVER and SERVER ...": varying, and not the point */
	const char *why = a->why ? a->why : "";
	const char *from = strstr(why, " from ");
	int n = from ? (int) (from - why) : (int) strlen(why);

	snprintf(out, outsz, "DNSSEC validation failed (bogus): %.*s", n, why);
	break;
    }
    case DNS_ERROR:
	snprintf(out, outsz, "local resolver error: %s", a->why ? a->why : "");
	break;
    }
    return out;
}
