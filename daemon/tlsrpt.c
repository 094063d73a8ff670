/*
 * NAME
 *	tlsrpt - TLS-RPT in mtastsd: the report verbs, the daily run, the daemon's own failures
 * DESCRIPTION
 *	See tlsrpt.h. A run (the daily one, or `mtasts report send`) walks
 *	the domains with counts on one day: for each it resolves the
 *	_smtp._tls record through discovery (at most RUN_PARALLEL at once),
 *	builds the report when there is exactly one valid record, then
 *	starts the deliveries of everything due in the outbox.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "proto.h"
#include "sts_record.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "server.h"
#include "store.h"
#include "tlsrpt.h"
#include "tlsrpt_build.h"
#include "tlsrpt_counters.h"
#include "tlsrpt_send.h"
#include "tlsrpt_verb.h"
#include "verbs.h"

#define RUN_PARALLEL 16		/* _smtp._tls lookups at once */
#define RETRY_CHECK_MS 60000	/* look for due retries this often */
#define RUN_DOMAINS_MAX 1000000	/* our limit on domains in one run */
#define APPLIED_MEMO 256	/* policies kept as report text (a power of two) */
#define RECORD_RETRY 300	/* seconds before a failed _smtp._tls lookup or build is tried again */
#define CATCHUP_DAYS_MAX 3650	/* days looked at by a catch-up run (counters_retention_days' max) */
#define LATER_MAX 4000000	/* our limit on (day, domain) pairs remembered as decided */

/* The applied policy of a domain as report text, built once per fetched
 * policy rather than once per report line (bench/TLSRPT.md) */
typedef struct applied_memo {
    char domain[DOMAIN_BUF];
    char id[STS_ID_MAX + 1];
    int64_t fetched;
    policy_mode mode;
    buf text, mx;
} applied_memo;

/* One (day, domain) of a run */
typedef struct run_item {
    uint32_t day;
    char *domain;
} run_item;

/* A (day, domain) with counts and no report in the outbox: decided (no
 * record, or given up), or to be tried again at next */
typedef struct later {
    uint32_t day;
    int final;
    char *domain;
    int64_t first, next;
} later;

typedef struct run {
    tlsrpt *t;
    uint32_t day;		/* tlsrpt-send's day; 0: the catch-up run over every day */
    uint32_t listing;		/* the day collect() is listing */
    int dry;
    run_item *items;		/* sorted by domain, then day */
    size_t n, next, open;
    unsigned built, norecord, errors, tempfail;
    srv_pending *answer;	/* the tlsrpt-send client, or NULL (daily run) */
    buf lines;			/* dry-run lines */
    size_t n_lines;
    ev_timer *kick;
} run;

/* One _smtp._tls lookup: the run's items first..first+count-1 (one domain) */
typedef struct lookup_ctx {
    run *r;
    size_t first, count;
} lookup_ctx;

struct tlsrpt {
    evloop *loop;
    const mtasts_config *cfg;
    store *st;
    policy_cache *pc;
    discovery *disc;
    tlsrpt_counters *counters;
    tlsrpt_sender *sender;
    ev_timer *daily, *retry, *start, *again_timer;
    run *current;
    int again;			/* a daily run waits for the run under way */
    int closing;
    later *later;		/* sorted up to n_later_sorted, then this run's */
    size_t n_later, n_later_sorted;
    uint32_t later_first_day;	/* entries of earlier days are dropped (retention) */
    tlsrpt_hooks hooks;
    applied_memo memo[APPLIED_MEMO];
};

static void arm_daily(tlsrpt *t);
static int64_t tnow(const tlsrpt *t);

/* now_unix - the wall clock */
static int64_t now_unix(void)
{
    return (int64_t) time(NULL);
}

/* memo_slot - where a domain's applied policy text is kept */
static applied_memo *memo_slot(tlsrpt *t, const char *domain)
{
    uint32_t h = 2166136261u;
    const unsigned char *p;

    for (p = (const unsigned char *) domain; *p; p++)
	h = (h ^ *p) * 16777619u;
    return &t->memo[h & (APPLIED_MEMO - 1)];
}

/* applied_policy - the cached policy of a domain, as report text */
static const tlsrpt_applied *applied_policy(tlsrpt *t, const char *domain, tlsrpt_applied *ap)
{
    const pc_entry *e = t->pc ? pc_find(t->pc, domain) : NULL;
    applied_memo *m;
    size_t i;

    if (e == NULL || !e->rec.has_policy || e->rec.expires <= now_unix())
	return NULL;
    m = memo_slot(t, domain);
    if (m->fetched != e->rec.fetched || m->mode != e->rec.mode || strcmp(m->id, e->rec.id) != 0
	|| strcmp(m->domain, domain) != 0) {
	buf_reset(&m->text);
	buf_reset(&m->mx);
	/* the policy's lines as RFC 8460 §4.4 shows them in policy-string */
	buf_printf(&m->text, "version: STSv1\nmode: %s\n", policy_mode_name(e->rec.mode));
	for (i = 0; i < e->rec.n_mx; i++) {
	    buf_printf(&m->text, "mx: %s\n", e->rec.mx[i]);
	    buf_printf(&m->mx, "%s%s", i ? "\n" : "", e->rec.mx[i]);
	}
	buf_printf(&m->text, "max_age: %u", (unsigned) e->rec.max_age);
	snprintf(m->domain, sizeof(m->domain), "%s", domain);
	snprintf(m->id, sizeof(m->id), "%s", e->rec.id);
	m->fetched = e->rec.fetched;
	m->mode = e->rec.mode;
    }
    ap->mode = m->mode;
    ap->text = buf_str(&m->text);
    ap->mx = buf_str(&m->mx);
    return ap;
}

/* unlisted - an MX host the cached enforce policy e excludes (nor admitted by DANE) */
static int unlisted(const tlsrpt *t, const pc_entry *e, const char *host)
{
    size_t i;

    for (i = 0; i < e->rec.n_mx; i++)
	if (policy_mx_pattern_matches(e->rec.mx[i], host))
	    return 0;
    if (t->cfg->dane_admits_unlisted_mx)
	for (i = 0; i < e->n_mx_info; i++)
	    if (strcmp(e->mx_info[i].host, host) == 0 && e->mx_info[i].tlsa_usable)
		return 0;	/* the router admits it; DANE governs it */
    return 1;
}

/* count_skipped - "report DOMAIN skipped=MX,...": one failure per MX the policy excludes
 *
 * Exim's router sends the MX list once per routing of the domain, i.e.
 * once per delivery attempt; here each host that the cached enforce
 * policy excludes counts one validation-failure (mtasts-tlsrpt(7)).
 * The daemon cannot count this when it answers "allowed": it does not
 * know the MX set there, and that answer is cached by Exim.
 */
static long count_skipped(tlsrpt *t, tlsrpt_verb_args *a, int64_t now)
{
    const pc_entry *e = t->pc ? pc_find(t->pc, a->domain) : NULL;
    tlsrpt_applied ap;
    const tlsrpt_applied *pol;
    char *list, *tok, *save = NULL;
    long n = 0, seen = 0;

    if (e == NULL || !e->rec.has_policy || e->rec.expires <= now
	|| e->rec.mode != POLICY_MODE_ENFORCE)
	return 0;
    if ((pol = applied_policy(t, a->domain, &ap)) == NULL || (list = strdup(a->skipped)) == NULL)
	return -1;
    for (tok = strtok_r(list, " ,:;", &save); tok && seen < TLSRPT_SKIPPED_MAX;
	 tok = strtok_r(NULL, " ,:;", &save), seen++) {
	if (domain_normalise(tok, strlen(tok), a->mx, sizeof(a->mx), NULL) < 0
	    || !unlisted(t, e, a->mx))
	    continue;
	if (tlsrpt_count_verb(t->counters, a, pol, now) < 0) {
	    free(list);
	    return -1;
	}
	n++;
    }
    free(list);
    return n;
}

/*
 * tlsrpt_on_fetch_failure - the policy cache's hook: count the daemon's own
 * failures. A local problem (FETCH_LOCAL: our CA file, memory, libcurl) is
 * not the domain's and is not counted. The report carries a fixed reason
 * code (fetch_problem_name()), never r->reason: that text is for our logs
 * and may name our configuration or addresses.
 */
void tlsrpt_on_fetch_failure(void *arg, const char *domain, const disc_result *r)
{
    tlsrpt *t = arg;
    tlsrpt_verb_args a;
    tlsrpt_applied ap;
    const tlsrpt_applied *pol;

    memset(&a, 0, sizeof(a));
    if (r->fetch_problem == FETCH_LOCAL)
	return;
    switch (r->failure) {
    case FETCH_FAIL_FETCH_ERROR:
	a.result = TLSRPT_STS_POLICY_FETCH_ERROR;
	break;
    case FETCH_FAIL_POLICY_INVALID:
	a.result = TLSRPT_STS_POLICY_INVALID;
	break;
    case FETCH_FAIL_WEBPKI_INVALID:
	a.result = TLSRPT_STS_WEBPKI_INVALID;
	break;
    default:
	return;			/* a DNS failure is no fetch: nothing to report */
    }
    snprintf(a.domain, sizeof(a.domain), "%s", domain);
    a.policy_auto = 0;
    a.policy = TLSRPT_POLICY_STS;
    a.reason = r->fetch_problem != FETCH_OK ? fetch_problem_name(r->fetch_problem)
	: "policy-syntax";		/* the body did not parse */
    a.count = 1;
    pol = applied_policy(t, domain, &ap);
    if (tlsrpt_count_verb(t->counters, &a, pol, tnow(t)) < 0)
	log_msg(LOG_ERR, "tlsrpt: %s: cannot count a %s", domain, tlsrpt_result_name(a.result));
}

/* ----------------------------------------------------------------- runs */

static void run_next(run *r);
static void again_fire(evloop *loop, void *arg);

/* tnow - the run's clock: the wall clock, or the test's */
static int64_t tnow(const tlsrpt *t)
{
    return t->hooks.now ? t->hooks.now(t->hooks.arg) : now_unix();
}

/* later_cmp - order of the later list: domain, then day */
static int later_cmp(const void *a, const void *b)
{
    const later *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);

    return c ? c : x->day < y->day ? -1 : x->day > y->day;
}

/* later_find - what is remembered of (day, domain), or NULL */
static later *later_find(tlsrpt *t, uint32_t day, const char *domain)
{
    later key;
    size_t i;

    key.day = day;
    key.domain = (char *) domain;
    if (t->n_later_sorted) {
	later *l = bsearch(&key, t->later, t->n_later_sorted, sizeof(*t->later), later_cmp);

	if (l)
	    return l;
    }
    for (i = t->n_later_sorted; i < t->n_later; i++)	/* this run's, unsorted */
	if (later_cmp(&key, &t->later[i]) == 0)
	    return &t->later[i];
    return NULL;
}

/* later_set - remember that (day, domain) is decided, or is to be tried again */
static later *later_set(tlsrpt *t, uint32_t day, const char *domain, int final, int64_t now)
{
    later *l = later_find(t, day, domain), *nl;

    if (l == NULL) {
	if (t->n_later >= LATER_MAX
	    || (nl = realloc(t->later, (t->n_later + 1) * sizeof(*nl))) == NULL)
	    return NULL;
	t->later = nl;
	l = &nl[t->n_later];
	memset(l, 0, sizeof(*l));
	if ((l->domain = strdup(domain)) == NULL)
	    return NULL;
	l->day = day;
	l->first = now;
	t->n_later++;
    }
    l->final = final;
    l->next = now + RECORD_RETRY;
    return l;
}

/* later_sort - sort the list (between runs) and drop days before first_day */
static void later_sort(tlsrpt *t, uint32_t first_day)
{
    size_t i, n = 0;

    for (i = 0; i < t->n_later; i++) {
	if (t->later[i].day < first_day) {
	    free(t->later[i].domain);
	    continue;
	}
	t->later[n++] = t->later[i];
    }
    t->n_later = n;
    if (n)
	qsort(t->later, n, sizeof(*t->later), later_cmp);
    t->n_later_sorted = n;
}

/* later_due - is a retry of some (day, domain) due at now? */
static int later_due(const tlsrpt *t, int64_t now)
{
    size_t i;

    for (i = 0; i < t->n_later; i++)
	if (!t->later[i].final && t->later[i].next <= now)
	    return 1;
    return 0;
}

/* run_free - release a run; start the one asked for meanwhile */
static void run_free(run *r)
{
    tlsrpt *t = r->t;
    size_t i;

    for (i = 0; i < r->n; i++)
	free(r->items[i].domain);
    free(r->items);
    buf_free(&r->lines);
    if (r->kick)
	evloop_timer_cancel(t->loop, r->kick);
    if (t->current == r)
	t->current = NULL;
    free(r);
    later_sort(t, t->later_first_day);
    if (t->again && t->again_timer == NULL && !t->closing)
	t->again_timer = evloop_timer(t->loop, 0, again_fire, t);
}

/* answer_cancel - the tlsrpt-send client went away; the run goes on */
static void answer_cancel(void *arg)
{
    run *r = arg;

    r->answer = NULL;
}

/* sent - every delivery of the run has ended */
static void sent(void *arg, unsigned n_sent, unsigned n_failed)
{
    run *r = arg;
    buf out = {0};

    if (r->day == 0 && r->n == 0)
	;				/* a catch-up that found nothing to do */
    else if (r->day)
	log_msg(LOG_INFO, "tlsrpt: reports of day %u: %zu domains, %u built, %u without a "
		"record, %u to try again, %u deliveries sent, %u failed", r->day, r->n, r->built,
		r->norecord, r->tempfail, n_sent, n_failed);
    else
	log_msg(LOG_INFO, "tlsrpt: reports of %zu domain days: %u built, %u without a record, "
		"%u to try again, %u deliveries sent, %u failed", r->n, r->built, r->norecord,
		r->tempfail, n_sent, n_failed);
    if (r->answer) {
	proto_put_status(&out, "ok");
	proto_put_kvf(&out, "domains", "%zu", r->n);
	proto_put_kvf(&out, "built", "%u", r->built);
	proto_put_kvf(&out, "norecord", "%u", r->norecord);
	proto_put_kvf(&out, "errors", "%u", r->errors + r->tempfail);
	proto_put_kvf(&out, "sent", "%u", n_sent);
	proto_put_kvf(&out, "failed", "%u", n_failed);
	proto_put_kvf(&out, "signed", "%s", r->t->cfg->dkim_key_file ? "yes" : "no");
	buf_putc(&out, '\n');
	server_complete(r->answer, out.data, out.len);
	buf_free(&out);
    }
    run_free(r);
}

/* run_finish - every domain looked at: send, or answer the dry run */
static void run_finish(run *r)
{
    if (r->dry) {
	if (r->answer) {
	    buf out = {0};

	    proto_put_status(&out, "ok");
	    proto_put_kvf(&out, "count", "%zu", r->n_lines);
	    proto_put_kvf(&out, "signed", "%s", r->t->cfg->dkim_key_file ? "yes" : "no");
	    buf_putc(&out, '\n');
	    buf_append(&out, r->lines.data, r->lines.len);
	    server_complete(r->answer, out.data, out.len);
	    buf_free(&out);
	}
	run_free(r);
	return;
    }
    /* a run asked for by tlsrpt-send retries its day's pending deliveries now */
    tlsrpt_sender_run(r->t->sender, tnow(r->t), r->answer ? r->day : 0, sent, r);
}

/*
 * record_temporary - the _smtp._tls lookup failed for now (SERVFAIL,
 * timeout, DNSSEC bogus, a local resolver error): not an answer that
 * the domain has no record. NXDOMAIN, NODATA and a TXT RRset with no,
 * several or an invalid record are answers (RFC 8460 §3).
 */
static int record_temporary(const disc_result *res)
{
    return res->tlsrpt_outcome != DNS_OK && res->tlsrpt_outcome != DNS_NXDOMAIN
	&& res->tlsrpt_outcome != DNS_NODATA;
}

/* try_later - (day, domain) stays unbuilt and is tried again, within report_retry */
static void try_later(run *r, uint32_t day, const char *domain, const char *why)
{
    tlsrpt *t = r->t;
    int64_t now = tnow(t);
    later *l = later_set(t, day, domain, 0, now);

    r->tempfail++;
    if (l == NULL) {
	log_msg(LOG_ERR, "tlsrpt: %s: no report for day %u: %s (and no memory to try again)",
		domain, day, why);
	return;
    }
    log_msg(LOG_WARNING, "tlsrpt: %s: report of day %u not built: %s; trying again in %ds "
	    "(until %llds after the first try)", domain, day, why, RECORD_RETRY,
	    (long long) (t->cfg->report_retry_ms / 1000));
}

/* on_item - the lookup's answer applied to one (day, domain) */
static void on_item(run *r, uint32_t day, disc_result *res)
{
    tlsrpt *t = r->t;
    mt_err err;
    size_t i;
    int rc;

    if (!r->dry && record_temporary(res)) {
	try_later(r, day, res->domain, res->tlsrpt_reason);
    } else if (res->tlsrpt_set != TLSRPT_SET_ONE || record_temporary(res)) {
	r->norecord++;
	log_msg(LOG_INFO, "tlsrpt: %s: no report for day %u: %s", res->domain, day,
		res->tlsrpt_reason);
	if (r->dry) {
	    proto_put_kv(&r->lines, "domain", res->domain, strlen(res->domain));
	    proto_put_kv(&r->lines, "rua", "", 0);
	    proto_put_kv(&r->lines, "why", res->tlsrpt_reason, strlen(res->tlsrpt_reason));
	    buf_putc(&r->lines, '\n');
	    r->n_lines++;
	} else
	    later_set(t, day, res->domain, 1, tnow(t));
    } else if (r->dry) {
	buf rua = {0};

	for (i = 0; i < res->tlsrpt.n_rua; i++)
	    buf_printf(&rua, "%s%s", i ? "," : "", res->tlsrpt.rua[i]);
	proto_put_kv(&r->lines, "domain", res->domain, strlen(res->domain));
	proto_put_kv(&r->lines, "rua", buf_str(&rua), rua.len);
	proto_put_kv(&r->lines, "why", "would be sent", 13);
	buf_putc(&r->lines, '\n');
	r->n_lines++;
	buf_free(&rua);
    } else {
	rc = tlsrpt_build(t->counters, t->sender, t->cfg, day, res->domain, &res->tlsrpt,
			  tnow(t), &err);
	if (rc == 0)
	    r->built++;
	if (rc >= 0)
	    later_set(t, day, res->domain, 1, tnow(t));
	else {
	    r->errors++;
	    log_msg(LOG_ERR, "tlsrpt: %s: cannot build the report of day %u: %s", res->domain,
		    day, err.msg);
	    try_later(r, day, res->domain, "the build failed");
	    r->tempfail--;
	}
    }
}

/* on_record - the _smtp._tls answer of one domain, for each of its days in the run */
static void on_record(disc_result *res, void *arg)
{
    lookup_ctx *lc = arg;
    run *r = lc->r;
    size_t i;

    r->open--;
    for (i = lc->first; i < lc->first + lc->count; i++)
	on_item(r, r->items[i].day, res);
    free(lc);
    discovery_result_free(res);
    run_next(r);
}

/* lookup - the _smtp._tls record of a domain, through discovery (or the test's) */
static int lookup(tlsrpt *t, const char *domain, lookup_ctx *lc)
{
    if (t->hooks.lookup)
	return t->hooks.lookup(t->hooks.arg, domain, on_record, lc);
    return discovery_start(t->disc, domain, DISC_TXT_ONLY | DISC_WITH_TLSRPT, NULL, on_record,
			   lc);
}

/* run_next - start lookups up to RUN_PARALLEL, one per domain; finish when all are done */
static void run_next(run *r)
{
    while (r->open < RUN_PARALLEL && r->next < r->n) {
	lookup_ctx *lc = malloc(sizeof(*lc));
	size_t first = r->next;

	while (r->next < r->n && strcmp(r->items[r->next].domain, r->items[first].domain) == 0)
	    r->next++;
	if (lc == NULL) {
	    r->errors++;
	    continue;
	}
	lc->r = r;
	lc->first = first;
	lc->count = r->next - first;
	if (lookup(r->t, r->items[first].domain, lc) < 0) {
	    free(lc);
	    r->errors++;
	    continue;
	}
	r->open++;
    }
    if (r->open == 0 && r->next >= r->n)
	run_finish(r);
}

/* run_kick - the run's first step, from the loop */
static void run_kick(evloop *loop, void *arg)
{
    run *r = arg;

    (void) loop;
    r->kick = NULL;
    run_next(r);
}

/* collect - one domain with counts on the day being listed */
static int collect(const char *domain, uint64_t ok, uint64_t bad, void *arg)
{
    run *r = arg;
    run_item *ni;

    (void) ok, (void) bad;
    if (r->n >= RUN_DOMAINS_MAX || (ni = realloc(r->items, (r->n + 1) * sizeof(*ni))) == NULL)
	return 1;
    r->items = ni;
    if ((ni[r->n].domain = strdup(domain)) == NULL)
	return 1;
    ni[r->n++].day = r->listing;
    return 0;
}

/* item_cmp - run order: domain, then day, so one lookup serves every day of a domain */
static int item_cmp(const void *a, const void *b)
{
    const run_item *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);

    return c ? c : x->day < y->day ? -1 : x->day > y->day;
}

/*
 * wanted - should the catch-up run look at (day, domain)? Not when the
 * outbox has its report (a report is built once), nor when it was
 * decided (no record) or is waiting for its retry time; a retry past
 * report_retry after the first try is given up.
 */
static int wanted(tlsrpt *t, const run_item *it, int64_t now)
{
    later *l;
    mt_err err;
    int rc = tlsrpt_outbox_has(t->sender, it->day, it->domain, &err);

    if (rc != 0) {
	if (rc < 0)
	    log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
	return 0;
    }
    if ((l = later_find(t, it->day, it->domain)) == NULL)
	return 1;
    if (l->final || l->next > now)
	return 0;
    if (now - l->first >= (int64_t) (t->cfg->report_retry_ms / 1000)) {
	l->final = 1;
	log_msg(LOG_WARNING, "tlsrpt: %s: no report for day %u: its _smtp._tls record could "
		"not be looked up or the report built for %llds (RFC 8460 §5.4)", it->domain,
		it->day, (long long) (now - l->first));
	return 0;
    }
    return 1;
}

/* run_start - a run over one day's domains (day != 0), or the catch-up run
 * over every day before today that has counts and no report; NULL when a
 * run is under way */
static run *run_start(tlsrpt *t, uint32_t day, int dry, srv_conn *c)
{
    run *r;
    mt_err err;
    int64_t now = tnow(t);
    uint32_t today = tlsrpt_day_of(now), days[CATCHUP_DAYS_MAX];
    size_t i, n_days = 0, keep = 0;

    if (t->current || (r = calloc(1, sizeof(*r))) == NULL)
	return NULL;
    r->t = t;
    r->day = day;
    r->dry = dry;
    t->current = r;
    if (tlsrpt_counters_commit(t->counters, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
    if (day) {
	r->listing = day;
	if (tlsrpt_counters_list(t->counters, day, collect, r, &err) < 0)
	    log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
    } else {
	if (tlsrpt_counters_days(t->counters, days, CATCHUP_DAYS_MAX, &n_days, &err) < 0)
	    log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
	for (i = 0; i < n_days && days[i] < today; i++) {
	    if (days[i] < today - t->cfg->counters_retention_days)
		continue;	/* past retention: pruned now */
	    r->listing = days[i];
	    if (tlsrpt_counters_list(t->counters, days[i], collect, r, &err) < 0)
		log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
	}
	/* outside the counters' read transaction: the outbox and what is decided */
	for (i = 0; i < r->n; i++) {
	    if (wanted(t, &r->items[i], now))
		r->items[keep++] = r->items[i];
	    else
		free(r->items[i].domain);
	}
	r->n = keep;
	/* a retry that is due and not in this run (its counts pruned) waits again */
	for (i = 0; i < t->n_later; i++)
	    if (!t->later[i].final && t->later[i].next <= now)
		t->later[i].next = now + RECORD_RETRY;
    }
    if (r->n > 1)
	qsort(r->items, r->n, sizeof(*r->items), item_cmp);
    if (c)
	r->answer = server_defer(c, answer_cancel, r);
    /* from the loop, so that even an empty run answers after the handler */
    r->kick = evloop_timer(t->loop, 0, run_kick, r);
    return r;
}

/* ---------------------------------------------------------------- timers */

/* retry_due - look up records that failed for now, start deliveries whose retry time has come */
static void retry_due(evloop *loop, void *arg)
{
    tlsrpt *t = arg;

    t->retry = evloop_timer(loop, RETRY_CHECK_MS, retry_due, t);
    if (t->current == NULL && later_due(t, tnow(t)))
	run_start(t, 0, 0, NULL);	/* ends with a sender run */
    else if (t->current == NULL && !tlsrpt_sender_busy(t->sender))
	tlsrpt_sender_run(t->sender, tnow(t), 0, NULL, NULL);
}

/* tlsrpt_daily_run - build and send what is missing, then prune */
int tlsrpt_daily_run(tlsrpt *t)
{
    uint32_t today = tlsrpt_day_of(tnow(t));
    mt_err err;
    int started = 0;

    if (t->current == NULL) {
	t->again = 0;
	started = run_start(t, 0, 0, NULL) != NULL;
    } else
	t->again = 1;		/* run_free() starts it when the run under way ends */
    if (tlsrpt_counters_prune(t->counters, today - t->cfg->counters_retention_days, &err) < 0
	|| tlsrpt_outbox_prune(t->sender, today - t->cfg->reports_retention_days, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: prune: %s", err.msg);
    t->later_first_day = today - t->cfg->counters_retention_days;
    if (t->current == NULL)
	later_sort(t, t->later_first_day);
    return started;
}

/* again_fire - the daily run that waited for a run under way */
static void again_fire(evloop *loop, void *arg)
{
    tlsrpt *t = arg;

    (void) loop;
    t->again_timer = NULL;
    if (t->again && t->current == NULL) {
	t->again = 0;
	run_start(t, 0, 0, NULL);
    }
}

/* daily - the daily run at report_hour */
static void daily(evloop *loop, void *arg)
{
    tlsrpt *t = arg;

    (void) loop;
    t->daily = NULL;
    tlsrpt_daily_run(t);
    arm_daily(t);
}

/* jitter_ms - a random delay of up to report_jitter */
static uint64_t jitter_ms(const tlsrpt *t)
{
    uint64_t jitter = 0;

    if (t->cfg->report_jitter_ms > 0 && getrandom(&jitter, sizeof(jitter), 0) == sizeof(jitter))
	return jitter % t->cfg->report_jitter_ms;
    return 0;
}

/* arm_daily - the next report_hour (UTC), plus jitter */
static void arm_daily(tlsrpt *t)
{
    int64_t now = tnow(t), at = (now / TLSRPT_DAY_SECONDS) * TLSRPT_DAY_SECONDS
	+ (int64_t) t->cfg->report_hour * 3600;

    if (at <= now)
	at += TLSRPT_DAY_SECONDS;
    t->daily = evloop_timer(t->loop, (uint64_t) (at - now) * 1000 + jitter_ms(t), daily, t);
}

/*
 * at_start - the catch-up after a start: when today's report_hour has
 * passed, what the daily run would have built (a downtime over
 * report_hour, a restart) is built now; before it, the daily run does.
 */
static void at_start(evloop *loop, void *arg)
{
    tlsrpt *t = arg;
    int64_t now = tnow(t);

    (void) loop;
    t->start = NULL;
    if (now % TLSRPT_DAY_SECONDS >= (int64_t) t->cfg->report_hour * 3600) {
	if (t->current == NULL)
	    run_start(t, 0, 0, NULL);
	else
	    t->again = 1;
    }
}

/* tlsrpt_set_hooks - the clock and the record lookup, for tests */
void tlsrpt_set_hooks(tlsrpt *t, const tlsrpt_hooks *h)
{
    t->hooks = *h;
}

/* tlsrpt_busy - is a run under way? */
int tlsrpt_busy(const tlsrpt *t)
{
    return t->current != NULL || t->again;
}

/* ----------------------------------------------------------------- verbs */

/* answer_error - "error reason=WORD" */
static srv_result answer_error(buf *out, const char *reason)
{
    proto_put_status(out, "error");
    proto_put_kv(out, "reason", reason, strlen(reason));
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* verb_day - the optional DAY argument at index i */
static int verb_day(const proto_req *req, int i, uint32_t *day)
{
    if (i >= req->argc || strcmp(req->argv[i], "dry-run") == 0) {
	*day = tlsrpt_day_of(now_unix()) - 1;
	return 0;
    }
    return tlsrpt_day_parse(req->argv[i], now_unix(), day);
}

typedef struct list_ctx {
    tlsrpt *t;
    uint32_t day;
    buf lines;
    size_t n;
    struct list_row {
	char *domain;
	uint64_t ok, bad;
    } *rows;
} list_ctx;

/* list_row - remember one domain (inside the counters' read transaction) */
static int list_row(const char *domain, uint64_t ok, uint64_t bad, void *arg)
{
    list_ctx *l = arg;
    struct list_row *nr = realloc(l->rows, (l->n + 1) * sizeof(*nr));

    if (nr == NULL)
	return 1;
    l->rows = nr;
    if ((nr[l->n].domain = strdup(domain)) == NULL)
	return 1;
    nr[l->n].ok = ok;
    nr[l->n++].bad = bad;
    return 0;
}

/* list_line - one line of tlsrpt-list, with the state of its report */
static void list_line(list_ctx *l, const char *domain, uint64_t ok, uint64_t bad)
{
    tlsrpt_outbox_entry e;
    const char *state = "none";
    size_t i, nsent = 0, nfail = 0;

    if (tlsrpt_outbox_get(l->t->sender, l->day, domain, &e, NULL) == 1) {
	for (i = 0; i < e.n_rua; i++) {
	    nsent += e.rua[i].state == TLSRPT_SENT;
	    nfail += e.rua[i].state == TLSRPT_FAILED;
	}
	state = nsent == e.n_rua ? "sent" : nfail == e.n_rua ? "failed"
	    : nsent + nfail > 0 ? "partial" : "built";
	tlsrpt_outbox_entry_free(&e);
    }
    proto_put_kv(&l->lines, "domain", domain, strlen(domain));
    proto_put_kvf(&l->lines, "success", "%llu", (unsigned long long) ok);
    proto_put_kvf(&l->lines, "failure", "%llu", (unsigned long long) bad);
    proto_put_kvf(&l->lines, "report", "%s", state);
    buf_putc(&l->lines, '\n');
}

/* log_request - a report request as received, decoded, printable (log_debug) */
static void log_request(const proto_req *req)
{
    char line[PROTO_LINE_MAX + PROTO_MAX_ARGS + 1];
    size_t n = 0, k;
    int i;

    for (i = 0; i < req->argc && n + 1 < sizeof(line); i++) {
	if (i)
	    line[n++] = ' ';
	for (k = 0; k < req->argl[i] && n + 1 < sizeof(line); k++) {
	    unsigned char ch = (unsigned char) req->argv[i][k];

	    line[n++] = ch >= 0x20 && ch < 0x7f ? (char) ch : '?';
	}
    }
    line[n] = 0;
    log_msg(LOG_DEBUG, "tlsrpt: report %s", line);
}

/* verb_report - "report DOMAIN key=value ...": one TLS result from Exim */
static srv_result verb_report(void *arg, srv_conn *c, proto_req *req, buf *out)
{
    tlsrpt *t = arg;
    tlsrpt_verb_args a;
    tlsrpt_applied ap;
    mt_err err;
    int64_t now = now_unix();
    int rc;

    (void) c;
    if (log_debug_enabled())
	log_request(req);
    rc = tlsrpt_verb_parse(req, now, &a, &err);
    if (rc < 0) {
	char word[32];

	snprintf(word, sizeof(word), "%.*s", (int) strcspn(err.msg, ":"), err.msg);
	return answer_error(out, word);
    }
    if (rc == 1) {
	proto_put_status(out, "ok");
	proto_put_kv(out, "counted", "0", 1);
	proto_put_kv(out, "reason", "not-tls", 7);
    } else if (a.skipped) {
	long n = count_skipped(t, &a, now);

	if (n < 0)
	    return answer_error(out, "not-counted");
	proto_put_status(out, "ok");
	proto_put_kvf(out, "counted", "%ld", n);
    } else if (tlsrpt_count_verb(t->counters, &a, applied_policy(t, a.domain, &ap), now) < 0) {
	return answer_error(out, "not-counted");
    } else {
	proto_put_status(out, "ok");
	proto_put_kv(out, "counted", "1", 1);
    }
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* verb_list - "tlsrpt-list [DAY]" */
static srv_result verb_list(void *arg, srv_conn *c, proto_req *req, buf *out)
{
    list_ctx l = {arg, 0, {0}, 0, NULL};
    mt_err err;
    uint32_t day;
    size_t i;
    int bad;

    (void) c;
    if (verb_day(req, 0, &day) < 0)
	return answer_error(out, "usage");
    l.day = day;
    bad = tlsrpt_counters_commit(l.t->counters, &err) < 0
	|| tlsrpt_counters_list(l.t->counters, day, list_row, &l, &err) < 0;
    for (i = 0; i < l.n; i++) {
	if (!bad)
	    list_line(&l, l.rows[i].domain, l.rows[i].ok, l.rows[i].bad);
	free(l.rows[i].domain);
    }
    free(l.rows);
    if (bad) {
	buf_free(&l.lines);
	return answer_error(out, "store");
    }
    proto_put_status(out, "ok");
    proto_put_kvf(out, "count", "%zu", l.n);
    buf_putc(out, '\n');
    buf_append(out, l.lines.data, l.lines.len);
    buf_free(&l.lines);
    return SRV_DONE;
}

/* verb_show - "tlsrpt-show DOMAIN [DAY]" */
static srv_result verb_show(void *arg, srv_conn *c, proto_req *req, buf *out)
{
    tlsrpt *t = arg;
    char domain[DOMAIN_BUF], *json = NULL;
    mt_err err;
    uint32_t day;
    int built, rc;

    (void) c;
    if (domain_normalise(req->argv[0], req->argl[0], domain, sizeof(domain), NULL) < 0
	|| verb_day(req, 1, &day) < 0)
	return answer_error(out, "usage");
    rc = tlsrpt_show(t->counters, t->sender, t->cfg, day, domain, &json, &built, &err);
    if (rc < 0) {
	log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
	return answer_error(out, "cannot-build");
    }
    if (rc == 1) {
	proto_put_status(out, "none");
	proto_put_kv(out, "reason", "no-counts", 9);
    } else {
	proto_put_status(out, "ok");
	proto_put_kv(out, "built", built ? "yes" : "no", built ? 3 : 2);
	proto_put_kv(out, "json", json, strlen(json));
	free(json);
    }
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* verb_send - "tlsrpt-send [DAY] [dry-run]": answered when the run ends */
static srv_result verb_send(void *arg, srv_conn *c, proto_req *req, buf *out)
{
    tlsrpt *t = arg;
    int dry = req->argc > 0 && strcmp(req->argv[req->argc - 1], "dry-run") == 0;
    uint32_t day;

    if ((req->argc == 2 && !dry) || verb_day(req, 0, &day) < 0)
	return answer_error(out, "usage");
    if (t->current) {
	proto_put_status(out, "tempfail");
	proto_put_kv(out, "reason", "busy", 4);
	buf_putc(out, '\n');
	return SRV_DONE;
    }
    run_start(t, day, dry, c);
    return SRV_PENDING;
}

/* tlsrpt_add_verbs - register the TLS-RPT verbs with the dispatcher */
int tlsrpt_add_verbs(tlsrpt *t, verbs *v)
{
    if (verbs_add(v, "report", 1, PROTO_MAX_ARGS, /* privileged= */ 1, verb_report, t) < 0
	|| verbs_add(v, "tlsrpt-list", 0, 1, 0, verb_list, t) < 0
	|| verbs_add(v, "tlsrpt-show", 1, 2, 0, verb_show, t) < 0
	|| verbs_add(v, "tlsrpt-send", 0, 2, 1, verb_send, t) < 0)
	return -1;
    verbs_set_tlsrpt(v, t->counters);
    return 0;
}

/* ------------------------------------------------------------- life cycle */

/* tlsrpt_new - counters, outbox and timers on the daemon's loop and store */
tlsrpt *tlsrpt_new(evloop *loop, const mtasts_config *cfg, store *st, policy_cache *pc,
		   discovery *disc, mt_err *err)
{
    tlsrpt *t = calloc(1, sizeof(*t));

    if (t == NULL) {
	mt_err_set(err, 0, 0, NULL, "tlsrpt: out of memory");
	return NULL;
    }
    t->loop = loop;
    t->cfg = cfg;
    t->st = st;
    t->pc = pc;
    t->disc = disc;
    if ((t->counters = tlsrpt_counters_open(store_env(st), err)) == NULL
	|| (t->sender = tlsrpt_sender_new(loop, cfg, store_env(st), disc, err)) == NULL) {
	tlsrpt_counters_close(t->counters);
	free(t);
	return NULL;
    }
    tlsrpt_counters_attach(t->counters, loop, cfg->tlsrpt_commit_interval_ms);
    if (cfg->tlsrpt) {
	arm_daily(t);
	t->start = evloop_timer(loop, jitter_ms(t), at_start, t);
	t->retry = evloop_timer(loop, RETRY_CHECK_MS, retry_due, t);
    }
    if (cfg->dkim_key_file == NULL)
	log_msg(LOG_WARNING, "tlsrpt: no dkim_key_file: mailed reports leave unsigned and "
		"receivers ignore them unless Exim signs them (RFC 8460 §5.3)");
    return t;
}

/* tlsrpt_free - commit what is pending and stop */
void tlsrpt_free(tlsrpt *t)
{
    if (t == NULL)
	return;
    t->closing = 1;
    if (t->daily)
	evloop_timer_cancel(t->loop, t->daily);
    if (t->start)
	evloop_timer_cancel(t->loop, t->start);
    if (t->again_timer)
	evloop_timer_cancel(t->loop, t->again_timer);
    if (t->retry)
	evloop_timer_cancel(t->loop, t->retry);
    if (t->current)
	run_free(t->current);	/* its lookups are cancelled with discovery */
    tlsrpt_sender_free(t->sender);
    tlsrpt_counters_close(t->counters);
    for (size_t i = 0; i < APPLIED_MEMO; i++) {
	buf_free(&t->memo[i].text);
	buf_free(&t->memo[i].mx);
    }
    for (size_t i = 0; i < t->n_later; i++)
	free(t->later[i].domain);
    free(t->later);
    free(t);
}
