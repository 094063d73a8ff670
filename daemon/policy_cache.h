/*
 * NAME
 *	policy_cache - the per-domain policy life cycle (RFC 8461 §3.3, §5)
 * SUMMARY
 *	what "policy DOMAIN" answers, in every state; one flight per domain
 * SYNOPSIS
 *	#include "policy_cache.h"
 *
 *	policy_cache *pc_new(evloop *loop, const mtasts_config *cfg, store *st,
 *	                     const pc_backend *be, mt_err *err);
 *	void  pc_free(policy_cache *pc);
 *	int   pc_query(policy_cache *pc, const char *domain, unsigned flags,
 *	               pc_answer *now, pc_done_fn done, void *arg, pc_wait **wait);
 *	void  pc_wait_cancel(pc_wait *w);
 *	const pc_entry *pc_find(policy_cache *pc, const char *domain);
 *	int   pc_flush(policy_cache *pc, const char *domain, mt_err *err);
 *	void  pc_foreach(policy_cache *pc, pc_visit_fn fn, void *arg);
 *	void  pc_get_stats(const policy_cache *pc, pc_stats *st);
 *	void  pc_set_failure_hook(policy_cache *pc, pc_failure_fn fn, void *arg);
 *	int   pc_commit(policy_cache *pc);
 *	int   pc_refresh(policy_cache *pc, const char *domain, pc_refresh_fn done,
 *	                 void *arg);
 *	void  pc_refresh_cancel_all(policy_cache *pc);
 *	size_t pc_flights(const policy_cache *pc);
 *	const char *pc_entry_state(const pc_entry *e, int64_t now);
 * DESCRIPTION
 *	pc_new() loads every record of the store into a hash table in
 *	memory, so a cached answer touches neither the network nor LMDB and
 *	costs the same with ten or ten million domains. be is the discovery
 *	engine (pc_backend_discovery() for the real one; tests pass their
 *	own to drive each row of the answer table).
 *
 *	pc_query() asks for the policy of a normalised domain. It returns 1
 *	with *now filled when the answer is known at once, or 0 when it will
 *	come through done(arg, answer) from the loop (never from inside
 *	pc_query()), exactly once unless pc_wait_cancel(*wait) is called
 *	first; -1 when out of memory. The answer table (design.md, "Policy
 *	life cycle"):
 *
 *	  cached policy (fetched + max_age in the future): PC_POLICY at once,
 *	      always; when the TXT id was last checked txt_recheck_interval
 *	      ago or more, a background re-check starts; a changed id
 *	      fetches; only a newly fetched valid policy replaces the cached
 *	      one.
 *	  no cached policy: one flight per domain however many ask (all
 *	      waiters share it). The flight ends in
 *	      no record / several / invalid         -> PC_NONE
 *	      SERVFAIL, timeout, DNSSEC-bogus       -> PC_TEMPFAIL in the window
 *	      fetch connect error or timeout        -> PC_TEMPFAIL in the window
 *	      definitive fetch failure              -> PC_NONE, failure hook
 *	      a valid policy                        -> PC_POLICY (stored)
 *	  and a waiter still waiting at answer_deadline gets PC_TEMPFAIL in
 *	  the window. "In the window" means within first_contact_window of
 *	  the first time the domain was asked (remembered in the store);
 *	  outside it (or with a window of 0) PC_TEMPFAIL becomes PC_NONE.
 *	  A failed fetch backs off fetch_backoff per TXT id; a no-policy
 *	  outcome is answered from memory for failure_recheck_interval.
 *
 *	flags: PC_Q_MX also wants the domain's MX hosts and their TLSA
 *	status (fresh within txt_recheck_interval) when a testing or
 *	enforce policy is cached; PC_Q_FORCE skips the remembered no-policy
 *	outcome and asks the network now (prefetch).
 *
 *	pc_answer.e points at the entry (valid until the loop runs again):
 *	for PC_POLICY it holds the policy. Verbs may keep derived answer
 *	text in e->ans_policy / e->ans_allowed (see pc_entry); the cache
 *	empties them whenever the policy changes.
 *
 *	pc_flush() forgets a domain's cached policy and failure state, in
 *	memory and in the store. pc_foreach() visits every entry (fn returns
 *	non-zero to stop). pc_commit() writes batched last-use times
 *	(also done by a timer). The failure hook hears every fetch failure
 *	(definitive or not) with the discovery result, for TLS-RPT.
 *
 *	pc_refresh() is the proactive refresh (refresh.c) of a domain that
 *	has a policy, valid or expired: a full fetch. A valid policy
 *	fetched replaces the cached one (the same policy again extends its
 *	life); on failure the cached policy stays, the failure is counted
 *	in the record and the refresh is rescheduled at
 *	refresh_retry_time(), or unscheduled once the policy has expired.
 *	The failure hook is not called: the cached policy still governs
 *	delivery. Returns 0 when started, 1 when the entry is busy with
 *	other network work (try later), -1 when the domain has no policy
 *	(it is taken off the schedule) or discovery cannot start. done
 *	hears the outcome once, from the loop, with the record as it now
 *	is (valid during the call) and, on failure, the reason; or
 *	PC_REFRESH_GONE with rec NULL when the entry went away meanwhile;
 *	done may be NULL.
 *	pc_refresh_cancel_all() keeps done from being called for the
 *	refreshes running now; they still complete.
 */
#ifndef POLICY_CACHE_H
#define POLICY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mt_err.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "store.h"

#define PC_Q_MX 0x01u
#define PC_Q_FORCE 0x02u

#define PC_REASON_MAX 96
#define PC_TOUCH_INTERVAL_MS 60000	/* last-use times go to the store this often */

typedef struct policy_cache policy_cache;
typedef struct pc_wait pc_wait;
typedef struct pc_flight pc_flight;

typedef enum pc_status {
    PC_POLICY,				/* a valid policy (any mode) */
    PC_NONE,				/* deliver as without MTA-STS */
    PC_TEMPFAIL,			/* defer: inside the first-contact window */
    PC_ERROR,				/* local trouble (memory, store) */
} pc_status;

typedef struct pc_mx_info {
    char host[DOMAIN_BUF];
    int tlsa_usable;			/* DNSSEC-valid TLSA records */
} pc_mx_info;

/* One domain, as known in memory. Read-only outside policy_cache.c but
 * for ans_policy and ans_allowed, which verbs may fill. */
typedef struct pc_entry {
    store_rec rec;			/* as in the store, without text */
    int64_t last_txt_check;		/* Unix seconds */
    int last_outcome;			/* PC_NONE or PC_TEMPFAIL of the last flight */
    char reason[PC_REASON_MAX];
    int64_t outcome_until;		/* answer last_outcome from memory until */
    unsigned outcome_seq;		/* counts outcomes, so a waiter sees its own */
    size_t n_mx_info;
    pc_mx_info *mx_info;		/* DISC_WITH_MX result, malloc'ed */
    int64_t mx_checked;		/* 0: never */
    int mx_secure;			/* the MX RRset was DNSSEC-secure */
    pc_flight *flight;			/* network work running now */
    pc_wait *waiters;
    int touched;			/* last_used changed since the last commit */
    buf ans_policy;			/* verbs' cached "policy" answer */
    buf ans_allowed;			/* verbs' cached "allowed" answer */
    struct pc_entry *hnext;		/* hash chain */
    size_t touched_ix;			/* in the commit list, when touched */
    char domain[];			/* normalised, NUL-ended */
} pc_entry;

typedef struct pc_answer {
    pc_status status;
    const pc_entry *e;			/* the domain's entry (NULL on PC_ERROR) */
    const char *reason;		/* for PC_NONE, PC_TEMPFAIL, PC_ERROR */
    int mx_known;			/* PC_Q_MX: e->mx_info is fresh */
} pc_answer;

typedef void (*pc_done_fn)(void *arg, const pc_answer *a);
typedef int (*pc_visit_fn)(const pc_entry *e, void *arg);
typedef void (*pc_failure_fn)(void *arg, const char *domain, const disc_result *r);

typedef enum pc_refresh_outcome {
    PC_REFRESH_SAME,			/* the same policy again: life extended */
    PC_REFRESH_REPLACED,		/* a new id or body replaced it */
    PC_REFRESH_FAILED,			/* kept; rescheduled (or expired: unscheduled) */
    PC_REFRESH_GONE,			/* the entry was flushed or evicted meanwhile */
} pc_refresh_outcome;
typedef void (*pc_refresh_fn)(void *arg, const char *domain, pc_refresh_outcome o,
			      const store_rec *rec, const char *reason);

/* The discovery engine, or a test's stand-in for it */
typedef struct pc_backend {
    int (*start)(void *engine, const char *domain, unsigned flags, const char *known_id,
		 disc_cb cb, void *arg);
    void (*result_free)(disc_result *r);
    void *engine;
} pc_backend;

typedef struct pc_stats {
    uint64_t entries;
    uint64_t hits;			/* answered from a cached policy */
    uint64_t misses;			/* had to wait or answered no-policy */
    uint64_t remembered;		/* no-policy answered from memory */
    uint64_t flights;			/* discoveries started */
    uint64_t coalesced;		/* waiters that joined a running flight */
    uint64_t rechecks;			/* background TXT re-checks */
    uint64_t policies_stored;
    uint64_t policies_replaced;
    uint64_t fetch_failures;		/* definitive */
    uint64_t temp_failures;		/* DNS or connect trouble */
    uint64_t no_record;
    uint64_t deadline_expired;
    uint64_t answers_policy, answers_none, answers_tempfail, answers_error;
    uint64_t store_errors;
    uint64_t waiting;			/* now */
    uint64_t flying;			/* now */
} pc_stats;

policy_cache *pc_new(evloop *loop, const mtasts_config *cfg, store *st,
		     const pc_backend *be, mt_err *err);
void pc_free(policy_cache *pc);
int pc_query(policy_cache *pc, const char *domain, unsigned flags, pc_answer *now,
	     pc_done_fn done, void *arg, pc_wait **wait);
void pc_wait_cancel(pc_wait *w);
const pc_entry *pc_find(policy_cache *pc, const char *domain);
pc_entry *pc_find_mut(policy_cache *pc, const char *domain);
int pc_flush(policy_cache *pc, const char *domain, mt_err *err);
void pc_foreach(policy_cache *pc, pc_visit_fn fn, void *arg);
void pc_get_stats(const policy_cache *pc, pc_stats *st);
void pc_set_failure_hook(policy_cache *pc, pc_failure_fn fn, void *arg);
int pc_commit(policy_cache *pc);
int pc_refresh(policy_cache *pc, const char *domain, pc_refresh_fn done, void *arg);
void pc_refresh_cancel_all(policy_cache *pc);
int pc_policy_valid(const pc_entry *e, int64_t now);
const char *pc_entry_state(const pc_entry *e, int64_t now);
const char *pc_status_name(pc_status s);
pc_backend pc_backend_discovery(discovery *d);

#endif
