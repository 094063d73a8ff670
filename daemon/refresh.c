/*
 * NAME
 *	refresh - proactive refresh of cached policies (RFC 8461 §3.3, §10.2)
 * DESCRIPTION
 *	See refresh.h. The scheduler holds refresh_concurrency slots. Each
 *	tick (and at once when a refresh ends and a slot frees up) it walks
 *	the store's schedule from the earliest key, collects due domains
 *	that are neither running nor over their policy host's limit, ends
 *	the read transaction, and only then starts them through
 *	pc_refresh(): starting one writes to the store when the entry has to
 *	be unscheduled, and LMDB allows one transaction per thread.
 *
 *	The slots are a plain array searched linearly: there are few of
 *	them (16 by default), and the walk looks at no more than
 *	REFRESH_SCAN_MAX keys per tick.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpsl.h>

#include "domain.h"
#include "mt_err.h"
#include "policy.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "refresh.h"
#include "store.h"

typedef struct refresh_slot {
    struct refresh *r;
    int used;
    char domain[DOMAIN_BUF];
    char host[DOMAIN_BUF];		/* refresh_host_key() of the domain */
} refresh_slot;

struct refresh {
    evloop *loop;
    const mtasts_config *cfg;
    store *st;
    policy_cache *pc;
    ev_timer *tick;			/* the periodic walk */
    ev_timer *kick;			/* an early walk after a slot freed up */
    refresh_slot *slots;
    size_t nslots;
    refresh_stats stats;
};

/* One walk: what was collected, and how far it looked. */
typedef struct refresh_walk {
    refresh *r;
    size_t want;			/* free slots */
    size_t looked;
    size_t n;
    struct {
	char domain[DOMAIN_BUF];
	char host[DOMAIN_BUF];
    } *cand;
} refresh_walk;

/* jitter_unit - a pseudo-random number in [0, 1) from a domain and a time */
static double jitter_unit(const char *domain, int64_t t)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t) t;

    while (*domain) {
	h ^= (unsigned char) *domain++;
	h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (double) (h >> 11) / 9007199254740992.0;	/* 2^53 */
}

/* jittered - d moved earlier by up to refresh_jitter_percent of it */
static int64_t jittered(const mtasts_config *cfg, const char *domain, int64_t t, int64_t d)
{
    double cut = (double) d * cfg->refresh_jitter_percent / 100.0 * jitter_unit(domain, t);

    return d - (int64_t) cut;
}

/* seconds - a configured duration in whole seconds */
static int64_t seconds(uint64_t ms)
{
    return (int64_t) (ms / 1000);
}

/* refresh_due_time - when a policy fetched at `fetched` is fetched again */
int64_t refresh_due_time(const mtasts_config *cfg, const char *domain, int64_t fetched,
			 int64_t expires)
{
    int64_t life = expires > fetched ? expires - fetched : 0;
    int64_t d = (int64_t) ((uint64_t) life * cfg->refresh_at_percent / 100);
    int64_t max = seconds(cfg->refresh_max_interval_ms);
    int64_t min = seconds(cfg->refresh_min_interval_ms);

    if (max > 0 && d > max)
	d = max;
    d = jittered(cfg, domain, fetched, d);
    if (d < min)
	d = min;
    if (d < 1)
	d = 1;
    return fetched + d;
}

/* refresh_retry_time - the next attempt after failures failed refreshes */
int64_t refresh_retry_time(const mtasts_config *cfg, const char *domain, int64_t now,
			   uint32_t failures, int64_t expires)
{
    int64_t base = seconds(cfg->fetch_backoff_ms), max = seconds(cfg->refresh_max_interval_ms);
    unsigned shift = failures > 0 ? failures - 1 : 0;
    int64_t d;

    if (base < seconds(cfg->refresh_min_interval_ms))
	base = seconds(cfg->refresh_min_interval_ms);
    if (base < 1)
	base = 1;
    if (shift > REFRESH_BACKOFF_SHIFT_MAX)
	shift = REFRESH_BACKOFF_SHIFT_MAX;
    d = base << shift;
    if (max > 0 && d > max)
	d = max;
    /* Several more attempts before the policy expires, not one at the end. */
    if (expires > now && d > (expires - now) / 2)
	d = (expires - now) / 2;
    d = jittered(cfg, domain, now, d);
    if (d < base)
	d = base;
    return now + d;
}

/* refresh_host_key - the policy host's registrable domain, for per-host limits */
int refresh_host_key(const char *domain, char *out, size_t outsz)
{
    static const psl_ctx_t *psl;
    static int psl_tried;
    char host[DOMAIN_BUF + 8];
    const char *reg = NULL;

    if (snprintf(host, sizeof(host), "mta-sts.%s", domain) >= (int) sizeof(host))
	return -1;
    if (!psl_tried) {
	psl = psl_builtin();		/* static data: nothing to free */
	psl_tried = 1;
    }
    if (psl)
	reg = psl_registrable_domain(psl, host);
    if (reg == NULL)
	reg = host;
    if (snprintf(out, outsz, "%s", reg) >= (int) outsz)
	return -1;
    return 0;
}

/* running_count - how many slots run this domain (0/1) and this host */
static void running_count(const refresh *r, const char *domain, const char *host,
			  int *same_domain, int *same_host)
{
    size_t i;

    *same_domain = *same_host = 0;
    for (i = 0; i < r->nslots; i++) {
	if (!r->slots[i].used)
	    continue;
	if (strcmp(r->slots[i].domain, domain) == 0)
	    (*same_domain)++;
	if (strcmp(r->slots[i].host, host) == 0)
	    (*same_host)++;
    }
}

/* collect - one schedule key: take it if it may start now */
static int collect(const char *domain, int64_t due, void *arg)
{
    refresh_walk *w = arg;
    refresh *r = w->r;
    char host[DOMAIN_BUF];
    int same_domain, same_host;
    size_t i;

    (void) due;
    if (++w->looked > REFRESH_SCAN_MAX)
	return 1;
    if (refresh_host_key(domain, host, sizeof(host)) < 0)
	snprintf(host, sizeof(host), "%s", domain);
    running_count(r, domain, host, &same_domain, &same_host);
    if (same_domain)
	return 0;
    for (i = 0; i < w->n; i++)
	if (strcmp(w->cand[i].host, host) == 0)
	    same_host++;
    if (same_host >= r->cfg->refresh_per_host) {
	r->stats.deferred_host++;
	return 0;
    }
    snprintf(w->cand[w->n].domain, sizeof(w->cand[w->n].domain), "%s", domain);
    snprintf(w->cand[w->n].host, sizeof(w->cand[w->n].host), "%s", host);
    return ++w->n >= w->want;
}

/* free_slot - a slot not in use, or NULL */
static refresh_slot *free_slot(refresh *r)
{
    size_t i;

    for (i = 0; i < r->nslots; i++)
	if (!r->slots[i].used)
	    return &r->slots[i];
    return NULL;
}

/* life_left - "3h 20m" or "expired" */
static void life_left(int64_t secs, char *out, size_t outsz)
{
    if (secs <= 0)
	snprintf(out, outsz, "expired");
    else if (secs >= 86400)
	snprintf(out, outsz, "%lldd %lldh", (long long) (secs / 86400),
		 (long long) (secs % 86400 / 3600));
    else if (secs >= 3600)
	snprintf(out, outsz, "%lldh %lldm", (long long) (secs / 3600),
		 (long long) (secs % 3600 / 60));
    else
	snprintf(out, outsz, "%lldm %llds", (long long) (secs / 60), (long long) (secs % 60));
}

/* log_failure - RFC 8461 §10.2: failed refreshes are logged loudly (unless mode none) */
static void log_failure(const char *domain, const store_rec *rec, const char *reason)
{
    int64_t now = (int64_t) time(NULL);
    char left[32], next[32];
    int prio;

    life_left(rec->expires - now, left, sizeof(left));
    life_left(rec->refresh_due - now, next, sizeof(next));
    if (rec->mode == POLICY_MODE_NONE)
	prio = LOG_INFO;
    else if (rec->refresh_due == 0 || rec->refresh_due >= rec->expires)
	prio = LOG_ERR;
    else
	prio = LOG_WARNING;
    if (rec->refresh_due == 0)
	log_msg(prio, "%s: policy refresh failed (%s); the cached %s policy id %s has expired"
		" and is no longer refreshed", domain, reason, policy_mode_name(rec->mode), rec->id);
    else
	log_msg(prio, "%s: policy refresh failed (%s, %u in a row); keeping the cached %s"
		" policy id %s (expires in %s); next attempt in %s", domain, reason,
		(unsigned) rec->fail_count, policy_mode_name(rec->mode), rec->id, left, next);
}

static void kick(refresh *r);

/* on_done - a refresh ended: count it, log failures, free its slot */
static void on_done(void *arg, const char *domain, pc_refresh_outcome o, const store_rec *rec,
		    const char *reason)
{
    refresh_slot *s = arg;
    refresh *r = s->r;

    switch (o) {
    case PC_REFRESH_SAME:
	r->stats.same++;
	log_msg(LOG_DEBUG, "%s: policy refreshed, unchanged (id %s)", domain, rec->id);
	break;
    case PC_REFRESH_REPLACED:
	r->stats.replaced++;
	break;				/* policy_cache logged the new policy */
    case PC_REFRESH_FAILED:
	r->stats.failed++;
	log_failure(domain, rec, reason ? reason : "unknown");
	break;
    case PC_REFRESH_GONE:
	r->stats.gone++;
	break;
    }
    s->used = 0;
    r->stats.running--;
    kick(r);
}

/* run - start refreshes for due domains while slots are free */
static void run(refresh *r)
{
    struct timespec t0, t1;
    refresh_walk w = {0};
    mt_err err;
    size_t i;

    w.r = r;
    w.want = r->nslots - (size_t) r->stats.running;
    if (w.want == 0)
	return;
    if ((w.cand = calloc(w.want, sizeof(*w.cand))) == NULL)
	return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (store_schedule_due(r->st, (int64_t) time(NULL), collect, &w, &err) < 0)
	log_msg(LOG_ERR, "refresh: cannot read the schedule: %s", err.msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->stats.scan_ns += (uint64_t) ((t1.tv_sec - t0.tv_sec) * 1000000000LL
				    + (t1.tv_nsec - t0.tv_nsec));
    for (i = 0; i < w.n; i++) {
	refresh_slot *s = free_slot(r);
	int rc;

	if (s == NULL)
	    break;
	snprintf(s->domain, sizeof(s->domain), "%s", w.cand[i].domain);
	snprintf(s->host, sizeof(s->host), "%s", w.cand[i].host);
	s->used = 1;
	r->stats.running++;
	rc = pc_refresh(r->pc, s->domain, on_done, s);
	if (rc == 0) {
	    r->stats.started++;
	    log_msg(LOG_DEBUG, "%s: refreshing the cached policy", s->domain);
	    continue;
	}
	s->used = 0;
	r->stats.running--;
	if (rc == 1)
	    r->stats.deferred_busy++;
    }
    free(w.cand);
}

/* on_tick - the periodic walk */
static void on_tick(evloop *loop, void *arg)
{
    refresh *r = arg;

    r->tick = evloop_timer(loop, REFRESH_TICK_MS, on_tick, r);
    r->stats.ticks++;
    run(r);
}

/* on_kick - the early walk */
static void on_kick(evloop *loop, void *arg)
{
    refresh *r = arg;

    (void) loop;
    r->kick = NULL;
    run(r);
}

/* kick - walk again soon (once), to refill a slot that freed up */
static void kick(refresh *r)
{
    if (r->kick == NULL)
	r->kick = evloop_timer(r->loop, 0, on_kick, r);
}

/* refresh_new - the scheduler, its first walk at the next loop turn */
refresh *refresh_new(evloop *loop, const mtasts_config *cfg, store *st, policy_cache *pc,
		     mt_err *err)
{
    refresh *r = calloc(1, sizeof(*r));
    size_t i;

    if (r == NULL) {
	mt_err_set(err, 0, 0, NULL, "refresh: out of memory");
	return NULL;
    }
    r->loop = loop;
    r->cfg = cfg;
    r->st = st;
    r->pc = pc;
    r->nslots = cfg->refresh_concurrency > 0 ? (size_t) cfg->refresh_concurrency : 1;
    if ((r->slots = calloc(r->nslots, sizeof(*r->slots))) == NULL) {
	free(r);
	mt_err_set(err, 0, 0, NULL, "refresh: out of memory");
	return NULL;
    }
    for (i = 0; i < r->nslots; i++)
	r->slots[i].r = r;
    r->tick = evloop_timer(loop, 0, on_tick, r);
    return r;
}

/* refresh_free - stop the scheduler; running refreshes finish without us */
void refresh_free(refresh *r)
{
    if (r == NULL)
	return;
    pc_refresh_cancel_all(r->pc);
    if (r->tick)
	evloop_timer_cancel(r->loop, r->tick);
    if (r->kick)
	evloop_timer_cancel(r->loop, r->kick);
    free(r->slots);
    free(r);
}

/* refresh_get_stats - counters */
void refresh_get_stats(const refresh *r, refresh_stats *st)
{
    *st = r->stats;
}
