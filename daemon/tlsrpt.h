/*
 * NAME
 *	tlsrpt - TLS-RPT in mtastsd: the report verbs, the daily run, the daemon's own failures
 * SUMMARY
 *	ties counters, builder and sender to the loop, the policy cache and discovery
 * SYNOPSIS
 *	#include "tlsrpt.h"
 *
 *	tlsrpt *tlsrpt_new(evloop *loop, const mtasts_config *cfg, store *st,
 *	                   policy_cache *pc, discovery *disc, mt_err *err);
 *	void tlsrpt_free(tlsrpt *t);
 *	int  tlsrpt_add_verbs(tlsrpt *t, verbs *v);
 *	void tlsrpt_on_fetch_failure(void *t, const char *domain, const disc_result *r);
 *	int  tlsrpt_daily_run(tlsrpt *t);
 *	int  tlsrpt_busy(const tlsrpt *t);
 *	void tlsrpt_set_hooks(tlsrpt *t, const tlsrpt_hooks *h);
 * DESCRIPTION
 *	tlsrpt_new() opens the counters and the outbox in the store's LMDB
 *	environment, commits counts every tlsrpt_commit_interval, and arms
 *	the daily run: at report_hour (UTC) plus a random delay of up to
 *	report_jitter, the reports of every retained day before today that
 *	has counts and no report in the outbox yet are built (for each
 *	domain with exactly one valid _smtp._tls record, RFC 8460 §3) and
 *	sent, each (day, domain) at most once. The same catch-up runs
 *	after a start when today's report_hour has passed (after the same
 *	random delay), so a restart or a downtime over report_hour loses no
 *	day; a daily run that finds a run under way (tlsrpt-send) runs when
 *	that one ends. A _smtp._tls lookup that fails for now (SERVFAIL,
 *	timeout, DNSSEC bogus) or a build that fails (a full store) leaves
 *	the (day, domain) unbuilt: it is tried again every RECORD_RETRY
 *	seconds until report_retry after the first try (RFC 8460 §5.4),
 *	then given up with a warning; only an answer (no record, several,
 *	an invalid one) means no report. What was decided is remembered
 *	until the daemon stops. Every minute the outbox is looked at for
 *	retries that are due; daily, counters and reports past their
 *	retention are pruned.
 *	tlsrpt_free() commits what is pending and stops.
 *
 *	tlsrpt_daily_run() does what the daily timer does: starts the
 *	catch-up run (1), or marks it to run when the run under way ends
 *	(0), then prunes. tlsrpt_busy() says whether a run is under way or
 *	waiting. tlsrpt_set_hooks() replaces the wall clock and the
 *	_smtp._tls lookup (discovery_start()) for tests; the lookup must
 *	call cb from the loop, never inside itself.
 *
 *	tlsrpt_add_verbs() registers the TLS-RPT verbs with the dispatcher
 *	(verbs_add()); 0, or -1 when one cannot be registered:
 *	  report DOMAIN key=value ...   (tlsrpt_verb.h; socket group only)
 *	      ok counted=1 | ok counted=0 reason=not-tls | error reason=WORD
 *	      (with skipped=: ok counted=N, the MX hosts the cached enforce
 *	      policy excludes)
 *	  tlsrpt-list [DAY]             ok count=N, then N lines
 *	      domain= success= failure= report=none|built|sent|partial|failed
 *	  tlsrpt-show DOMAIN [DAY]      ok built=yes|no report-id= json=TEXT
 *	      (json percent-encoded like every answer value) | none
 *	  tlsrpt-send [DAY] [dry-run]   (socket group only) builds and sends
 *	      the reports of DAY now, answering when every delivery ended:
 *	      ok domains= built= norecord= sent= failed= signed=yes|no
 *	      dry-run builds nothing and sends nothing: one line per domain
 *	      tells what would happen (ok count=N, then domain= rua= ...).
 *	DAY is YYYY-MM-DD, "today" or "yesterday" (the default).
 *
 *	tlsrpt_on_fetch_failure() is the policy cache's failure hook: each
 *	failed policy fetch with an RFC 8460 type (sts-policy-fetch-error,
 *	sts-policy-invalid, sts-webpki-invalid) counts one failure for the
 *	domain, under its cached sts policy when there is one.
 */
#ifndef TLSRPT_H
#define TLSRPT_H

#include "buf.h"
#include "mt_err.h"
#include "proto.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "policy_cache.h"
#include "server.h"
#include "store.h"
#include "verbs.h"

typedef struct tlsrpt tlsrpt;

/* For tests: the clock and the _smtp._tls lookup (NULL: the real ones) */
typedef struct tlsrpt_hooks {
    int64_t (*now)(void *arg);
    int (*lookup)(void *arg, const char *domain, disc_cb cb, void *cb_arg);
    void *arg;
} tlsrpt_hooks;

tlsrpt *tlsrpt_new(evloop *loop, const mtasts_config *cfg, store *st, policy_cache *pc,
		   discovery *disc, mt_err *err);
void tlsrpt_free(tlsrpt *t);
int tlsrpt_add_verbs(tlsrpt *t, verbs *v);
void tlsrpt_on_fetch_failure(void *t, const char *domain, const disc_result *r);
int tlsrpt_daily_run(tlsrpt *t);
int tlsrpt_busy(const tlsrpt *t);
void tlsrpt_set_hooks(tlsrpt *t, const tlsrpt_hooks *h);

#endif
