/*
 * NAME
 *	discovery - from a domain name to a validated MTA-STS policy (RFC 8461 §3)
 * DESCRIPTION
 *	See discovery.h. A job per discovery_start() call runs up to three
 *	independent strands on the loop, and calls back when all are done:
 *
 *	policy	TXT _mta-sts.<domain> -> record rule (§3.1) -> A and AAAA of
 *		mta-sts.<domain> through our resolver -> address filter ->
 *		HTTPS fetch with CURLOPT_RESOLVE (§3.3) -> policy parse (§3.2).
 *		When connect_to or the proxy decides where the policy host is
 *		reached, the address lookup is skipped.
 *	mx	MX <domain> (RFC 5321 §5.1: the implicit MX when there is no MX
 *		record; RFC 7505 null MX), then TLSA _25._tcp.<mx> for each.
 *	tlsrpt	TXT _smtp._tls.<domain> -> record rule (RFC 8460 §3).
 *
 *	The job counts the queries and fetches it has in flight; when the
 *	count reaches zero it finishes: MX hosts are matched against the
 *	policy and the callback gets the result.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "sts_record.h"
#include "tlsrpt_record.h"
#include "txt_set.h"

#include "addr_filter.h"
#include "discovery.h"
#include "dns_rdata.h"
#include "log.h"

typedef struct disc_job disc_job;

/* one TLSA lookup: which MX it is for */
typedef struct tlsa_ctx {
    disc_job *job;
    size_t ix;
    dns_query *q;
} tlsa_ctx;

struct disc_job {
    discovery *d;
    disc_result *r;
    unsigned flags;
    char known_id[STS_ID_MAX + 1];
    disc_cb cb;
    void *arg;
    int pending;		/* queries and fetches in flight */

    dns_query *q_txt, *q_tlsrpt, *q_mx, *q_a, *q_aaaa;
    int addr_answers;		/* A and AAAA answers received */
    dns_outcome a_outcome, aaaa_outcome;
    dns_sec a_sec, aaaa_sec;
    char addr_why[DISC_REASON_MAX];	/* failures and refusals of the address lookups */
    fetch_req *fetch;
    tlsa_ctx tlsa[DISC_MAX_MX];
    ev_timer *defer;		/* finish from the loop (a job with nothing to ask) */
    disc_job *prev, *next;
};

struct discovery {
    evloop *loop;
    const mtasts_config *cfg;
    resolver *res;
    fetcher *fetch;
    addr_filter filter;
    disc_job *head;
};

/* discovery_new - a discovery engine on one loop */
discovery *discovery_new(evloop *loop, const mtasts_config *cfg, mt_err *err)
{
    discovery *d;

    if ((d = calloc(1, sizeof(*d))) == NULL) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    d->loop = loop;
    d->cfg = cfg;
    if (addr_filter_init(&d->filter, &cfg->fetch_allow_address, err) < 0
	|| (d->res = resolver_new(loop, cfg, err)) == NULL
	|| (d->fetch = fetcher_new(loop, cfg, err)) == NULL) {
	resolver_free(d->res);
	free(d);
	return NULL;
    }
    return d;
}

/* job_cancel_work - stop every query, fetch and timer of a job */
static void job_cancel_work(disc_job *job)
{
    discovery *d = job->d;
    size_t i;

    resolver_cancel(d->res, job->q_txt);
    resolver_cancel(d->res, job->q_tlsrpt);
    resolver_cancel(d->res, job->q_mx);
    resolver_cancel(d->res, job->q_a);
    resolver_cancel(d->res, job->q_aaaa);
    for (i = 0; i < DISC_MAX_MX; i++)
	resolver_cancel(d->res, job->tlsa[i].q);
    fetch_cancel(d->fetch, job->fetch);
    if (job->defer)
	evloop_timer_cancel(d->loop, job->defer);
}

/* job_free - unlink and release a job (its result is handed on or freed by the caller) */
static void job_free(disc_job *job)
{
    discovery *d = job->d;

    if (job->prev)
	job->prev->next = job->next;
    else
	d->head = job->next;
    if (job->next)
	job->next->prev = job->prev;
    free(job);
}

/* discovery_free - cancel every job (no callbacks) and release */
void discovery_free(discovery *d)
{
    if (d == NULL)
	return;
    while (d->head) {
	disc_job *job = d->head;

	job_cancel_work(job);
	discovery_result_free(job->r);
	job_free(job);
    }
    fetcher_free(d->fetch);
    resolver_free(d->res);
    free(d);
}

/* discovery_result_free - release a result and what it holds */
void discovery_result_free(disc_result *r)
{
    if (r == NULL)
	return;
    free(r->policy_text);
    if (r->status == DISC_POLICY)
	policy_free(&r->policy);
    tlsrpt_record_free(&r->tlsrpt);
    free(r);
}

/* set_reason - the result's plain-words reason */
static void __attribute__((format(printf, 2, 3)))
set_reason(disc_result *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

/* match_mx - RFC 8461 §4.1: which MX hosts the policy allows */
static void match_mx(disc_result *r)
{
    size_t i;

    if (r->status != DISC_POLICY)
	return;
    for (i = 0; i < r->n_mx; i++)
	r->mx[i].matches = policy_mx_matches(&r->policy, r->mx[i].host);
}

/* job_done - one strand step finished: when nothing is left, call back */
static void job_done(disc_job *job)
{
    disc_cb cb;
    disc_result *r;
    void *arg;

    if (--job->pending > 0)
	return;
    r = job->r;
    cb = job->cb;
    arg = job->arg;
    match_mx(r);
    if (r->status != DISC_POLICY && r->status != DISC_TXT_OK && r->status != DISC_UNCHANGED)
	log_msg(LOG_DEBUG, "discovery %s: %s: %s", r->domain, disc_status_name(r->status),
		r->reason);
    job_free(job);
    cb(r, arg);
}

/* deferred_done - a job that had nothing to ask finishes from the loop */
static void deferred_done(evloop *loop, void *arg)
{
    disc_job *job = arg;

    (void) loop;
    job->defer = NULL;
    job_done(job);
}

/* dns_failed_text - "name TYPE: what happened" for a failed answer */
static const char *dns_failed_text(const dns_answer *a, const char *type, char *out, size_t outsz)
{
    char what[DNS_REASON_MAX + 64];

    snprintf(out, outsz, "%s %s: %s", a->qname, type, dns_outcome_text(a, what, sizeof(what)));
    return out;
}

/* fill_txt_set - the TXT records of an answer, strings concatenated (RFC 8461 §3.1) */
static void fill_txt_set(const dns_answer *a, txt_set *set)
{
    size_t i;

    txt_set_init(set);
    for (i = 0; i < a->n; i++) {
	mt_err e;

	if (txt_set_add_rdata(set, a->rdata[i], (size_t) a->len[i], &e) < 0)
	    log_msg(LOG_WARNING, "%s TXT: record %zu skipped: %s", a->qname, i + 1, e.msg);
    }
}

/* rec_order - records by content, so that explanations do not depend on RRset order */
static int rec_order(const void *pa, const void *pb)
{
    const txt_rec *a = *(const txt_rec *const *) pa, *b = *(const txt_rec *const *) pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->txt, b->txt, n);

    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* keep_candidates - the v=STSv1 records as text, sorted, one per line, for explanations */
static void keep_candidates(disc_result *r, const txt_set *set)
{
    const txt_rec *cand[TXT_SET_MAX];
    size_t i, n = 0, o = 0;

    for (i = 0; i < set->n && n < TXT_SET_MAX; i++)
	if (sts_record_is_candidate(set->rec[i].txt, set->rec[i].len))
	    cand[n++] = &set->rec[i];
    qsort(cand, n, sizeof(cand[0]), rec_order);
    r->txt[0] = 0;
    for (i = 0; i < n; i++) {
	size_t j;

	if (o && o + 1 < sizeof(r->txt))
	    r->txt[o++] = '\n';
	/* records may hold any byte: keep printable ASCII only */
	for (j = 0; j < cand[i]->len && o + 1 < sizeof(r->txt); j++) {
	    unsigned char c = (unsigned char) cand[i]->txt[j];

	    r->txt[o++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
    }
    r->txt[o] = 0;
}

static void start_policy_host(disc_job *job);

/* on_txt - the _mta-sts TXT answer: apply the record rule (RFC 8461 §3.1) */
static void on_txt(const dns_answer *a, void *arg)
{
    disc_job *job = arg;
    disc_result *r = job->r;
    char why[DISC_REASON_MAX];
    sts_record rec;
    txt_set set;
    mt_err e;

    job->q_txt = NULL;
    r->txt_outcome = a->outcome;
    r->txt_sec = a->sec;
    r->txt_set = STS_SET_NONE;
    switch (a->outcome) {
    case DNS_NXDOMAIN:
    case DNS_NODATA:
	r->status = DISC_NO_POLICY;
	set_reason(r, "no MTA-STS record: %s", dns_failed_text(a, "TXT", why, sizeof(why)));
	job_done(job);
	return;
    case DNS_BOGUS:
	r->status = DISC_TEMPFAIL;
	set_reason(r, "the MTA-STS record cannot be trusted: %s",
		   dns_failed_text(a, "TXT", why, sizeof(why)));
	job_done(job);
	return;
    case DNS_SERVFAIL:
    case DNS_TIMEOUT:
    case DNS_ERROR:
	r->status = DISC_TEMPFAIL;
	set_reason(r, "cannot look up the MTA-STS record: %s",
		   dns_failed_text(a, "TXT", why, sizeof(why)));
	job_done(job);
	return;
    case DNS_OK:
	break;
    }
    fill_txt_set(a, &set);
    r->txt_count = set.n;
    keep_candidates(r, &set);
    memset(&rec, 0, sizeof(rec));
    mt_err_clear(&e);
    r->txt_set = sts_record_select(&set, &rec, &e);
    txt_set_free(&set);
    switch (r->txt_set) {
    case STS_SET_NONE:
	r->status = DISC_NO_POLICY;
	set_reason(r, "no MTA-STS record: none of the %zu TXT record%s at %s starts with "
		   "\"v=STSv1;\" (RFC 8461 §3.1)", r->txt_count, r->txt_count == 1 ? "" : "s",
		   a->qname);
	job_done(job);
	return;
    case STS_SET_MANY:
	r->status = DISC_NO_POLICY;
	set_reason(r, "several MTA-STS records at %s; exactly one is allowed, so none "
		   "counts (RFC 8461 §3.1)", a->qname);
	job_done(job);
	return;
    case STS_SET_INVALID:
	r->status = DISC_NO_POLICY;
	set_reason(r, "the MTA-STS record at %s is invalid: %s", a->qname,
		   mt_err_str(&e, why, sizeof(why)));
	job_done(job);
	return;
    case STS_SET_ONE:
	break;
    }
    snprintf(r->id, sizeof(r->id), "%s", rec.id);
    if (job->flags & DISC_TXT_ONLY) {
	r->status = DISC_TXT_OK;
	set_reason(r, "one valid MTA-STS record, id %s", r->id);
	job_done(job);
	return;
    }
    if ((job->flags & DISC_IF_CHANGED) && strcmp(job->known_id, r->id) == 0) {
	r->status = DISC_UNCHANGED;
	set_reason(r, "the MTA-STS record id %s is unchanged", r->id);
	job_done(job);
	return;
    }
    start_policy_host(job);
    job_done(job);			/* the TXT step; the policy host steps hold the job */
}

static void on_fetch(fetch_result *res, void *arg);

/* start_fetch - GET the policy with the addresses found (or the configured route) */
static void start_fetch(disc_job *job)
{
    disc_result *r = job->r;
    const char *addrs[DISC_MAX_ADDR];
    size_t i;

    for (i = 0; i < r->n_policy_addr; i++)
	addrs[i] = r->policy_addr[i];
    job->fetch = fetch_start(job->d->fetch, r->policy_host, addrs, r->n_policy_addr,
			     on_fetch, job);
    if (job->fetch == NULL) {
	r->status = DISC_TEMPFAIL;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	set_reason(r, "out of memory starting the fetch of %s", r->policy_host);
	return;
    }
    job->pending++;
}

static void on_addr(const dns_answer *a, void *arg);

/* start_policy_host - resolve mta-sts.<domain>, or fetch at once when routed */
static void start_policy_host(disc_job *job)
{
    discovery *d = job->d;
    disc_result *r = job->r;

    r->status = DISC_TEMPFAIL;	/* until the fetch says otherwise */
    if (snprintf(r->policy_host, sizeof(r->policy_host), "mta-sts.%s", r->domain)
	>= (int) sizeof(r->policy_host) || strlen(r->policy_host) > DOMAIN_MAX) {
	r->policy_host[0] = 0;
	r->status = DISC_NO_POLICY;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	set_reason(r, "the policy host name mta-sts.%s is longer than a domain name may be",
		   r->domain);
	return;
    }
    if (fetcher_routes(d->fetch, r->policy_host)) {
	r->policy_host_routed = 1;
	start_fetch(job);
	return;
    }
    job->q_a = resolver_query(d->res, r->policy_host, DNS_TYPE_A, on_addr, job);
    job->q_aaaa = resolver_query(d->res, r->policy_host, DNS_TYPE_AAAA, on_addr, job);
    if (job->q_a == NULL || job->q_aaaa == NULL) {
	resolver_cancel(d->res, job->q_a);
	resolver_cancel(d->res, job->q_aaaa);
	job->q_a = job->q_aaaa = NULL;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	set_reason(r, "out of memory looking up %s", r->policy_host);
	return;
    }
    job->pending += 2;
}

/* append_why - add one clause to the address lookup's explanation */
static void append_why(disc_job *job, const char *text)
{
    size_t n = strlen(job->addr_why);

    snprintf(job->addr_why + n, sizeof(job->addr_why) - n, "%s%s", n ? "; " : "", text);
}

/* on_addr - an A or AAAA answer for the policy host */
static void on_addr(const dns_answer *a, void *arg)
{
    disc_job *job = arg;
    disc_result *r = job->r;
    const addr_filter *filter = &job->d->filter;
    int any_bogus, any_fail;
    size_t i;

    if (a->qtype == DNS_TYPE_A) {
	job->q_a = NULL;
	job->a_outcome = a->outcome;
	job->a_sec = a->sec;
    } else {
	job->q_aaaa = NULL;
	job->aaaa_outcome = a->outcome;
	job->aaaa_sec = a->sec;
    }
    if (a->outcome == DNS_OK) {
	for (i = 0; i < a->n; i++) {
	    char text[INET6_ADDRSTRLEN], why[256];

	    if (dns_rdata_addr(a->qtype, a->rdata[i], (size_t) a->len[i], text, sizeof(text)) < 0)
		continue;
	    if (!addr_filter_check(filter, a->qtype == DNS_TYPE_A ? AF_INET : AF_INET6,
				   a->rdata[i], why, sizeof(why))) {
		if (r->n_refused_addr++ < 4)
		    append_why(job, why);
		continue;
	    }
	    if (r->n_policy_addr < DISC_MAX_ADDR)
		snprintf(r->policy_addr[r->n_policy_addr++], INET6_ADDRSTRLEN, "%s", text);
	}
    } else if (a->outcome != DNS_NXDOMAIN && a->outcome != DNS_NODATA) {
	char why[DISC_REASON_MAX];

	append_why(job, dns_failed_text(a, a->qtype == DNS_TYPE_A ? "A" : "AAAA", why,
					sizeof(why)));
    }
    if (++job->addr_answers < 2) {
	job_done(job);
	return;
    }

    /* both answers are in */
    any_bogus = job->a_outcome == DNS_BOGUS || job->aaaa_outcome == DNS_BOGUS;
    any_fail = any_bogus
	|| job->a_outcome == DNS_SERVFAIL || job->aaaa_outcome == DNS_SERVFAIL
	|| job->a_outcome == DNS_TIMEOUT || job->aaaa_outcome == DNS_TIMEOUT
	|| job->a_outcome == DNS_ERROR || job->aaaa_outcome == DNS_ERROR;
    r->policy_host_sec = any_bogus ? DNS_SEC_BOGUS
	: (job->a_sec == DNS_SEC_SECURE && job->aaaa_sec == DNS_SEC_SECURE)
	? DNS_SEC_SECURE : DNS_SEC_INSECURE;
    if (any_bogus) {
	/* a forged address answer: as for a forged TXT, retry later, never "no policy" */
	r->policy_host_outcome = DNS_BOGUS;
	r->status = DISC_TEMPFAIL;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	r->fetch_problem = FETCH_NO_ADDRESS;
	set_reason(r, "the address of the policy host cannot be trusted: %s", job->addr_why);
    } else if (r->n_policy_addr > 0) {
	r->policy_host_outcome = DNS_OK;
	start_fetch(job);
    } else if (r->n_refused_addr > 0) {
	r->policy_host_outcome = DNS_OK;
	r->status = DISC_NO_POLICY;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	r->fetch_problem = FETCH_REFUSED_ADDRESS;
	set_reason(r, "the policy host %s has only addresses we do not fetch from: %s%s; "
		   "nothing was connected (fetch_allow_address or connect_to can allow it)",
		   r->policy_host, job->addr_why, r->n_refused_addr > 4 ? "; ..." : "");
    } else if (any_fail) {
	r->policy_host_outcome = job->a_outcome != DNS_NXDOMAIN && job->a_outcome != DNS_NODATA
	    && job->a_outcome != DNS_OK ? job->a_outcome : job->aaaa_outcome;
	r->status = DISC_TEMPFAIL;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	r->fetch_problem = FETCH_NO_ADDRESS;
	set_reason(r, "cannot look up the policy host: %s", job->addr_why);
    } else {
	r->policy_host_outcome = job->a_outcome == DNS_NXDOMAIN ? DNS_NXDOMAIN : DNS_NODATA;
	r->status = DISC_NO_POLICY;
	r->failure = FETCH_FAIL_FETCH_ERROR;
	r->fetch_problem = FETCH_NO_ADDRESS;
	set_reason(r, "the policy host %s has no address (%s)", r->policy_host,
		   r->policy_host_outcome == DNS_NXDOMAIN ? "NXDOMAIN" : "no A or AAAA record");
    }
    job_done(job);
}

/* on_policy_warning - keep what the policy parser ignored or adjusted */
static void on_policy_warning(void *ctx, const mt_err *w)
{
    disc_result *r = ctx;
    char text[DISC_WARN_MAX + 64];

    if (r->n_policy_warn < DISC_MAX_WARN)
	snprintf(r->policy_warn[r->n_policy_warn], DISC_WARN_MAX, "%s",
		 mt_err_str(w, text, sizeof(text)));
    r->n_policy_warn++;
}

/* on_fetch - the HTTPS answer: classify, then parse the policy (RFC 8461 §3.2) */
static void on_fetch(fetch_result *res, void *arg)
{
    disc_job *job = arg;
    disc_result *r = job->r;
    char why[DISC_REASON_MAX];
    mt_err e;

    job->fetch = NULL;
    r->fetched = res->http_status != 0 || res->ip[0] != 0;
    r->http_status = res->http_status;
    snprintf(r->content_type, sizeof(r->content_type), "%s", res->content_type);
    snprintf(r->fetch_ip, sizeof(r->fetch_ip), "%s", res->ip);
    r->fetch_problem = res->problem;
    if (res->failure != FETCH_FAIL_NONE) {
	r->failure = res->failure;
	r->status = res->temporary ? DISC_TEMPFAIL : DISC_NO_POLICY;
	set_reason(r, "fetching https://%s%s: %s", r->policy_host, FETCH_PATH, res->reason);
	job_done(job);
	return;
    }
    r->policy_len = res->body.len;
    mt_err_clear(&e);
    memset(&r->policy, 0, sizeof(r->policy));
    if (policy_parse_warn(buf_str(&res->body), res->body.len, &r->policy, &e,
			  on_policy_warning, r) < 0) {
	policy_free(&r->policy);
	memset(&r->policy, 0, sizeof(r->policy));
	r->status = DISC_NO_POLICY;
	r->failure = FETCH_FAIL_POLICY_INVALID;
	r->fetch_problem = FETCH_BAD_POLICY;
	set_reason(r, "the policy at https://%s%s is invalid: %s", r->policy_host, FETCH_PATH,
		   mt_err_str(&e, why, sizeof(why)));
	job_done(job);
	return;
    }
    if (res->body.data == NULL && buf_append(&res->body, "", 0) < 0) {
	policy_free(&r->policy);
	r->status = DISC_TEMPFAIL;
	set_reason(r, "out of memory");
	job_done(job);
	return;
    }
    r->policy_text = buf_steal(&res->body);
    r->status = DISC_POLICY;
    r->failure = FETCH_FAIL_NONE;
    set_reason(r, "valid policy: mode %s, max_age %u", policy_mode_name(r->policy.mode),
	       (unsigned) r->policy.max_age);
    job_done(job);
}

/* on_tlsa - the TLSA answer of one MX: usable for DANE? (RFC 7672 §2.2) */
static void on_tlsa(const dns_answer *a, void *arg)
{
    tlsa_ctx *t = arg;
    disc_job *job = t->job;
    disc_mx *mx = &job->r->mx[t->ix];
    size_t i;

    t->q = NULL;
    mx->tlsa_outcome = a->outcome;
    mx->tlsa_sec = a->sec;
    mx->tlsa_usable = 0;
    /* DANE needs the MX answer and the TLSA answer both validated */
    if (a->outcome == DNS_OK && a->sec == DNS_SEC_SECURE && job->r->mx_sec == DNS_SEC_SECURE)
	for (i = 0; i < a->n; i++) {
	    dns_tlsa tl;

	    if (dns_rdata_tlsa(a->rdata[i], (size_t) a->len[i], &tl, NULL) == 0
		&& dns_tlsa_usable(&tl))
		mx->tlsa_usable = 1;
	}
    job_done(job);
}

/* mx_order - preference, then name, so that output is stable */
static int mx_order(const void *pa, const void *pb)
{
    const disc_mx *a = pa, *b = pb;

    if (a->preference != b->preference)
	return a->preference < b->preference ? -1 : 1;
    return strcmp(a->host, b->host);
}

/* on_mx - the MX answer: the hosts in preference order, then their TLSA */
static void on_mx(const dns_answer *a, void *arg)
{
    disc_job *job = arg;
    disc_result *r = job->r;
    size_t i, nnull = 0;

    job->q_mx = NULL;
    r->mx_outcome = a->outcome;
    r->mx_sec = a->sec;
    if (a->outcome == DNS_OK) {
	for (i = 0; i < a->n && r->n_mx < DISC_MAX_MX; i++) {
	    disc_mx *mx = &r->mx[r->n_mx];
	    mt_err e;

	    memset(mx, 0, sizeof(*mx));
	    if (dns_rdata_mx(a->rdata[i], (size_t) a->len[i], &mx->preference, mx->host,
			     sizeof(mx->host), &e) < 0 || (mx->host[0] && !domain_is_valid_ldh(mx->host))) {
		r->n_mx_skipped++;
		continue;
	    }
	    if (mx->host[0] == 0) {
		nnull++;		/* RFC 7505 null MX: "0 ." */
		continue;
	    }
	    r->n_mx++;
	}
	if (nnull > 0 && r->n_mx == 0)
	    r->null_mx = 1;
	qsort(r->mx, r->n_mx, sizeof(r->mx[0]), mx_order);
    } else if (a->outcome == DNS_NODATA) {
	/* RFC 5321 §5.1: no MX records, the domain itself is the MX */
	disc_mx *mx = &r->mx[0];

	memset(mx, 0, sizeof(*mx));
	snprintf(mx->host, sizeof(mx->host), "%s", r->domain);
	mx->implicit = 1;
	r->n_mx = 1;
    }
    for (i = 0; i < r->n_mx; i++) {
	char name[DOMAIN_BUF + 16];
	tlsa_ctx *t = &job->tlsa[i];

	r->mx[i].tlsa_outcome = DNS_ERROR;
	if (snprintf(name, sizeof(name), "_25._tcp.%s", r->mx[i].host) >= (int) sizeof(name)
	    || strlen(name) > DOMAIN_MAX)
	    continue;
	t->job = job;
	t->ix = i;
	if ((t->q = resolver_query(job->d->res, name, DNS_TYPE_TLSA, on_tlsa, t)) != NULL)
	    job->pending++;
    }
    job_done(job);
}

/* on_tlsrpt - the _smtp._tls TXT answer: apply the record rule (RFC 8460 §3) */
static void on_tlsrpt(const dns_answer *a, void *arg)
{
    disc_job *job = arg;
    disc_result *r = job->r;
    char why[200];			/* fits tlsrpt_reason with its prefix */
    txt_set set;
    mt_err e;

    job->q_tlsrpt = NULL;
    r->tlsrpt_outcome = a->outcome;
    r->tlsrpt_sec = a->sec;
    r->tlsrpt_set = TLSRPT_SET_NONE;
    if (a->outcome != DNS_OK) {
	snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason), "no TLS-RPT record: %s",
		 dns_failed_text(a, "TXT", why, sizeof(why)));
	job_done(job);
	return;
    }
    fill_txt_set(a, &set);
    mt_err_clear(&e);
    r->tlsrpt_set = tlsrpt_record_select(&set, &r->tlsrpt, &e);
    txt_set_free(&set);
    switch (r->tlsrpt_set) {
    case TLSRPT_SET_ONE:
	snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason), "one valid TLS-RPT record");
	break;
    case TLSRPT_SET_NONE:
	snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason),
		 "no TLS-RPT record: no TXT record at %s starts with \"v=TLSRPTv1\"", a->qname);
	break;
    case TLSRPT_SET_MANY:
	snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason),
		 "several TLS-RPT records at %s; exactly one is allowed (RFC 8460 §3)", a->qname);
	break;
    case TLSRPT_SET_INVALID:
	snprintf(r->tlsrpt_reason, sizeof(r->tlsrpt_reason),
		 "the TLS-RPT record at %s is invalid: %s", a->qname,
		 mt_err_str(&e, why, sizeof(why)));
	break;
    }
    job_done(job);
}

/* ask - start one query of a job, counting it */
static int ask(disc_job *job, dns_query **slot, const char *prefix, int type, resolver_cb cb)
{
    char name[DOMAIN_BUF + 16];

    snprintf(name, sizeof(name), "%s%s", prefix, job->r->domain);
    if ((*slot = resolver_query(job->d->res, name, type, cb, job)) == NULL)
	return -1;
    job->pending++;
    return 0;
}

/* discovery_start - begin work for one domain; cb runs later from the loop */
int discovery_start(discovery *d, const char *domain, unsigned flags,
		    const char *known_id, disc_cb cb, void *arg)
{
    disc_job *job;
    disc_result *r;

    if ((job = calloc(1, sizeof(*job))) == NULL)
	return -1;
    if ((r = calloc(1, sizeof(*r))) == NULL) {
	free(job);
	return -1;
    }
    job->d = d;
    job->r = r;
    job->flags = flags;
    job->cb = cb;
    job->arg = arg;
    if (known_id)
	snprintf(job->known_id, sizeof(job->known_id), "%s", known_id);
    job->next = d->head;
    if (d->head)
	d->head->prev = job;
    d->head = job;

    snprintf(r->domain, sizeof(r->domain), "%s", domain);
    r->status = DISC_TEMPFAIL;
    r->txt_outcome = r->mx_outcome = r->tlsrpt_outcome = DNS_ERROR;
    r->txt_set = STS_SET_NONE;
    r->tlsrpt_set = TLSRPT_SET_NONE;

    /*
     * One count for ourselves while the queries start, released through
     * the loop, so that the callback can never run inside this call.
     */
    job->pending = 1;
    if ((job->defer = evloop_timer(d->loop, 0, deferred_done, job)) == NULL)
	goto oom;
    if (strlen(domain) >= DOMAIN_BUF || !domain_is_valid_ldh(domain)
	|| strlen(domain) + sizeof("_mta-sts.") - 1 > DOMAIN_MAX) {
	r->status = DISC_NO_POLICY;
	set_reason(r, "'%.253s' is not a domain name MTA-STS can apply to", domain);
	return 0;
    }
    if (ask(job, &job->q_txt, "_mta-sts.", DNS_TYPE_TXT, on_txt) < 0)
	goto oom;
    if ((flags & DISC_WITH_TLSRPT)
	&& ask(job, &job->q_tlsrpt, "_smtp._tls.", DNS_TYPE_TXT, on_tlsrpt) < 0)
	goto oom;
    if ((flags & DISC_WITH_MX) && ask(job, &job->q_mx, "", DNS_TYPE_MX, on_mx) < 0)
	goto oom;
    return 0;
oom:
    job_cancel_work(job);
    job_free(job);
    free(r);
    return -1;
}

/* disc_status_name - a stable word for a status (logs, JSON) */
const char *disc_status_name(disc_status s)
{
    switch (s) {
    case DISC_POLICY:
	return "policy";
    case DISC_UNCHANGED:
	return "unchanged";
    case DISC_TXT_OK:
	return "txt-ok";
    case DISC_NO_POLICY:
	return "no-policy";
    case DISC_TEMPFAIL:
	return "tempfail";
    }
    return "?";
}
