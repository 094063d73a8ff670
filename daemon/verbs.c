/*
 * NAME
 *	verbs - the requests mtastsd answers (mtastsd(8), "PROTOCOL")
 * DESCRIPTION
 *	See verbs.h. A cached "policy" answer is kept as text in the
 *	domain's entry and copied out: no formatting, no allocation. A
 *	deferred answer borrows a small record from a free list that is
 *	never shrunk, so steady traffic does not allocate either.
 *
 *	Every value goes out through proto_put_kv() (percent-encoding where
 *	needed), so nothing a domain publishes can break an answer line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "proto.h"

#include "config.h"
#include "log.h"
#include "policy_cache.h"
#include "server.h"
#include "stats_table.h"
#include "store.h"
#include "verbs.h"

enum verb_id {
    V_PING, V_VERSION, V_POLICY, V_MX, V_ALLOWED, V_PREFETCH, V_FLUSH, V_LIST, V_SHOW,
    V_STATS, V_UNKNOWN, V_COUNT
};

typedef struct vpend vpend;

typedef struct verb_ext {
    char name[PROTO_VERB_MAX + 1];
    int min_args, max_args, privileged;
    verbs_ext_fn fn;
    void *arg;
    uint64_t count;
} verb_ext;

struct verbs {
    verbs_env env;
    server *srv;
    refresh *rf;			/* for the refresh counters in stats; may be NULL */
    tlsrpt_counters *tc;	/* for the TLS-RPT counters in stats; may be NULL */
    int64_t started;
    uint64_t count[V_COUNT];
    uint64_t bad_requests;
    uint64_t denied;
    vpend *free_pend;
    buf scratch;
    verb_ext ext[VERBS_EXT_MAX];
    size_t next;
};

struct vpend {
    verbs *v;
    enum verb_id verb;
    srv_pending *p;
    pc_wait *w;
    char host[DOMAIN_BUF];
    vpend *next_free;
};

typedef struct verb_def {
    const char *name;
    enum verb_id id;
    int min_args, max_args;
} verb_def;

static const verb_def verb_table[] = {
    {"ping", V_PING, 0, 0},
    {"version", V_VERSION, 0, 0},
    {"policy", V_POLICY, 1, 1},
    {"mx", V_MX, 2, 2},
    {"allowed", V_ALLOWED, 1, 1},
    {"prefetch", V_PREFETCH, 1, 1},
    {"flush", V_FLUSH, 1, 1},
    {"list", V_LIST, 0, 0},
    {"show", V_SHOW, 1, 1},
    {"stats", V_STATS, 0, 0},
};

#define NVERBS (sizeof(verb_table) / sizeof(verb_table[0]))

static const char *verb_names[V_COUNT] = {
    "ping", "version", "policy", "mx", "allowed", "prefetch", "flush", "list", "show",
    "stats", "unknown",
};

/* verbs_new - the verb dispatcher over a policy cache and store */
verbs *verbs_new(const verbs_env *env)
{
    verbs *v = calloc(1, sizeof(*v));

    if (v == NULL)
	return NULL;
    v->env = *env;
    v->started = (int64_t) time(NULL);
    return v;
}

/* verbs_free - release the free list (every deferred answer is finished) */
void verbs_free(verbs *v)
{
    if (v == NULL)
	return;
    while (v->free_pend) {
	vpend *p = v->free_pend;

	v->free_pend = p->next_free;
	free(p);
    }
    buf_free(&v->scratch);
    free(v);
}

/* verbs_set_refresh - for the refresh counters in stats */
void verbs_set_refresh(verbs *v, refresh *rf)
{
    v->rf = rf;
}

/* verbs_set_tlsrpt - for the TLS-RPT counter values in stats */
void verbs_set_tlsrpt(verbs *v, tlsrpt_counters *tc)
{
    v->tc = tc;
}

/* verbs_set_server - for the client counters in stats */
void verbs_set_server(verbs *v, server *srv)
{
    v->srv = srv;
}

/* verbs_add - a verb of another module */
int verbs_add(verbs *v, const char *name, int min_args, int max_args, int privileged,
	      verbs_ext_fn fn, void *arg)
{
    size_t i;
    verb_ext *x;

    if (v->next >= VERBS_EXT_MAX || strlen(name) > PROTO_VERB_MAX)
	return -1;
    for (i = 0; i < NVERBS; i++)
	if (strcmp(verb_table[i].name, name) == 0)
	    return -1;
    for (i = 0; i < v->next; i++)
	if (strcmp(v->ext[i].name, name) == 0)
	    return -1;
    x = &v->ext[v->next++];
    snprintf(x->name, sizeof(x->name), "%s", name);
    x->min_args = min_args;
    x->max_args = max_args;
    x->privileged = privileged;
    x->fn = fn;
    x->arg = arg;
    return 0;
}

/* error_answer - "error reason=WORD" */
static srv_result error_answer(buf *out, const char *reason)
{
    proto_put_status(out, "error");
    proto_put_kv(out, "reason", reason, strlen(reason));
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* put_str - key=value from a C string */
static void put_str(buf *out, const char *key, const char *val)
{
    proto_put_kv(out, key, val, strlen(val));
}

/* put_num - key=integer */
static void put_num(buf *out, const char *key, long long n)
{
    char tmp[32];
    int l = snprintf(tmp, sizeof(tmp), "%lld", n);

    proto_put_kv(out, key, tmp, (size_t) l);
}

/* put_mx_list - mx=PATTERN,PATTERN */
static void put_mx_list(buf *out, const store_rec *r)
{
    buf l = {0};
    size_t i;

    for (i = 0; i < r->n_mx; i++) {
	if (i)
	    buf_putc(&l, ',');
	buf_puts(&l, r->mx[i]);
    }
    proto_put_kv(out, "mx", buf_str(&l), l.len);
    buf_free(&l);
}

/* put_policy_fields - mode= id= max_age= fetched= expires= mx= */
static void put_policy_fields(buf *out, const store_rec *r)
{
    put_str(out, "mode", policy_mode_name(r->mode));
    put_str(out, "id", r->id);
    put_num(out, "max_age", r->max_age);
    put_num(out, "fetched", r->fetched);
    put_num(out, "expires", r->expires);
    put_mx_list(out, r);
}

/*
 * answer_entry - the entry of an answer, writable for its answer texts
 *
 * policy_cache.h lets verbs fill ans_policy and ans_allowed of the entry
 * an answer points at; taking it from the answer instead of looking the
 * domain up again saves a second hash lookup on every cached answer.
 */
static pc_entry *answer_entry(const pc_entry *ce)
{
    return (pc_entry *) ce;
}

/* policy_answer_text - the cached answer line of a valid policy */
static const buf *policy_answer_text(const pc_entry *ce)
{
    pc_entry *e = answer_entry(ce);

    if (e->ans_policy.len == 0) {
	if (e->rec.mode == POLICY_MODE_NONE) {
	    proto_put_status(&e->ans_policy, "none");
	    put_str(&e->ans_policy, "reason", "mode-none");
	} else {
	    proto_put_status(&e->ans_policy, "ok");
	}
	put_policy_fields(&e->ans_policy, &e->rec);
	buf_putc(&e->ans_policy, '\n');
    }
    return &e->ans_policy;
}

/* no_policy_answer - none/tempfail/error with the reason */
static void no_policy_answer(buf *out, const pc_answer *a, const char *extra_key,
			     const char *extra_val)
{
    proto_put_status(out, pc_status_name(a->status));
    if (extra_key)
	put_str(out, extra_key, extra_val);
    put_str(out, "reason", a->reason ? a->reason : "unknown");
    buf_putc(out, '\n');
}

/* format_policy - the answer of "policy" and "prefetch" */
static void format_policy(buf *out, const pc_answer *a)
{
    if (a->status == PC_POLICY) {
	const buf *t = policy_answer_text(a->e);

	buf_append(out, t->data, t->len);
	return;
    }
    no_policy_answer(out, a, NULL, NULL);
}

/* tlsa_of - yes/no/unknown: DNSSEC-valid TLSA records for host */
static const char *tlsa_of(const pc_answer *a, const char *host)
{
    size_t i;

    if (!a->mx_known)
	return "unknown";
    for (i = 0; i < a->e->n_mx_info; i++)
	if (strcmp(a->e->mx_info[i].host, host) == 0)
	    return a->e->mx_info[i].tlsa_usable ? "yes" : "no";
    return "unknown";			/* not one of the domain's MX hosts */
}

/* rec_matches - some pattern of the cached policy matches host */
static int rec_matches(const store_rec *r, const char *host)
{
    size_t i;

    for (i = 0; i < r->n_mx; i++)
	if (policy_mx_pattern_matches(r->mx[i], host))
	    return 1;
    return 0;
}

/* format_mx - the verdict for one MX host */
static void format_mx(verbs *v, buf *out, const pc_answer *a, const char *host)
{
    const store_rec *r;
    const char *verdict, *tlsa;
    int match;

    if (a->status != PC_POLICY) {
	if (a->status == PC_NONE) {
	    proto_put_status(out, "none");
	    put_str(out, "verdict", "none");
	    put_str(out, "reason", a->reason ? a->reason : "no-policy");
	    buf_putc(out, '\n');
	} else {
	    no_policy_answer(out, a, NULL, NULL);
	}
	return;
    }
    r = &a->e->rec;
    match = rec_matches(r, host);
    tlsa = tlsa_of(a, host);
    if (strcmp(tlsa, "yes") == 0)
	verdict = r->mode == POLICY_MODE_ENFORCE && !match
	    && !v->env.cfg->dane_admits_unlisted_mx ? "reject" : "dane";
    else if (r->mode == POLICY_MODE_ENFORCE)
	verdict = match ? "enforce" : "reject";
    else if (r->mode == POLICY_MODE_TESTING)
	verdict = "testing";
    else
	verdict = "none";
    proto_put_status(out, r->mode == POLICY_MODE_NONE ? "none" : "ok");
    put_str(out, "verdict", verdict);
    put_str(out, "match", match ? "yes" : "no");
    put_str(out, "mode", policy_mode_name(r->mode));
    put_str(out, "tlsa", tlsa);
    put_str(out, "id", r->id);
    buf_putc(out, '\n');
}

/* verbs_allowed_item - one ignore_target_hosts item for a policy pattern */
int verbs_allowed_item(buf *out, const char *pattern)
{
    const char *p = pattern;
    int rc = buf_puts(out, "!^(?i)");

    if (p[0] == '*' && p[1] == '.') {
	rc |= buf_puts(out, "[^.]+\\.");
	p += 2;
    }
    for (; *p; p++) {
	if (*p == '.' && p[1] == 0)
	    break;			/* a trailing dot */
	if (*p == '.')
	    rc |= buf_puts(out, "\\.");
	else
	    rc |= buf_putc(out, *p);	/* LDH only: checked by the parser */
    }
    return rc | buf_putc(out, '$');
}

/* format_allowed - the allowed MX list of an enforce domain, for Exim's router */
static void format_allowed(buf *out, const pc_answer *a)
{
    pc_entry *e;
    const store_rec *r;
    size_t i;

    if (a->status != PC_POLICY) {
	no_policy_answer(out, a, NULL, NULL);
	return;
    }
    r = &a->e->rec;
    if (r->mode != POLICY_MODE_ENFORCE) {
	proto_put_status(out, "none");
	put_str(out, "mode", policy_mode_name(r->mode));
	put_str(out, "id", r->id);
	buf_putc(out, '\n');
	return;
    }
    e = answer_entry(a->e);
    if (e->ans_allowed.len == 0) {
	buf items = {0};

	for (i = 0; i < r->n_mx; i++) {
	    if (i)
		buf_putc(&items, ';');
	    verbs_allowed_item(&items, r->mx[i]);
	}
	proto_put_status(&e->ans_allowed, "ok");
	put_str(&e->ans_allowed, "mode", "enforce");
	put_str(&e->ans_allowed, "id", r->id);
	proto_put_kv(&e->ans_allowed, "allowed", buf_str(&items), items.len);
	buf_putc(&e->ans_allowed, '\n');
	buf_free(&items);
    }
    buf_append(out, e->ans_allowed.data, e->ans_allowed.len);
}

/* format - the answer of a policy-backed verb */
static void format(verbs *v, buf *out, enum verb_id verb, const pc_answer *a, const char *host)
{
    switch (verb) {
    case V_MX:
	format_mx(v, out, a, host);
	break;
    case V_ALLOWED:
	format_allowed(out, a);
	break;
    default:
	format_policy(out, a);
	break;
    }
}

/* pend_get - a deferred-answer record from the free list */
static vpend *pend_get(verbs *v)
{
    vpend *p = v->free_pend;

    if (p) {
	v->free_pend = p->next_free;
	return p;
    }
    if ((p = calloc(1, sizeof(*p))) != NULL)
	p->v = v;
    return p;
}

/* pend_put - back to the free list */
static void pend_put(verbs *v, vpend *p)
{
    p->p = NULL;
    p->w = NULL;
    p->next_free = v->free_pend;
    v->free_pend = p;
}

/* on_pc_done - the policy cache answered a deferred request */
static void on_pc_done(void *arg, const pc_answer *a)
{
    vpend *p = arg;
    verbs *v = p->v;

    buf_reset(&v->scratch);
    format(v, &v->scratch, p->verb, a, p->host);
    server_complete(p->p, v->scratch.data, v->scratch.len);
    pend_put(v, p);
}

/* on_srv_cancel - the client went away before its answer */
static void on_srv_cancel(void *arg)
{
    vpend *p = arg;

    pc_wait_cancel(p->w);
    pend_put(p->v, p);
}

/* get_name - a normalised domain or host name from an argument */
static int get_name(const proto_req *req, int i, char *out)
{
    mt_err err;

    if (req->argl[i] < DOMAIN_BUF && domain_is_valid_ldh(req->argv[i])) {
	memcpy(out, req->argv[i], req->argl[i] + 1);
	return 0;
    }
    return domain_normalise(req->argv[i], req->argl[i], out, DOMAIN_BUF, &err);
}

/* query_verb - policy, mx, allowed, prefetch: now or deferred */
static srv_result query_verb(verbs *v, srv_conn *c, enum verb_id verb, const proto_req *req,
			     buf *out)
{
    char domain[DOMAIN_BUF];
    unsigned flags = 0;
    pc_answer a;
    vpend *p;

    if (get_name(req, 0, domain) < 0)
	return error_answer(out, "bad-domain");
    if ((p = pend_get(v)) == NULL)
	return error_answer(out, "out-of-memory");
    p->verb = verb;
    p->host[0] = 0;
    if (verb == V_MX) {
	if (get_name(req, 1, p->host) < 0) {
	    pend_put(v, p);
	    return error_answer(out, "bad-host");
	}
	flags |= PC_Q_MX;
    }
    if (verb == V_PREFETCH)
	flags |= PC_Q_FORCE;
    if (pc_query(v->env.pc, domain, flags, &a, on_pc_done, p, &p->w) == 1) {
	format(v, out, verb, &a, p->host);
	pend_put(v, p);
	return SRV_DONE;
    }
    if ((p->p = server_defer(c, on_srv_cancel, p)) == NULL) {
	pc_wait_cancel(p->w);
	pend_put(v, p);
	return error_answer(out, "out-of-memory");
    }
    return SRV_PENDING;
}

/* do_flush - forget a domain (privileged) */
static srv_result do_flush(verbs *v, srv_conn *c, const proto_req *req, buf *out)
{
    char domain[DOMAIN_BUF];
    mt_err err;

    if (!server_peer_privileged(c)) {
	const srv_peer *peer = server_peer(c);

	v->denied++;
	log_msg(LOG_WARNING, "flush refused: peer uid %ld is not root, the daemon's user or in"
		" socket_group", peer->known ? (long) peer->uid : -1L);
	return error_answer(out, "permission-denied");
    }
    if (get_name(req, 0, domain) < 0)
	return error_answer(out, "bad-domain");
    if (pc_flush(v->env.pc, domain, &err) < 0) {
	log_msg(LOG_ERR, "%s: flush failed: %s", domain, err.msg);
	return error_answer(out, "store-error");
    }
    proto_put_status(out, "ok");
    put_str(out, "domain", domain);
    buf_putc(out, '\n');
    return SRV_DONE;
}

typedef struct list_ctx {
    buf lines;
    size_t n;
    int64_t now;
} list_ctx;

/* list_one - one line of "list" */
static int list_one(const pc_entry *e, void *arg)
{
    list_ctx *l = arg;

    buf_puts(&l->lines, "domain=");	/* normalised LDH: nothing to encode */
    buf_puts(&l->lines, e->domain);
    put_str(&l->lines, "state", pc_entry_state(e, l->now));
    if (e->rec.has_policy) {
	put_str(&l->lines, "mode", policy_mode_name(e->rec.mode));
	put_str(&l->lines, "id", e->rec.id);
	put_num(&l->lines, "expires", e->rec.expires);
    }
    put_num(&l->lines, "last_used", e->rec.last_used);
    buf_putc(&l->lines, '\n');
    l->n++;
    return 0;
}

/* do_list - "ok count=N" then N lines */
static srv_result do_list(verbs *v, buf *out)
{
    list_ctx l = {{0}, 0, (int64_t) time(NULL)};

    pc_foreach(v->env.pc, list_one, &l);
    proto_put_status(out, "ok");
    put_num(out, "count", (long long) l.n);
    buf_putc(out, '\n');
    buf_append(out, buf_str(&l.lines), l.lines.len);
    buf_free(&l.lines);
    return SRV_DONE;
}

/* do_show - everything known about one domain, one line */
static srv_result do_show(verbs *v, const proto_req *req, buf *out)
{
    char domain[DOMAIN_BUF];
    const pc_entry *e;
    store_rec r;
    mt_err err;
    int64_t now = (int64_t) time(NULL);
    int got;
    size_t i;

    if (get_name(req, 0, domain) < 0)
	return error_answer(out, "bad-domain");
    e = pc_find(v->env.pc, domain);
    got = store_get(v->env.st, domain, &r, &err);
    if (e == NULL && got != 1) {
	if (got == 1)
	    store_rec_free(&r);
	proto_put_status(out, "none");
	put_str(out, "domain", domain);
	put_str(out, "reason", "unknown-domain");
	buf_putc(out, '\n');
	return SRV_DONE;
    }
    proto_put_status(out, "ok");
    put_str(out, "domain", domain);
    if (e) {
	put_str(out, "state", pc_entry_state(e, now));
	if (e->rec.has_policy)
	    put_policy_fields(out, &e->rec);
	put_num(out, "refresh_due", e->rec.refresh_due);
	put_num(out, "first_contact", e->rec.first_contact);
	put_num(out, "last_used", e->rec.last_used);
	put_num(out, "last_txt_check", e->last_txt_check);
	put_num(out, "fail_count", e->rec.fail_count);
	if (e->rec.fail_id[0])
	    put_str(out, "fail_id", e->rec.fail_id);
	if (e->rec.fail_time)
	    put_num(out, "fail_time", e->rec.fail_time);
	if (e->outcome_seq)
	    put_str(out, "last_outcome", e->reason);
	if (e->mx_checked) {
	    buf t = {0};

	    for (i = 0; i < e->n_mx_info; i++)
		buf_printf(&t, "%s%s:%s", i ? "," : "", e->mx_info[i].host,
			   e->mx_info[i].tlsa_usable ? "yes" : "no");
	    proto_put_kv(out, "tlsa", buf_str(&t), t.len);
	    buf_free(&t);
	}
    }
    if (got == 1) {
	if (r.text_len)
	    proto_put_kv(out, "text", r.text, r.text_len);
	store_rec_free(&r);
    } else if (got < 0) {
	put_str(out, "store", "damaged");
    }
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* do_stats - every counter on one line, in the order of stats_table.c */
static srv_result do_stats(verbs *v, buf *out)
{
    stats_verbs own;
    pc_stats p;
    store_stats s;
    srv_stats c = {0};
    refresh_stats r;
    tlsrpt_counter_stats ts;
    char key[48];
    int i;

    own.uptime = (uint64_t) ((int64_t) time(NULL) - v->started);
    own.bad_requests = v->bad_requests;
    own.denied = v->denied;
    pc_get_stats(v->env.pc, &p);
    store_info(v->env.st, &s);
    if (v->srv)
	server_get_stats(v->srv, &c);
    if (v->rf)
	refresh_get_stats(v->rf, &r);
    proto_put_status(out, "ok");
    put_str(out, "version", MTASTS_VERSION);
    stats_put(out, STATS_VERBS, &own);
    for (i = 0; i < V_COUNT; i++) {
	snprintf(key, sizeof(key), "requests_%s", verb_names[i]);
	put_num(out, key, (long long) v->count[i]);
    }
    for (i = 0; i < (int) v->next; i++) {
	snprintf(key, sizeof(key), "requests_%s", v->ext[i].name);
	put_num(out, key, (long long) v->ext[i].count);
    }
    stats_put(out, STATS_CACHE, &p);
    stats_put(out, STATS_STORE, &s);
    stats_put(out, STATS_SERVER, &c);
    if (v->rf)
	stats_put(out, STATS_REFRESH, &r);
    if (v->tc) {
	tlsrpt_counters_get_stats(v->tc, &ts);
	stats_put(out, STATS_TLSRPT, &ts);
    }
    buf_putc(out, '\n');
    return SRV_DONE;
}

/* verbs_handle - one request line (the server's handler) */
srv_result verbs_handle(void *ctx, srv_conn *c, const char *line, size_t len, buf *out)
{
    verbs *v = ctx;
    proto_req req;
    mt_err err;
    const verb_def *d = NULL;
    size_t i;

    if (proto_req_parse(line, len, &req, &err) < 0) {
	v->bad_requests++;
	return error_answer(out, "bad-request");
    }
    for (i = 0; i < NVERBS; i++)
	if (strcmp(verb_table[i].name, req.verb) == 0) {
	    d = &verb_table[i];
	    break;
	}
    if (d == NULL) {
	for (i = 0; i < v->next; i++) {
	    verb_ext *x = &v->ext[i];

	    if (strcmp(x->name, req.verb) != 0)
		continue;
	    x->count++;
	    if (req.argc < x->min_args || req.argc > x->max_args) {
		v->bad_requests++;
		return error_answer(out, "usage");
	    }
	    if (x->privileged && !server_peer_privileged(c)) {
		v->denied++;
		return error_answer(out, "permission-denied");
	    }
	    return x->fn(x->arg, c, &req, out);
	}
	v->count[V_UNKNOWN]++;
	return error_answer(out, "unknown-verb");
    }
    v->count[d->id]++;
    if (req.argc < d->min_args || req.argc > d->max_args) {
	v->bad_requests++;
	return error_answer(out, "usage");
    }
    switch (d->id) {
    case V_PING:
    case V_VERSION:
	proto_put_status(out, "ok");
	put_str(out, "version", MTASTS_VERSION);
	put_num(out, "protocol", VERBS_PROTOCOL);
	buf_putc(out, '\n');
	return SRV_DONE;
    case V_POLICY:
    case V_MX:
    case V_ALLOWED:
    case V_PREFETCH:
	return query_verb(v, c, d->id, &req, out);
    case V_FLUSH:
	return do_flush(v, c, &req, out);
    case V_LIST:
	return do_list(v, out);
    case V_SHOW:
	return do_show(v, &req, out);
    case V_STATS:
	return do_stats(v, out);
    default:
	return error_answer(out, "unknown-verb");
    }
}
