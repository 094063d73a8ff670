/*
 * NAME
 *	tlsrpt_counters - TLS-RPT session counts: in memory, committed to LMDB in batches
 * SUMMARY
 *	count one result cheaply; read one domain's day back for its report
 * SYNOPSIS
 *	#include "tlsrpt_counters.h"
 *
 *	tlsrpt_counters *tlsrpt_counters_open(MDB_env *env, mt_err *err);
 *	void tlsrpt_counters_close(tlsrpt_counters *c);
 *	void tlsrpt_counters_attach(tlsrpt_counters *c, evloop *loop,
 *	                            uint64_t interval_ms);
 *	int  tlsrpt_counters_add(tlsrpt_counters *c, const tlsrpt_result *r,
 *	                         uint64_t n);
 *	size_t tlsrpt_counters_pending(const tlsrpt_counters *c);
 *	void tlsrpt_counters_get_stats(const tlsrpt_counters *c,
 *	                               tlsrpt_counter_stats *st);
 *	int  tlsrpt_counters_commit(tlsrpt_counters *c, mt_err *err);
 *	int  tlsrpt_counters_read(tlsrpt_counters *c, uint32_t day,
 *	                          const char *domain, tlsrpt_data *out, mt_err *err);
 *	int  tlsrpt_counters_list(tlsrpt_counters *c, uint32_t day,
 *	                          tlsrpt_list_cb cb, void *arg, mt_err *err);
 *	int  tlsrpt_counters_days(tlsrpt_counters *c, uint32_t *days,
 *	                          size_t max, size_t *n, mt_err *err);
 *	int  tlsrpt_counters_prune(tlsrpt_counters *c, uint32_t first_kept_day,
 *	                           mt_err *err);
 * DESCRIPTION
 *	Counters are keyed as RFC 8460 §4 groups them: UTC day, policy
 *	domain, applied policy (type, policy strings, MX patterns), result
 *	type, and for failures the sending IP, receiving MX name, receiving
 *	IP, the MX's HELO name and the reason text. Policies and failure
 *	details can be long, and LMDB keys hold at most 511 bytes, so both
 *	are interned: stored once under a small numeric id, which the
 *	counter key carries (see tlsrpt_counters.c for the layout).
 *	Named databases in the caller's environment: "tlsrpt_counters",
 *	"tlsrpt_intern", "tlsrpt_blobs" (the environment needs room for
 *	them: mdb_env_set_maxdbs()).
 *
 *	tlsrpt_counters_open() opens (creating) the databases in env, which
 *	stays the caller's. tlsrpt_counters_close() commits what is pending
 *	(a clean shutdown loses nothing) and frees c.
 *
 *	tlsrpt_counters_add() counts n sessions of result r. It touches only
 *	memory (and, for a policy or detail not yet seen since the last
 *	commit, one LMDB read) and returns 0, or -1 when memory runs out or
 *	r is not a valid result (the result is then not counted). When
 *	TLSRPT_COMMIT_BATCH distinct counters are pending it commits at
 *	once.
 *	tlsrpt_counters_attach() makes c commit from loop's timer
 *	interval_ms after the first pending count (0: only on batch size,
 *	explicit commits and close).
 *	So a crash (kill -9) loses at most the counts of the last
 *	interval_ms, and never more than TLSRPT_COMMIT_BATCH distinct
 *	counters; what was committed is never lost or half-written (one
 *	LMDB write transaction per commit).
 *
 *	tlsrpt_counters_commit() writes what is pending in one transaction:
 *	0, or -1 with err (the counts stay pending and the next commit
 *	tries again).
 *
 *	A store that refuses commits (full) costs little: after a failed
 *	commit the batch size forces none before interval_ms (at least a
 *	second) has passed, the timer tries again every interval_ms, and
 *	the failure is logged at most once a minute. Pending memory is
 *	capped: with TLSRPT_PENDING_MAX distinct counters waiting, a result
 *	that needs a new counter (or a policy or detail not known) is
 *	dropped, tlsrpt_counters_add() returns -1, the drop is logged at
 *	most once a minute and counted in the stats (dropped);
 *	counters already pending still count. tlsrpt_counters_get_stats()
 *	gives pending, dropped and commit_failures.
 *
 *	tlsrpt_counters_read() fills out with the committed counts of one
 *	domain and day (commit first to include what is pending): 0 when
 *	there are counts, 1 when there are none, -1 with err.
 *	tlsrpt_data_free() releases out.
 *	tlsrpt_counters_list() calls cb once per domain with counts on day,
 *	in domain order, with its success and failure totals; cb returns 0
 *	to go on, non-zero to stop.
 *	tlsrpt_counters_days() lists up to max days that have counts, oldest
 *	first.
 *	tlsrpt_counters_prune() deletes the counts of days before
 *	first_kept_day (counters_retention_days), and interned policies and
 *	details that no counter uses any more.
 */
#ifndef TLSRPT_COUNTERS_H
#define TLSRPT_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "mt_err.h"

#include "evloop.h"
#include "tlsrpt_report.h"
#include "tlsrpt_types.h"

#define TLSRPT_COMMIT_BATCH 50000	/* distinct pending counters that force a commit */
#define TLSRPT_FIELD_MAX 1024	/* our limit on one string of a result */
#define TLSRPT_PENDING_MAX (4 * TLSRPT_COMMIT_BATCH)	/* our limit while commits fail */

/* What the stats verb shows of the counters */
typedef struct tlsrpt_counter_stats {
    uint64_t pending;		/* distinct counters waiting for a commit (now) */
    uint64_t dropped;		/* counts dropped: too many pending */
    uint64_t commit_failures;
} tlsrpt_counter_stats;

/* One observed result, as the report verb or the daemon's fetch hands it in */
typedef struct tlsrpt_result {
    int64_t when;		/* Unix time of the session */
    const char *domain;		/* policy domain, normalised */
    tlsrpt_policy_type policy_type;
    const char *policy_string;	/* the applied policy, lines separated by "\n", or NULL */
    const char *mx_host;	/* the policy's MX patterns, "\n"-separated, or NULL */
    tlsrpt_result_type result;	/* TLSRPT_SUCCESS or a failure */
    const char *sending_ip;	/* the rest may be NULL: not observed */
    const char *receiving_mx;
    const char *receiving_ip;
    const char *helo;
    const char *reason;
} tlsrpt_result;

typedef struct tlsrpt_counters tlsrpt_counters;
typedef int (*tlsrpt_list_cb)(const char *domain, uint64_t success, uint64_t failure,
			      void *arg);

tlsrpt_counters *tlsrpt_counters_open(MDB_env *env, mt_err *err);
void tlsrpt_counters_close(tlsrpt_counters *c);
void tlsrpt_counters_attach(tlsrpt_counters *c, evloop *loop, uint64_t interval_ms);
int tlsrpt_counters_add(tlsrpt_counters *c, const tlsrpt_result *r, uint64_t n);
size_t tlsrpt_counters_pending(const tlsrpt_counters *c);
void tlsrpt_counters_get_stats(const tlsrpt_counters *c, tlsrpt_counter_stats *st);
int tlsrpt_counters_commit(tlsrpt_counters *c, mt_err *err);
int tlsrpt_counters_read(tlsrpt_counters *c, uint32_t day, const char *domain,
			 tlsrpt_data *out, mt_err *err);
int tlsrpt_counters_list(tlsrpt_counters *c, uint32_t day, tlsrpt_list_cb cb, void *arg,
			 mt_err *err);
int tlsrpt_counters_days(tlsrpt_counters *c, uint32_t *days, size_t max, size_t *n,
			 mt_err *err);
int tlsrpt_counters_prune(tlsrpt_counters *c, uint32_t first_kept_day, mt_err *err);

#endif
