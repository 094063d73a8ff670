/*
 * NAME
 *	policy_cache - the per-domain policy life cycle (RFC 8461 §3.3, §5)
 * DESCRIPTION
 *	See policy_cache.h for the answer table. The shape of the code:
 *
 *	- pc_query() answers from memory whenever it can (a cached policy,
 *	  or a remembered no-policy outcome); otherwise it adds a waiter to
 *	  the domain and makes sure one flight (a discovery) is running.
 *	- A flight's result changes the entry (and the store, one write
 *	  transaction), then settle() looks at every waiter again: a valid
 *	  policy answers it; a running flight keeps it waiting; a fresh
 *	  outcome answers it; otherwise a new flight starts. So each waiter
 *	  is answered from the entry's state, whatever flight changed it.
 *	- Each waiter has its own answer_deadline timer.
 *	- Flights hold a pointer to their entry that is cleared when the
 *	  entry goes (flush, eviction); the result of a detached flight is
 *	  dropped.
 *
 *	Times in entries are Unix seconds (they are stored); the deadline
 *	and commit timers use the loop's monotonic clock.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mt_err.h"
#include "policy.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "refresh.h"
#include "store.h"

#define PC_HASH_MIN 1024		/* buckets at start; doubles at load 1 */

enum flight_kind {
    FL_FULL,				/* no valid policy: TXT, fetch, parse */
    FL_RECHECK,				/* cached: TXT id only (and MX/TLSA) */
    FL_REFETCH,				/* cached, and the id changed: fetch */
    FL_REFRESH,				/* proactive refresh (refresh.c): fetch */
};

struct pc_flight {
    policy_cache *pc;
    pc_entry *e;			/* NULL: detached, drop the result */
    enum flight_kind kind;
    pc_flight *prev, *next;		/* every flight of pc */
    pc_refresh_fn refresh_done;		/* FL_REFRESH: who hears the outcome */
    void *refresh_arg;
};

struct pc_wait {
    policy_cache *pc;
    pc_entry *e;
    pc_wait *prev, *next;
    unsigned flags;
    unsigned seq;			/* e->outcome_seq when it started waiting */
    int mx_started;			/* an MX flight was started for it */
    pc_done_fn done;
    void *arg;
    ev_timer *deadline;
};

struct policy_cache {
    evloop *loop;
    const mtasts_config *cfg;
    store *st;
    pc_backend be;
    pc_entry **bucket;
    size_t nbucket, nentries;
    uint64_t seed;
    pc_flight *flights;
    pc_entry **touched;
    size_t ntouched, captouched;
    ev_timer *commit_timer;
    int writing;			/* in a store write: eviction must not free entries */
    char **evicted;			/* domains evicted meanwhile, freed after */
    size_t nevicted, capevicted;
    pc_failure_fn fail_hook;
    void *fail_arg;
    pc_stats st_;
};

static void settle(policy_cache *pc, pc_entry *e);
static void write_end(policy_cache *pc);

/* hash - FNV-1a over the name with a per-process seed, then a 64-bit mix */
static uint64_t hash(const policy_cache *pc, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ pc->seed;

    while (*s) {
	h ^= (unsigned char) *s++;
	h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* entry_find - the entry of a normalised domain, or NULL */
static pc_entry *entry_find(const policy_cache *pc, const char *domain)
{
    pc_entry *e;

    for (e = pc->bucket[hash(pc, domain) & (pc->nbucket - 1)]; e; e = e->hnext)
	if (strcmp(e->domain, domain) == 0)
	    return e;
    return NULL;
}

/* rehash - double the buckets */
static void rehash(policy_cache *pc)
{
    size_t n = pc->nbucket * 2, i;
    pc_entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
	return;				/* longer chains; still correct */
    for (i = 0; i < pc->nbucket; i++) {
	pc_entry *e = pc->bucket[i], *next;

	for (; e; e = next) {
	    size_t ix = hash(pc, e->domain) & (n - 1);

	    next = e->hnext;
	    e->hnext = b[ix];
	    b[ix] = e;
	}
    }
    free(pc->bucket);
    pc->bucket = b;
    pc->nbucket = n;
}

/* entry_new - a new entry in the table */
static pc_entry *entry_new(policy_cache *pc, const char *domain)
{
    size_t len = strlen(domain), ix;
    pc_entry *e = calloc(1, sizeof(*e) + len + 1);

    if (e == NULL)
	return NULL;
    memcpy(e->domain, domain, len + 1);
    store_rec_init(&e->rec);
    e->touched_ix = (size_t) -1;
    if (pc->nentries >= pc->nbucket)
	rehash(pc);
    ix = hash(pc, domain) & (pc->nbucket - 1);
    e->hnext = pc->bucket[ix];
    pc->bucket[ix] = e;
    pc->nentries++;
    return e;
}

/* entry_free - out of the table and gone (no flight or waiter may remain) */
static void entry_free(policy_cache *pc, pc_entry *e)
{
    pc_entry **pp = &pc->bucket[hash(pc, e->domain) & (pc->nbucket - 1)];

    while (*pp && *pp != e)
	pp = &(*pp)->hnext;
    if (*pp)
	*pp = e->hnext;
    pc->nentries--;
    if (e->touched_ix != (size_t) -1 && e->touched_ix < pc->ntouched)
	pc->touched[e->touched_ix] = NULL;
    if (e->flight)
	e->flight->e = NULL;
    store_rec_free(&e->rec);
    free(e->mx_info);
    buf_free(&e->ans_policy);
    buf_free(&e->ans_allowed);
    free(e);
}

/* mode_word - the policy's mode as a word (logs) */
static const char *mode_word(policy_mode m)
{
    return m == POLICY_MODE_ENFORCE ? "enforce" : m == POLICY_MODE_TESTING ? "testing" : "none";
}

/* pc_policy_valid - a cached policy whose fetched + max_age is ahead */
int pc_policy_valid(const pc_entry *e, int64_t now)
{
    return e->rec.has_policy && e->rec.expires > now;
}

/* policy_wants_mx - MX/TLSA status matters for testing and enforce */
static int policy_wants_mx(const pc_entry *e)
{
    return e->rec.has_policy && e->rec.mode != POLICY_MODE_NONE;
}

/* mx_fresh - the MX/TLSA status is recent enough to answer with */
static int mx_fresh(const policy_cache *pc, const pc_entry *e, int64_t now)
{
    return e->mx_checked
	&& (uint64_t) (now - e->mx_checked) * 1000 < pc->cfg->txt_recheck_interval_ms;
}

/* in_window - still inside the domain's first-contact window */
static int in_window(const policy_cache *pc, const pc_entry *e, int64_t now)
{
    uint64_t w = pc->cfg->first_contact_window_ms;

    return w > 0 && e->rec.first_contact > 0
	&& (uint64_t) (now - e->rec.first_contact) * 1000 < w;
}

/* in_backoff - a fetch of this id failed less than fetch_backoff ago */
static int in_backoff(const policy_cache *pc, const pc_entry *e, const char *id, int64_t now)
{
    return e->rec.fail_id[0] && id && strcmp(e->rec.fail_id, id) == 0
	&& (uint64_t) (now - e->rec.fail_time) * 1000 < pc->cfg->fetch_backoff_ms;
}

/* touch - remember a use for the next batched commit */
static void touch(policy_cache *pc, pc_entry *e, int64_t now)
{
    e->rec.last_used = now;
    if (e->touched_ix != (size_t) -1)
	return;
    if (pc->ntouched == pc->captouched) {
	size_t n = pc->captouched ? pc->captouched * 2 : 256;
	pc_entry **v = realloc(pc->touched, n * sizeof(*v));

	if (v == NULL)
	    return;			/* this use is not recorded: harmless */
	pc->touched = v;
	pc->captouched = n;
    }
    e->touched_ix = pc->ntouched;
    pc->touched[pc->ntouched++] = e;
}

/* persist - write e's record with its new policy text, at once, in one transaction */
static void persist(policy_cache *pc, pc_entry *e, const char *text, size_t text_len)
{
    store_rec r = e->rec;
    mt_err err;

    r.text = (char *) text;
    r.text_len = text_len;
    pc->writing++;
    if (store_put(pc->st, e->domain, &r, &err) < 0) {
	pc->st_.store_errors++;
	log_msg(LOG_ERR, "%s: cannot store the policy: %s", e->domain, err.msg);
    }
    write_end(pc);
}

/*
 * mark_dirty - e's state (first contact, failures, last use) changed: it is
 * written with the next batch (pc_commit(), every PC_TOUCH_INTERVAL_MS and
 * at exit), not now - a synchronous write per failed lookup would put an
 * fsync on the event loop for every unknown domain. A crash loses at most
 * that interval of such state, never a policy.
 */
static void mark_dirty(policy_cache *pc, pc_entry *e)
{
    touch(pc, e, e->rec.last_used);
}

/* same_policy - the fetched policy is the cached one (id, mode, max_age, mx) */
static int same_policy(const pc_entry *e, const disc_result *r)
{
    size_t i;

    if (!e->rec.has_policy || strcmp(e->rec.id, r->id) != 0 || e->rec.mode != r->policy.mode
	|| e->rec.max_age != r->policy.max_age || e->rec.n_mx != r->policy.n_mx)
	return 0;
    for (i = 0; i < e->rec.n_mx; i++)
	if (strcmp(e->rec.mx[i], r->policy.mx[i]) != 0)
	    return 0;
    return 1;
}

/* set_policy - a newly fetched valid policy replaces whatever was cached */
static void set_policy(policy_cache *pc, pc_entry *e, const disc_result *r, int64_t now)
{
    int had = pc_policy_valid(e, now);
    int same = had && same_policy(e, r);
    uint32_t life = r->policy.max_age;
    uint64_t min_life = pc->cfg->min_cache_lifetime_ms / 1000;

    if (store_rec_set_mx(&e->rec, r->policy.mx, r->policy.n_mx) < 0) {
	log_msg(LOG_ERR, "%s: out of memory storing the policy", e->domain);
	return;
    }
    if (had && !same) {
	pc->st_.policies_replaced++;
	if (strcmp(e->rec.id, r->id) == 0)
	    log_msg(LOG_NOTICE, "%s: policy id %s changed its content (mode %s, max_age %u)",
		    e->domain, r->id, mode_word(r->policy.mode), (unsigned) life);
	else
	    log_msg(LOG_NOTICE, "%s: policy id %s replaces %s (mode %s, max_age %u)", e->domain,
		    r->id, e->rec.id, mode_word(r->policy.mode), (unsigned) life);
    } else if (same) {		/* a proactive refresh: routine, one per policy and day */
	log_msg(LOG_DEBUG, "%s: policy id %s fetched again, unchanged", e->domain, r->id);
    } else {
	log_msg(LOG_INFO, "%s: policy id %s cached (mode %s, max_age %u)", e->domain, r->id,
		mode_word(r->policy.mode), (unsigned) life);
    }
    e->rec.has_policy = 1;
    e->rec.mode = r->policy.mode;
    snprintf(e->rec.id, sizeof(e->rec.id), "%s", r->id);
    e->rec.max_age = life;
    e->rec.fetched = now;
    /* Named minimum: max_age 0 or 1 is legal, but must not mean a fetch per message. */
    e->rec.expires = now + (int64_t) (life > min_life ? life : min_life);
    e->rec.refresh_due = refresh_due_time(pc->cfg, e->domain, now, e->rec.expires);
    e->rec.last_failure = STORE_FAIL_NONE;
    e->rec.fail_id[0] = 0;
    e->rec.fail_time = 0;
    e->rec.fail_count = 0;
    e->last_txt_check = now;
    e->outcome_until = 0;
    buf_reset(&e->ans_policy);
    buf_reset(&e->ans_allowed);
    pc->st_.policies_stored++;
    persist(pc, e, r->policy_text ? r->policy_text : "",
	    r->policy_text ? strlen(r->policy_text) : 0);
}

/* record_failure - a fetch or lookup failed; remember it for back-off */
static void record_failure(pc_entry *e, store_failure kind, const char *id, int64_t now)
{
    e->rec.last_failure = kind;
    e->rec.fail_time = now;
    e->rec.fail_count++;
    if (id && id[0])
	snprintf(e->rec.fail_id, sizeof(e->rec.fail_id), "%s", id);
}

/* set_outcome - the no-policy answer, remembered for a while */
static void set_outcome(policy_cache *pc, pc_entry *e, pc_status s, const char *reason,
			int64_t now)
{
    e->last_outcome = s;
    e->outcome_seq++;
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
    e->outcome_until = now + (int64_t) (pc->cfg->failure_recheck_interval_ms / 1000);
}

/* dns_reason - a word for a failed TXT lookup */
static const char *dns_reason(const disc_result *r)
{
    switch (r->txt_outcome) {
    case DNS_SERVFAIL:
	return "dns-servfail";
    case DNS_TIMEOUT:
	return "dns-timeout";
    case DNS_BOGUS:
	return "dnssec-bogus";
    default:
	return r->txt_sec == DNS_SEC_BOGUS ? "dnssec-bogus" : "dns-error";
    }
}

/* fetch_failed - whether the result is a failure of the HTTPS fetch */
static int fetch_failed(const disc_result *r)
{
    return r->fetched || r->failure != FETCH_FAIL_NONE;
}

/* failure_reason - a word for a definitive fetch failure */
static const char *failure_reason(const disc_result *r)
{
    switch (r->failure) {
    case FETCH_FAIL_POLICY_INVALID:
	return "policy-invalid";
    case FETCH_FAIL_WEBPKI_INVALID:
	return "webpki-invalid";
    default:
	return "policy-fetch-error";
    }
}

/* no_record_reason - why a TXT answer held no usable record */
static const char *no_record_reason(const disc_result *r)
{
    switch (r->txt_set) {
    case STS_SET_MANY:
	return "several-records";
    case STS_SET_INVALID:
	return "invalid-record";
    default:
	return "no-record";
    }
}

/* copy_mx - keep a DISC_WITH_MX result's hosts and TLSA status */
static void copy_mx(pc_entry *e, const disc_result *r, int64_t now)
{
    pc_mx_info *v = NULL;
    size_t i;

    if (r->mx_outcome != DNS_OK && r->mx_outcome != DNS_NODATA && r->mx_outcome != DNS_NXDOMAIN)
	return;				/* no answer: keep what we had */
    if (r->n_mx && (v = calloc(r->n_mx, sizeof(*v))) == NULL)
	return;
    for (i = 0; i < r->n_mx; i++) {
	snprintf(v[i].host, sizeof(v[i].host), "%s", r->mx[i].host);
	v[i].tlsa_usable = r->mx[i].tlsa_usable;
    }
    free(e->mx_info);
    e->mx_info = v;
    e->n_mx_info = r->n_mx;
    e->mx_checked = now;
    e->mx_secure = r->mx_sec == DNS_SEC_SECURE;
}

/* call_hook - tell TLS-RPT about a failed fetch */
static void call_hook(policy_cache *pc, pc_entry *e, const disc_result *r)
{
    if (pc->fail_hook)
	pc->fail_hook(pc->fail_arg, e->domain, r);
}

static pc_flight *flight_start(policy_cache *pc, pc_entry *e, enum flight_kind kind,
			       unsigned flags, const char *known_id);

/* full_result - the end of a discovery for a domain without a valid policy */
static void full_result(policy_cache *pc, pc_entry *e, const disc_result *r, int64_t now)
{
    switch (r->status) {
    case DISC_POLICY:
	set_policy(pc, e, r, now);
	return;
    case DISC_UNCHANGED:		/* the id whose fetch failed, still backing off */
	set_outcome(pc, e, e->rec.last_failure == STORE_FAIL_TEMP ? PC_TEMPFAIL : PC_NONE,
		    "fetch-backoff", now);
	break;
    case DISC_NO_POLICY:
	if (fetch_failed(r)) {
	    pc->st_.fetch_failures++;
	    record_failure(e, STORE_FAIL_DEFINITIVE, r->id, now);
	    log_msg(LOG_WARNING, "%s: policy fetch for id %s failed: %s", e->domain, r->id,
		    r->reason);
	    call_hook(pc, e, r);
	    set_outcome(pc, e, PC_NONE, failure_reason(r), now);
	} else {
	    pc->st_.no_record++;
	    e->rec.last_failure = STORE_FAIL_NO_RECORD;
	    log_msg(LOG_DEBUG, "%s: no MTA-STS policy: %s", e->domain, r->reason);
	    set_outcome(pc, e, PC_NONE, no_record_reason(r), now);
	}
	break;
    case DISC_TEMPFAIL:
	pc->st_.temp_failures++;
	if (fetch_failed(r)) {
	    record_failure(e, STORE_FAIL_TEMP, r->id, now);
	    log_msg(LOG_WARNING, "%s: policy host unreachable for id %s: %s", e->domain,
		    r->id, r->reason);
	    call_hook(pc, e, r);
	    set_outcome(pc, e, PC_TEMPFAIL, "fetch-unreachable", now);
	} else {
	    record_failure(e, STORE_FAIL_TEMP, NULL, now);
	    log_msg(LOG_WARNING, "%s: MTA-STS TXT lookup failed (%s): %s", e->domain,
		    dns_reason(r), r->reason);
	    set_outcome(pc, e, PC_TEMPFAIL, dns_reason(r), now);
	}
	break;
    case DISC_TXT_OK:			/* not asked for; treat as "try again" */
	set_outcome(pc, e, PC_TEMPFAIL, "internal", now);
	break;
    }
    mark_dirty(pc, e);
}

/* recheck_result - the background TXT re-check of a cached policy */
static void recheck_result(policy_cache *pc, pc_entry *e, const disc_result *r, int64_t now)
{
    e->last_txt_check = now;
    copy_mx(e, r, now);
    switch (r->status) {
    case DISC_TXT_OK:
	if (strcmp(r->id, e->rec.id) == 0 || !e->rec.has_policy)
	    break;
	if (in_backoff(pc, e, r->id, now)) {
	    log_msg(LOG_DEBUG, "%s: id %s failed to fetch recently; backing off", e->domain,
		    r->id);
	    break;
	}
	log_msg(LOG_INFO, "%s: TXT id changed from %s to %s; fetching", e->domain, e->rec.id,
		r->id);
	(void) flight_start(pc, e, FL_REFETCH, DISC_IF_CHANGED, e->rec.id);
	break;
    case DISC_NO_POLICY:
	log_msg(LOG_NOTICE, "%s: MTA-STS TXT record gone or invalid (%s); the cached policy"
		" stays until it expires", e->domain, r->reason);
	break;
    case DISC_TEMPFAIL:
	log_msg(LOG_WARNING, "%s: TXT re-check failed (%s): %s", e->domain, dns_reason(r),
		r->reason);
	break;
    default:
	break;
    }
}

/* refetch_result - the fetch after a changed id, with a policy cached */
static void refetch_result(policy_cache *pc, pc_entry *e, const disc_result *r, int64_t now)
{
    switch (r->status) {
    case DISC_POLICY:
	set_policy(pc, e, r, now);
	return;
    case DISC_UNCHANGED:
	return;
    case DISC_NO_POLICY:
	if (!fetch_failed(r))
	    return;
	pc->st_.fetch_failures++;
	record_failure(e, STORE_FAIL_DEFINITIVE, r->id, now);
	log_msg(LOG_WARNING, "%s: new policy id %s failed to fetch (%s); keeping id %s",
		e->domain, r->id, r->reason, e->rec.id);
	call_hook(pc, e, r);
	break;
    case DISC_TEMPFAIL:
	pc->st_.temp_failures++;
	record_failure(e, STORE_FAIL_TEMP, r->id, now);
	log_msg(LOG_WARNING, "%s: new policy id %s unreachable (%s); keeping id %s", e->domain,
		r->id, r->reason, e->rec.id);
	if (fetch_failed(r))
	    call_hook(pc, e, r);
	break;
    default:
	return;
    }
    mark_dirty(pc, e);
}

/* refresh_result - a proactive refresh ended: extend, replace, or keep and retry */
static pc_refresh_outcome refresh_result(policy_cache *pc, pc_entry *e, const disc_result *r,
					 int64_t now)
{
    store_failure kind;

    if (r->status == DISC_POLICY) {
	int same = same_policy(e, r);

	set_policy(pc, e, r, now);
	return same ? PC_REFRESH_SAME : PC_REFRESH_REPLACED;
    }
    if (r->status == DISC_TEMPFAIL) {
	pc->st_.temp_failures++;
	kind = STORE_FAIL_TEMP;
    } else if (fetch_failed(r)) {
	pc->st_.fetch_failures++;
	kind = STORE_FAIL_DEFINITIVE;
    } else {
	kind = STORE_FAIL_NO_RECORD;	/* RFC 8461 §3.3: the cached policy stays */
    }
    record_failure(e, kind, fetch_failed(r) ? r->id : NULL, now);
    /* After expiry the policy is fetched on demand again, not kept alive. */
    e->rec.refresh_due = e->rec.expires > now
	? refresh_retry_time(pc->cfg, e->domain, now, e->rec.fail_count, e->rec.expires) : 0;
    persist(pc, e, NULL, 0);
    return PC_REFRESH_FAILED;
}

/* on_result - a discovery finished */
static void on_result(disc_result *r, void *arg)
{
    pc_flight *f = arg;
    policy_cache *pc = f->pc;
    pc_entry *e = f->e;
    int64_t now = (int64_t) time(NULL);
    pc_refresh_outcome o = PC_REFRESH_GONE;

    /* The store writes below (the policy, TLS-RPT's counters through the
     * failure hook) may evict; e must outlive them and settle(). */
    pc->writing++;
    if (f->prev)
	f->prev->next = f->next;
    else
	pc->flights = f->next;
    if (f->next)
	f->next->prev = f->prev;
    pc->st_.flying--;
    if (e != NULL) {
	e->flight = NULL;
	switch (f->kind) {
	case FL_FULL:
	    full_result(pc, e, r, now);
	    break;
	case FL_RECHECK:
	    recheck_result(pc, e, r, now);
	    break;
	case FL_REFETCH:
	    refetch_result(pc, e, r, now);
	    break;
	case FL_REFRESH:
	    o = refresh_result(pc, e, r, now);
	    break;
	}
    }
    if (f->kind == FL_REFRESH && f->refresh_done)
	f->refresh_done(f->refresh_arg, r->domain, o, e ? &e->rec : NULL,
			o == PC_REFRESH_FAILED ? r->reason : NULL);
    pc->be.result_free(r);
    free(f);
    if (e != NULL)
	settle(pc, e);
    write_end(pc);
}

/* flight_start - begin network work for e; NULL when it could not start */
static pc_flight *flight_start(policy_cache *pc, pc_entry *e, enum flight_kind kind,
			       unsigned flags, const char *known_id)
{
    pc_flight *f = calloc(1, sizeof(*f));

    if (f == NULL)
	return NULL;
    f->pc = pc;
    f->e = e;
    f->kind = kind;
    if (pc->be.start(pc->be.engine, e->domain, flags, known_id, on_result, f) < 0) {
	free(f);
	log_msg(LOG_ERR, "%s: cannot start discovery", e->domain);
	return NULL;
    }
    f->next = pc->flights;
    if (pc->flights)
	pc->flights->prev = f;
    pc->flights = f;
    e->flight = f;
    log_msg(LOG_DEBUG, "%s: discovery started (%s%s%s)", e->domain,
	    kind == FL_FULL ? "full" : kind == FL_RECHECK ? "TXT re-check" : "re-fetch",
	    known_id ? ", known id " : "", known_id ? known_id : "");
    pc->st_.flights++;
    pc->st_.flying++;
    if (kind == FL_RECHECK)
	pc->st_.rechecks++;
    return f;
}

/* start_full - the discovery for a domain without a valid policy */
static int start_full(policy_cache *pc, pc_entry *e, int64_t now)
{
    if (e->rec.fail_id[0] && in_backoff(pc, e, e->rec.fail_id, now))
	return flight_start(pc, e, FL_FULL, DISC_IF_CHANGED, e->rec.fail_id) ? 0 : -1;
    return flight_start(pc, e, FL_FULL, 0, NULL) ? 0 : -1;
}

/* start_recheck - TXT id (and, when it matters, MX/TLSA) of a cached policy */
static int start_recheck(policy_cache *pc, pc_entry *e)
{
    unsigned flags = DISC_TXT_ONLY | (policy_wants_mx(e) ? DISC_WITH_MX : 0);

    return flight_start(pc, e, FL_RECHECK, flags, NULL) ? 0 : -1;
}

/* outcome_answer - the remembered no-policy outcome, window applied */
static void outcome_answer(const policy_cache *pc, const pc_entry *e, int64_t now,
			   pc_answer *a)
{
    a->e = e;
    a->reason = e->reason;
    a->mx_known = 0;
    a->status = e->last_outcome == PC_TEMPFAIL && in_window(pc, e, now) ? PC_TEMPFAIL : PC_NONE;
}

/* count_answer - statistics per status */
static void count_answer(policy_cache *pc, const pc_answer *a)
{
    switch (a->status) {
    case PC_POLICY:
	pc->st_.answers_policy++;
	break;
    case PC_NONE:
	pc->st_.answers_none++;
	break;
    case PC_TEMPFAIL:
	pc->st_.answers_tempfail++;
	break;
    case PC_ERROR:
	pc->st_.answers_error++;
	break;
    }
}

/* wait_unlink - take w off its entry and cancel its timer */
static void wait_unlink(pc_wait *w)
{
    pc_entry *e = w->e;

    if (w->prev)
	w->prev->next = w->next;
    else
	e->waiters = w->next;
    if (w->next)
	w->next->prev = w->prev;
    if (w->deadline)
	evloop_timer_cancel(w->pc->loop, w->deadline);
    w->pc->st_.waiting--;
}

/* wait_answer - give w its answer and free it */
static void wait_answer(pc_wait *w, const pc_answer *a)
{
    pc_done_fn done = w->done;
    void *arg = w->arg;

    wait_unlink(w);
    count_answer(w->pc, a);
    free(w);
    done(arg, a);
}

/* settle - answer every waiter that can be answered; start what is missing */
static void settle(policy_cache *pc, pc_entry *e)
{
    int64_t now = (int64_t) time(NULL);
    pc_wait *w, *next;
    pc_answer a;

    for (w = e->waiters; w; w = next) {
	next = w->next;
	memset(&a, 0, sizeof(a));
	a.e = e;
	if (pc_policy_valid(e, now)) {
	    int need_mx = (w->flags & PC_Q_MX) && policy_wants_mx(e) && !mx_fresh(pc, e, now);

	    if (need_mx && e->flight)
		continue;
	    if (need_mx && !w->mx_started) {
		w->mx_started = 1;
		if (start_recheck(pc, e) == 0)
		    continue;
	    }
	    a.status = PC_POLICY;
	    a.mx_known = mx_fresh(pc, e, now);
	    wait_answer(w, &a);
	    continue;
	}
	if (e->flight)
	    continue;
	if (e->outcome_until > now || e->outcome_seq != w->seq) {
	    outcome_answer(pc, e, now, &a);
	    wait_answer(w, &a);
	    continue;
	}
	if (start_full(pc, e, now) == 0)
	    continue;
	a.status = PC_ERROR;
	a.reason = "cannot-start-discovery";
	wait_answer(w, &a);
    }
}

/* on_deadline - a waiter waited answer_deadline: answer from what is known */
static void on_deadline(evloop *loop, void *arg)
{
    pc_wait *w = arg;
    pc_entry *e = w->e;
    int64_t now = (int64_t) time(NULL);
    pc_answer a;

    (void) loop;
    w->deadline = NULL;
    w->pc->st_.deadline_expired++;
    memset(&a, 0, sizeof(a));
    a.e = e;
    if (pc_policy_valid(e, now)) {
	a.status = PC_POLICY;
	a.mx_known = mx_fresh(w->pc, e, now);
    } else {
	a.status = in_window(w->pc, e, now) ? PC_TEMPFAIL : PC_NONE;
	a.reason = "answer-deadline";
	log_msg(LOG_NOTICE, "%s: discovery still running at the answer deadline: %s",
		e->domain, a.status == PC_TEMPFAIL ? "tempfail (first-contact window)" : "none");
    }
    wait_answer(w, &a);
}

/* pc_query - the policy of a domain: now, or later through done */
int pc_query(policy_cache *pc, const char *domain, unsigned flags, pc_answer *now_ans,
	     pc_done_fn done, void *arg, pc_wait **wait)
{
    int64_t now = (int64_t) time(NULL);
    pc_entry *e = entry_find(pc, domain);
    pc_wait *w;
    int valid;

    memset(now_ans, 0, sizeof(*now_ans));
    *wait = NULL;
    if (e && pc_policy_valid(e, now)) {
	touch(pc, e, now);
	if (!e->flight && (uint64_t) (now - e->last_txt_check) * 1000
	    >= pc->cfg->txt_recheck_interval_ms)
	    (void) start_recheck(pc, e);	/* stale-while-revalidate */
	if (!(flags & PC_Q_MX) || !policy_wants_mx(e) || mx_fresh(pc, e, now)) {
	    pc->st_.hits++;
	    now_ans->status = PC_POLICY;
	    now_ans->e = e;
	    now_ans->mx_known = mx_fresh(pc, e, now);
	    count_answer(pc, now_ans);
	    return 1;
	}
    }
    if (e == NULL && (e = entry_new(pc, domain)) == NULL) {
	now_ans->status = PC_ERROR;
	now_ans->reason = "out-of-memory";
	count_answer(pc, now_ans);
	return 1;
    }
    if (e->rec.first_contact == 0)
	e->rec.first_contact = now;
    touch(pc, e, now);
    valid = pc_policy_valid(e, now);
    if (!valid && !e->flight && !(flags & PC_Q_FORCE) && e->outcome_until > now) {
	pc->st_.remembered++;
	pc->st_.misses++;
	outcome_answer(pc, e, now, now_ans);
	count_answer(pc, now_ans);
	return 1;
    }
    if ((w = calloc(1, sizeof(*w))) == NULL) {
	now_ans->status = PC_ERROR;
	now_ans->reason = "out-of-memory";
	count_answer(pc, now_ans);
	return 1;
    }
    w->pc = pc;
    w->e = e;
    w->flags = flags;
    w->seq = e->outcome_seq;
    w->done = done;
    w->arg = arg;
    if (!valid)
	pc->st_.misses++;
    if (e->flight) {
	pc->st_.coalesced++;
    } else if ((valid ? (w->mx_started = 1, start_recheck(pc, e)) : start_full(pc, e, now)) < 0) {
	free(w);
	/* A valid cached policy is answered at once, always: here without MX status. */
	now_ans->status = valid ? PC_POLICY : PC_ERROR;
	now_ans->reason = valid ? NULL : "cannot-start-discovery";
	now_ans->e = e;
	now_ans->mx_known = 0;
	count_answer(pc, now_ans);
	return 1;
    }
    w->deadline = evloop_timer(pc->loop, pc->cfg->answer_deadline_ms, on_deadline, w);
    w->next = e->waiters;
    if (e->waiters)
	e->waiters->prev = w;
    e->waiters = w;
    pc->st_.waiting++;
    *wait = w;
    return 0;
}

/* pc_wait_cancel - the asker went away */
void pc_wait_cancel(pc_wait *w)
{
    if (w == NULL)
	return;
    wait_unlink(w);
    free(w);
}

/* pc_find - the entry of a domain, if known */
const pc_entry *pc_find(policy_cache *pc, const char *domain)
{
    return entry_find(pc, domain);
}

/* pc_find_mut - the same, for verbs filling the cached answer texts */
pc_entry *pc_find_mut(policy_cache *pc, const char *domain)
{
    return entry_find(pc, domain);
}

/* pc_flush - forget a domain's policy and failure state */
int pc_flush(policy_cache *pc, const char *domain, mt_err *err)
{
    pc_entry *e;

    if (store_del(pc->st, domain, err) < 0)
	return -1;
    if ((e = entry_find(pc, domain)) == NULL)	/* after: the delete may evict */
	return 0;
    log_msg(LOG_NOTICE, "%s: flushed from the cache", domain);
    if (e->waiters == NULL) {
	entry_free(pc, e);
	return 0;
    }
    /* Someone waits: keep the entry, forget what it knew. */
    if (e->flight) {
	e->flight->e = NULL;
	e->flight = NULL;
    }
    store_rec_free(&e->rec);
    store_rec_init(&e->rec);
    e->rec.first_contact = (int64_t) time(NULL);
    e->outcome_until = 0;
    e->mx_checked = 0;
    buf_reset(&e->ans_policy);
    buf_reset(&e->ans_allowed);
    settle(pc, e);
    return 0;
}

/* pc_foreach - every entry */
void pc_foreach(policy_cache *pc, pc_visit_fn fn, void *arg)
{
    size_t i;
    pc_entry *e;

    for (i = 0; i < pc->nbucket; i++)
	for (e = pc->bucket[i]; e; e = e->hnext)
	    if (fn(e, arg))
		return;
}

/* pc_get_stats - counters */
void pc_get_stats(const policy_cache *pc, pc_stats *st)
{
    *st = pc->st_;
    st->entries = pc->nentries;
}

/* pc_set_failure_hook - who hears about failed fetches (TLS-RPT) */
void pc_set_failure_hook(policy_cache *pc, pc_failure_fn fn, void *arg)
{
    pc->fail_hook = fn;
    pc->fail_arg = arg;
}

/* pc_commit - write the batched state of touched entries, one transaction */
int pc_commit(policy_cache *pc)
{
    const char **names;
    const store_rec **recs;
    size_t i, n = 0;
    mt_err err;
    int rc = 0;

    if (pc->ntouched == 0)
	return 0;
    names = calloc(pc->ntouched, sizeof(*names));
    recs = calloc(pc->ntouched, sizeof(*recs));
    if (names == NULL || recs == NULL) {
	free(names);
	free(recs);
	return -1;
    }
    for (i = 0; i < pc->ntouched; i++) {
	pc_entry *e = pc->touched[i];

	if (e == NULL)
	    continue;
	e->touched_ix = (size_t) -1;
	names[n] = e->domain;
	recs[n] = &e->rec;		/* text NULL: the stored policy text stays */
	n++;
    }
    pc->ntouched = 0;
    pc->writing++;
    if (store_put_many(pc->st, names, recs, n, &err) < 0) {
	log_msg(LOG_ERR, "cannot record the state of %zu domains: %s", n, err.msg);
	pc->st_.store_errors++;
	rc = -1;
    }
    free(names);
    free(recs);
    write_end(pc);
    return rc;
}

/* pc_refresh - the proactive refresh of a domain with a policy */
int pc_refresh(policy_cache *pc, const char *domain, pc_refresh_fn done, void *arg)
{
    pc_entry *e = entry_find(pc, domain);
    pc_flight *f;

    if (e == NULL || !e->rec.has_policy) {
	/* Nothing to refresh: take the domain off the schedule. */
	store_rec rec;
	mt_err err;

	if (e != NULL) {
	    e->rec.refresh_due = 0;
	    persist(pc, e, NULL, 0);
	} else if (store_get(pc->st, domain, &rec, &err) == 1) {
	    rec.refresh_due = 0;
	    if (store_put(pc->st, domain, &rec, &err) < 0)
		log_msg(LOG_ERR, "%s: cannot unschedule the refresh: %s", domain, err.msg);
	    store_rec_free(&rec);
	}
	return -1;
    }
    if (e->flight)
	return 1;
    if ((f = flight_start(pc, e, FL_REFRESH, 0, NULL)) == NULL)
	return -1;
    f->refresh_done = done;
    f->refresh_arg = arg;
    return 0;
}

/* pc_refresh_cancel_all - nobody hears the outcome of running refreshes */
void pc_refresh_cancel_all(policy_cache *pc)
{
    pc_flight *f;

    for (f = pc->flights; f; f = f->next)
	if (f->kind == FL_REFRESH)
	    f->refresh_done = NULL;
}

/* on_commit_timer - batched last-use times, once a minute */
static void on_commit_timer(evloop *loop, void *arg)
{
    policy_cache *pc = arg;

    pc->commit_timer = evloop_timer(loop, PC_TOUCH_INTERVAL_MS, on_commit_timer, pc);
    (void) pc_commit(pc);
}

/* evictable - an entry eviction may free: no flight or waiter holds it */
static int evictable(const pc_entry *e)
{
    return !e->flight && !e->waiters;
}

/*
 * last_use - the store's eviction asks for a domain's freshest use: the
 * store's last_used may be PC_TOUCH_INTERVAL_MS old (batched commits), the
 * entry's is now. An entry with network work or waiters is STORE_IN_USE.
 */
static int64_t last_use(const char *domain, void *arg)
{
    const pc_entry *e = entry_find(arg, domain);

    if (e == NULL)
	return 0;
    return evictable(e) ? e->rec.last_used : STORE_IN_USE;
}

/*
 * on_evict - the store deleted a domain: follow it in memory. The store
 * ranked it by its use in memory too (last_use()), so it is among the
 * coldest even when its state waits for the next commit; it goes from
 * memory as well (its policy text went with the record, and a later
 * lookup is a first contact). Inside a write (pc_commit()'s names[] and
 * recs[] point into entries, on_result() holds one) the domain is queued
 * and freed by write_end().
 */
static void on_evict(const char *domain, void *arg)
{
    policy_cache *pc = arg;
    pc_entry *e = entry_find(pc, domain);
    char *name;

    if (e == NULL || !evictable(e))
	return;
    if (!pc->writing) {
	entry_free(pc, e);
	return;
    }
    if (pc->nevicted == pc->capevicted) {
	size_t n = pc->capevicted ? pc->capevicted * 2 : 64;
	char **v = realloc(pc->evicted, n * sizeof(*v));

	if (v == NULL)
	    return;			/* stays in memory: correct, only larger */
	pc->evicted = v;
	pc->capevicted = n;
    }
    if ((name = strdup(domain)) != NULL)
	pc->evicted[pc->nevicted++] = name;
}

/*
 * write_end - a store write is over; at the outermost, free the entries
 * evicted meanwhile that are still evictable and that no retried batch
 * wrote back after their eviction (store_put_many() writes back a state
 * record, never a policy without its text).
 */
static void write_end(policy_cache *pc)
{
    size_t i;

    if (--pc->writing > 0)
	return;
    for (i = 0; i < pc->nevicted; i++) {
	pc_entry *e = entry_find(pc, pc->evicted[i]);
	store_rec r;
	mt_err err;

	free(pc->evicted[i]);
	if (e == NULL || !evictable(e))
	    continue;
	if (store_get(pc->st, e->domain, &r, &err) == 0)
	    entry_free(pc, e);
	store_rec_free(&r);
    }
    pc->nevicted = 0;
}

/* load_one - an entry from a stored record */
static int load_one(const char *domain, const store_rec *r, void *arg)
{
    policy_cache *pc = arg;
    pc_entry *e = entry_find(pc, domain);

    if (e == NULL && (e = entry_new(pc, domain)) == NULL)
	return 1;
    if (store_rec_copy(&e->rec, r) < 0) {
	store_rec_init(&e->rec);
	return 1;
    }
    free(e->rec.text);			/* the text stays in the store */
    e->rec.text = NULL;
    e->rec.text_len = 0;
    e->last_txt_check = r->fetched;
    return 0;
}

/* pc_new - the cache, loaded from the store */
policy_cache *pc_new(evloop *loop, const mtasts_config *cfg, store *st, const pc_backend *be,
		     mt_err *err)
{
    policy_cache *pc = calloc(1, sizeof(*pc));
    struct timespec ts;

    if (pc == NULL) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    pc->loop = loop;
    pc->cfg = cfg;
    pc->st = st;
    pc->be = *be;
    clock_gettime(CLOCK_REALTIME, &ts);
    pc->seed = ((uint64_t) ts.tv_nsec << 20) ^ (uint64_t) getpid() ^ (uint64_t) (uintptr_t) pc;
    pc->nbucket = PC_HASH_MIN;
    if ((pc->bucket = calloc(pc->nbucket, sizeof(*pc->bucket))) == NULL) {
	free(pc);
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    if (store_foreach(st, load_one, pc, err) < 0) {
	pc_free(pc);
	return NULL;
    }
    store_set_evict_cb(st, on_evict, pc);
    store_set_lastuse_cb(st, last_use, pc);
    pc->commit_timer = evloop_timer(loop, PC_TOUCH_INTERVAL_MS, on_commit_timer, pc);
    return pc;
}

/* pc_free - commit last uses, drop waiters and flights, free everything */
void pc_free(policy_cache *pc)
{
    size_t i;

    if (pc == NULL)
	return;
    (void) pc_commit(pc);
    if (pc->commit_timer)
	evloop_timer_cancel(pc->loop, pc->commit_timer);
    store_set_evict_cb(pc->st, NULL, NULL);
    store_set_lastuse_cb(pc->st, NULL, NULL);
    while (pc->flights) {
	pc_flight *f = pc->flights;

	pc->flights = f->next;
	if (f->e)
	    f->e->flight = NULL;
	free(f);			/* the engine is freed before us: no callback comes */
    }
    for (i = 0; i < pc->nbucket; i++)
	while (pc->bucket[i]) {
	    pc_entry *e = pc->bucket[i];

	    while (e->waiters)
		pc_wait_cancel(e->waiters);
	    entry_free(pc, e);
	}
    free(pc->bucket);
    free(pc->touched);
    free(pc->evicted);
    free(pc);
}

/* pc_entry_state - one word for listings */
const char *pc_entry_state(const pc_entry *e, int64_t now)
{
    if (pc_policy_valid(e, now))
	return "cached";
    if (e->flight)
	return "pending";
    if (e->rec.has_policy)
	return "expired";
    if (e->rec.last_failure == STORE_FAIL_NO_RECORD)
	return "no-record";
    if (e->rec.last_failure != STORE_FAIL_NONE)
	return "failed";
    return "new";
}

/* pc_status_name - the wire word of a status */
const char *pc_status_name(pc_status s)
{
    switch (s) {
    case PC_POLICY:
	return "ok";
    case PC_NONE:
	return "none";
    case PC_TEMPFAIL:
	return "tempfail";
    default:
	return "error";
    }
}
