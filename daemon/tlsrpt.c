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

/* The applied policy of a domain as report text, built once per fetched
 * policy rather than once per report line (bench/TLSRPT.md) */
typedef struct applied_memo {
    char domain[DOMAIN_BUF];
    char id[STS_ID_MAX + 1];
    int64_t fetched;
    policy_mode mode;
    buf text, mx;
} applied_memo;

typedef struct run {
    tlsrpt *t;
    uint32_t day;
    int dry;
    char **domains;
    size_t n, next, open;
    unsigned built, norecord, errors;
    srv_pending *answer;	/* the tlsrpt-send client, or NULL (daily run) */
    buf lines;			/* dry-run lines */
    size_t n_lines;
    ev_timer *kick;
} run;

struct tlsrpt {
    evloop *loop;
    const mtasts_config *cfg;
    store *st;
    policy_cache *pc;
    discovery *disc;
    tlsrpt_counters *counters;
    tlsrpt_sender *sender;
    ev_timer *daily, *retry;
    run *current;
    applied_memo memo[APPLIED_MEMO];
};

static void arm_daily(tlsrpt *t);

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
    if (tlsrpt_count_verb(t->counters, &a, pol, now_unix()) < 0)
	log_msg(LOG_ERR, "tlsrpt: %s: cannot count a %s", domain, tlsrpt_result_name(a.result));
}

/* ----------------------------------------------------------------- runs */

static void run_next(run *r);

/* run_free - release a run */
static void run_free(run *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
	free(r->domains[i]);
    free(r->domains);
    buf_free(&r->lines);
    if (r->kick)
	evloop_timer_cancel(r->t->loop, r->kick);
    if (r->t->current == r)
	r->t->current = NULL;
    free(r);
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

    log_msg(LOG_INFO, "tlsrpt: reports of day %u: %zu domains, %u built, %u without a record, "
	    "%u deliveries sent, %u failed", r->day, r->n, r->built, r->norecord, n_sent,
	    n_failed);
    if (r->answer) {
	proto_put_status(&out, "ok");
	proto_put_kvf(&out, "domains", "%zu", r->n);
	proto_put_kvf(&out, "built", "%u", r->built);
	proto_put_kvf(&out, "norecord", "%u", r->norecord);
	proto_put_kvf(&out, "errors", "%u", r->errors);
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
    tlsrpt_sender_run(r->t->sender, now_unix(), r->answer ? r->day : 0, sent, r);
}

/* on_record - the _smtp._tls answer of one domain */
static void on_record(disc_result *res, void *arg)
{
    run *r = arg;
    tlsrpt *t = r->t;
    mt_err err;
    int rc;
    size_t i;

    r->open--;
    if (res->tlsrpt_set != TLSRPT_SET_ONE) {
	r->norecord++;
	log_msg(LOG_INFO, "tlsrpt: %s: no report for day %u: %s", res->domain, r->day,
		res->tlsrpt_reason);
	if (r->dry) {
	    proto_put_kv(&r->lines, "domain", res->domain, strlen(res->domain));
	    proto_put_kv(&r->lines, "rua", "", 0);
	    proto_put_kv(&r->lines, "why", res->tlsrpt_reason, strlen(res->tlsrpt_reason));
	    buf_putc(&r->lines, '\n');
	    r->n_lines++;
	}
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
	rc = tlsrpt_build(t->counters, t->sender, t->cfg, r->day, res->domain, &res->tlsrpt,
			  now_unix(), &err);
	if (rc == 0)
	    r->built++;
	else if (rc < 0) {
	    r->errors++;
	    log_msg(LOG_ERR, "tlsrpt: %s: cannot build the report of day %u: %s", res->domain,
		    r->day, err.msg);
	}
    }
    discovery_result_free(res);
    run_next(r);
}

/* run_next - start lookups up to RUN_PARALLEL; finish when all are done */
static void run_next(run *r)
{
    while (r->open < RUN_PARALLEL && r->next < r->n) {
	const char *d = r->domains[r->next++];

	if (discovery_start(r->t->disc, d, DISC_TXT_ONLY | DISC_WITH_TLSRPT, NULL, on_record,
			    r) < 0) {
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

/* collect - one domain with counts on the run's day */
static int collect(const char *domain, uint64_t ok, uint64_t bad, void *arg)
{
    run *r = arg;
    char **nd;

    (void) ok, (void) bad;
    if (r->n >= RUN_DOMAINS_MAX || (nd = realloc(r->domains, (r->n + 1) * sizeof(*nd))) == NULL)
	return 1;
    r->domains = nd;
    if ((nd[r->n] = strdup(domain)) == NULL)
	return 1;
    r->n++;
    return 0;
}

/* run_start - a run over one day's domains; NULL when one is under way */
static run *run_start(tlsrpt *t, uint32_t day, int dry, srv_conn *c)
{
    run *r;
    mt_err err;

    if (t->current || (r = calloc(1, sizeof(*r))) == NULL)
	return NULL;
    r->t = t;
    r->day = day;
    r->dry = dry;
    t->current = r;
    if (tlsrpt_counters_commit(t->counters, &err) < 0
	|| tlsrpt_counters_list(t->counters, day, collect, r, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
    if (c)
	r->answer = server_defer(c, answer_cancel, r);
    /* from the loop, so that even an empty run answers after the handler */
    r->kick = evloop_timer(t->loop, 0, run_kick, r);
    return r;
}

/* ---------------------------------------------------------------- timers */

/* retry_due - start deliveries whose retry time has come */
static void retry_due(evloop *loop, void *arg)
{
    tlsrpt *t = arg;

    t->retry = evloop_timer(loop, RETRY_CHECK_MS, retry_due, t);
    if (t->current == NULL && !tlsrpt_sender_busy(t->sender))
	tlsrpt_sender_run(t->sender, now_unix(), 0, NULL, NULL);
}

/* daily - build and send yesterday's reports, then prune */
static void daily(evloop *loop, void *arg)
{
    tlsrpt *t = arg;
    uint32_t today = tlsrpt_day_of(now_unix());
    mt_err err;

    (void) loop;
    t->daily = NULL;
    if (t->current == NULL)
	run_start(t, today - 1, 0, NULL);
    if (tlsrpt_counters_prune(t->counters, today - t->cfg->counters_retention_days, &err) < 0
	|| tlsrpt_outbox_prune(t->sender, today - t->cfg->reports_retention_days, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: prune: %s", err.msg);
    arm_daily(t);
}

/* arm_daily - the next report_hour (UTC), plus jitter */
static void arm_daily(tlsrpt *t)
{
    int64_t now = now_unix(), at = (now / TLSRPT_DAY_SECONDS) * TLSRPT_DAY_SECONDS
	+ (int64_t) t->cfg->report_hour * 3600;
    uint64_t jitter = 0, delay;

    if (at <= now)
	at += TLSRPT_DAY_SECONDS;
    if (t->cfg->report_jitter_ms > 0 && getrandom(&jitter, sizeof(jitter), 0) == sizeof(jitter))
	jitter %= t->cfg->report_jitter_ms;
    delay = (uint64_t) (at - now) * 1000 + jitter;
    t->daily = evloop_timer(t->loop, delay, daily, t);
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
    if (t->daily)
	evloop_timer_cancel(t->loop, t->daily);
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
    free(t);
}
