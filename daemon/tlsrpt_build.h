/*
 * NAME
 *	tlsrpt_build - from counts to a built report in the outbox, and the report verb's count
 * SUMMARY
 *	the glue between tlsrpt_counters, tlsrpt_report and tlsrpt_send; no network
 * SYNOPSIS
 *	#include "tlsrpt_build.h"
 *
 *	int tlsrpt_count_verb(tlsrpt_counters *c, const tlsrpt_verb_args *a,
 *	                      const tlsrpt_applied *policy, int64_t now);
 *	int tlsrpt_show(tlsrpt_counters *c, tlsrpt_sender *s,
 *	                const mtasts_config *cfg, uint32_t day,
 *	                const char *domain, char **json, int *built, mt_err *err);
 *	int tlsrpt_build(tlsrpt_counters *c, tlsrpt_sender *s,
 *	                 const mtasts_config *cfg, uint32_t day,
 *	                 const char *domain, const tlsrpt_record *rec,
 *	                 int64_t now, mt_err *err);
 * DESCRIPTION
 *	tlsrpt_count_verb() counts what a "report" request said. policy is
 *	what the daemon knows of the domain (its cached policy) and is used
 *	when the request left policy= to "auto" or said "sts": a cached
 *	enforce or testing policy makes the policy type sts, with its text
 *	and MX patterns; none (NULL, or mode none) makes it no-policy-found
 *	under "auto". A tlsa result carries the request's tlsa= records.
 *	Returns 0, or -1 when the result could not be counted.
 *
 *	tlsrpt_show() gives the report of a domain's day exactly as it was
 *	built and sent (from the outbox, *built = 1) or as it would be
 *	built now (from the counts, *built = 0), malloc'ed in *json.
 *	Returns 0, 1 when there is nothing for that domain and day, -1 with
 *	err.
 *
 *	tlsrpt_build() commits pending counts, builds the report of one
 *	domain's day (RFC 8460 §4.4, id from tlsrpt_report_id()) and puts it
 *	in the outbox with one delivery per mailto: and https: URI of rec
 *	(the domain's one valid _smtp._tls record, §3); a URI listed twice
 *	(the same text, or mailto: URIs of the same address) gets one
 *	delivery. Returns 0 when built,
 *	1 when nothing was counted, 2 when the report was built before (it
 *	is never built twice), -1 with err (organization_name and
 *	report_submitter must be set).
 */
#ifndef TLSRPT_BUILD_H
#define TLSRPT_BUILD_H

#include <stdint.h>

#include "mt_err.h"
#include "policy.h"
#include "tlsrpt_record.h"

#include "config.h"
#include "tlsrpt_counters.h"
#include "tlsrpt_send.h"
#include "tlsrpt_verb.h"

/* What the daemon knows of a domain's MTA-STS policy */
typedef struct tlsrpt_applied {
    policy_mode mode;
    const char *text;		/* the policy as fetched */
    const char *mx;		/* its mx patterns, "\n"-separated */
} tlsrpt_applied;

int tlsrpt_count_verb(tlsrpt_counters *c, const tlsrpt_verb_args *a,
		      const tlsrpt_applied *policy, int64_t now);
int tlsrpt_show(tlsrpt_counters *c, tlsrpt_sender *s, const mtasts_config *cfg, uint32_t day,
		const char *domain, char **json, int *built, mt_err *err);
int tlsrpt_build(tlsrpt_counters *c, tlsrpt_sender *s, const mtasts_config *cfg, uint32_t day,
		 const char *domain, const tlsrpt_record *rec, int64_t now, mt_err *err);

#endif
