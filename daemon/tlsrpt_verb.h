/*
 * NAME
 *	tlsrpt_verb - the arguments of the "report" request (one TLS result from Exim)
 * SUMMARY
 *	parse and check, classify Exim's deferral, no I/O
 * SYNOPSIS
 *	#include "tlsrpt_verb.h"
 *
 *	int tlsrpt_verb_parse(proto_req *req, int64_t now,
 *	                      tlsrpt_verb_args *a, mt_err *err);
 * DESCRIPTION
 *	The request (see mtasts-tlsrpt(7) for the Exim side):
 *
 *	  report DOMAIN [key=value ...]
 *
 *	DOMAIN is the policy domain (normalised here). Keys, each at most
 *	once; an empty value is the same as no value (an Exim variable that
 *	is unset expands to nothing); text values travel as "key=b64:...":
 *	  result=TYPE	an RFC 8460 §4.3 result type, or "success"
 *	  errno=N	Exim's $event_defer_errno; with msg, classified by
 *			tlsrpt_classify_exim() (result= wins when both are given)
 *	  msg=TEXT	Exim's $event_data of msg:host:defer
 *	  notafter=N	the peer certificate's notAfter, Unix seconds
 *			(${certextract{notafter,int}{$tls_out_peercert}})
 *	  policy=P	sts, tlsa, none (no-policy-found) or auto (the
 *			default: the daemon's cached policy decides)
 *	  mx=HOST	receiving MX host name ($host)
 *	  ip=IP		receiving IP ($host_address)
 *	  sip=IP	sending MTA IP ($sending_ip_address)
 *	  helo=NAME	the MX's HELO/EHLO name, when known
 *	  reason=TEXT	failure-reason-code; default: msg
 *	  tlsa=TEXT	the TLSA records applied, ";"-separated, in
 *			presentation form (the tlsa policy-string)
 *	  count=N	sessions this line stands for, 1..TLSRPT_VERB_COUNT_MAX
 *			(default 1)
 *	  verify=failed	a TLS session was established but its certificate did
 *			not verify (Exim's $tls_out_certificate_verified is
 *			0 at smtp:ehlo after STARTTLS: testing mode); the
 *			type comes from tlsrpt_classify_unverified() with
 *			notafter=, san= and mx=. Not with errno=.
 *	  san=TEXT	the peer certificate's subjectAltName as Exim's
 *			${certextract{subj_altname}...} gives it
 *	  skipped=LIST	the MX host names of DOMAIN as Exim's router found
 *			them (separated by spaces, commas, colons or
 *			semicolons; DOMAIN itself for the implicit MX),
 *			sent once per routing of the domain by the
 *			shipped configuration. Not with result= or errno=:
 *			the caller counts one validation-failure (policy
 *			sts, reason TLSRPT_REASON_SKIPPED unless reason= is
 *			given) for each host that the cached enforce policy
 *			excludes (mtasts-tlsrpt(7), "An MX skipped by an
 *			enforce policy").
 *	Text is cut to TLSRPT_FIELD_MAX bytes and every byte outside
 *	printable ASCII becomes "?", so what reaches a report is plain JSON
 *	text whatever a peer put in its error strings.
 *
 *	tlsrpt_verb_parse() cuts req's arguments in place and fills a
 *	(pointers into req's storage, valid as
 *	long as req) and returns 0 for a result to count, 1 for a valid
 *	request that is no TLS result (an errno that is not a TLS
 *	deferral: nothing to count), or -1 with err for a malformed request
 *	(err->msg starts with a one-word reason for the answer).
 */
#ifndef TLSRPT_VERB_H
#define TLSRPT_VERB_H

#include <stdint.h>

#include "domain.h"
#include "mt_err.h"
#include "proto.h"

#include "tlsrpt_types.h"

#define TLSRPT_VERB_COUNT_MAX 1000000	/* our limit on count= */
#define TLSRPT_SKIPPED_MAX 64		/* our limit on MX hosts in skipped= */
#define TLSRPT_REASON_SKIPPED "MX host not listed in the MTA-STS policy"

typedef struct tlsrpt_verb_args {
    char domain[DOMAIN_BUF];
    tlsrpt_result_type result;
    int policy_auto;		/* policy= absent or "auto" */
    tlsrpt_policy_type policy;	/* when not auto */
    char mx[DOMAIN_BUF];	/* "" when not given */
    char ip[64];
    char sip[64];
    const char *helo;		/* NULL when not given */
    const char *reason;
    const char *tlsa;
    uint64_t count;
    const char *skipped;	/* skipped=: the MX list, or NULL */
} tlsrpt_verb_args;

int tlsrpt_verb_parse(proto_req *req, int64_t now, tlsrpt_verb_args *a, mt_err *err);

#endif
