/*
 * NAME
 *	refresh - proactive refresh of cached policies (RFC 8461 §3.3, §10.2)
 * SUMMARY
 *	re-fetch every cached policy well before it expires, paced
 * SYNOPSIS
 *	#include "refresh.h"
 *
 *	refresh *refresh_new(evloop *loop, const mtasts_config *cfg, store *st,
 *	                     policy_cache *pc, mt_err *err);
 *	void     refresh_free(refresh *r);
 *	void     refresh_get_stats(const refresh *r, refresh_stats *st);
 *	int64_t  refresh_due_time(const mtasts_config *cfg, const char *domain,
 *	                          int64_t fetched, int64_t expires);
 *	int64_t  refresh_retry_time(const mtasts_config *cfg, const char *domain,
 *	                            int64_t now, uint32_t failures, int64_t expires);
 *	int      refresh_host_key(const char *domain, char *out, size_t outsz);
 * DESCRIPTION
 *	RFC 8461 §10.2 asks senders to refresh cached policies before they
 *	expire (it suggests daily), so that an attacker who later blocks
 *	policy discovery cannot strip a domain of its policy; §3.3 keeps a
 *	cached policy through failed fetches and asks for failures to be
 *	logged loudly unless the mode is none.
 *
 *	When. refresh_due_time() is the moment a policy fetched at
 *	`fetched` and usable until `expires` is fetched again:
 *	refresh_at_percent of its life, at most refresh_max_interval, at
 *	least refresh_min_interval after the fetch, moved earlier by up to
 *	refresh_jitter_percent (a per-domain, per-fetch pseudo-random
 *	amount, so a million policies imported at once do not fall due in
 *	the same second). policy_cache stores it in the record's
 *	refresh_due, which keys the store's schedule.
 *	refresh_retry_time() is the next attempt after `failures` failed
 *	refreshes in a row: fetch_backoff (at least refresh_min_interval;
 *	RFC 8461 §3.3 suggests five minutes) doubled per failure, at most
 *	refresh_max_interval and at most half the policy's remaining life,
 *	so several attempts still fall before it expires; jittered the same
 *	way. The named minimums refresh_min_interval and min_cache_lifetime
 *	(the latter applied by policy_cache) keep legal but tiny max_age
 *	values (0, 1) from turning into a fetch storm.
 *
 *	Who. refresh_new() starts a scheduler on loop: every
 *	REFRESH_TICK_MS it walks the store's schedule (keys in due order;
 *	finding nothing due costs one B-tree descent, whatever the number
 *	of policies) and hands due domains to pc_refresh(), at most
 *	refresh_concurrency at a time and at most refresh_per_host for one
 *	policy host. A domain whose cache entry is busy with other network
 *	work is left for a later tick. pc_refresh() does the fetch and
 *	the bookkeeping: the same policy fetched again extends its life, a
 *	changed id or body replaces it, a failure keeps it and reschedules
 *	it at refresh_retry_time(), logged at LOG_WARNING (LOG_ERR once the
 *	policy is about to expire or has expired; LOG_INFO for mode none).
 *
 *	Policy hosts. refresh_host_key() names the host a refresh talks to
 *	for the per-host limit: the registrable domain (public suffix list,
 *	libpsl) of the policy host mta-sts.DOMAIN, so the many subdomains
 *	of one organisation, usually served by one web server, are not
 *	fetched all at once. Policy hosts that are CNAMEs to one provider
 *	are not recognised as one: refresh_concurrency bounds those.
 *
 *	refresh_free() stops the scheduler; refreshes in flight finish in
 *	policy_cache (their results are still applied), unreported.
 */
#ifndef REFRESH_H
#define REFRESH_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"

#include "config.h"
#include "evloop.h"
#include "policy_cache.h"
#include "store.h"

#define REFRESH_TICK_MS 1000		/* how often the schedule is looked at */
#define REFRESH_SCAN_MAX 4096		/* schedule keys looked at per tick, at most */
#define REFRESH_BACKOFF_SHIFT_MAX 16	/* doublings of the retry delay */

typedef struct refresh refresh;

typedef struct refresh_stats {
    uint64_t started;			/* refreshes begun */
    uint64_t same;			/* the same policy again: life extended */
    uint64_t replaced;			/* a new id or body */
    uint64_t failed;			/* kept the old policy, retry scheduled */
    uint64_t gone;			/* the domain left the cache meanwhile */
    uint64_t deferred_busy;		/* due, but its entry had a flight */
    uint64_t deferred_host;		/* due, but its policy host was at its limit */
    uint64_t running;			/* now */
    uint64_t ticks;
    uint64_t scan_ns;			/* time spent walking the schedule */
} refresh_stats;

refresh *refresh_new(evloop *loop, const mtasts_config *cfg, store *st, policy_cache *pc,
		     mt_err *err);
void refresh_free(refresh *r);
void refresh_get_stats(const refresh *r, refresh_stats *st);
int64_t refresh_due_time(const mtasts_config *cfg, const char *domain, int64_t fetched,
			 int64_t expires);
int64_t refresh_retry_time(const mtasts_config *cfg, const char *domain, int64_t now,
			   uint32_t failures, int64_t expires);
int refresh_host_key(const char *domain, char *out, size_t outsz);

#endif
