/*
 * NAME
 *	resolver - asynchronous DNS lookups with their DNSSEC status
 * SUMMARY
 *	libunbound on the event loop: TXT, MX, A, AAAA, TLSA
 * SYNOPSIS
 *	#include "resolver.h"
 *
 *	resolver *resolver_new(evloop *loop, const mtasts_config *cfg,
 *	                       mt_err *err);
 *	void resolver_free(resolver *res);
 *	dns_query *resolver_query(resolver *res, const char *name, int rrtype,
 *	                          resolver_cb cb, void *arg);
 *	void resolver_cancel(resolver *res, dns_query *q);
 *	const char *dns_outcome_name(dns_outcome o);
 *	const char *dns_sec_name(dns_sec s);
 *	const char *dns_outcome_text(const dns_answer *a, char *out,
 *	                             size_t outsz);
 * DESCRIPTION
 *	resolver_new() makes one libunbound context for the loop:
 *	- cfg->unbound_config, when set, is read with ub_ctx_config()
 *	  (forwarders, stub zones, local-zone settings, trust anchors);
 *	- with cfg->dnssec, the root trust anchor cfg->root_anchor_file
 *	  (dns-root-data's root.key by default) is loaded;
 *	- every cfg->trust_anchor_file is loaded (ub_ctx_add_ta_file).
 *	Validation is never made permissive (val-permissive-mode would make
 *	a bogus answer look insecure; a configuration that asks for it is
 *	refused). Without any trust anchor every answer is insecure.
 *	libunbound works in the background (its default: a forked helper
 *	process); its answers arrive on ub_fd(), which the loop watches and
 *	hands to ub_process(). Nothing here blocks.
 *
 *	resolver_query() starts one lookup of name (text form) for rrtype
 *	in class IN and returns at once; NULL when out of memory. cb is
 *	called exactly once, later, from the loop (never from inside
 *	resolver_query()), unless the query is cancelled first. The
 *	dns_answer it gets is valid only during the call. Each query times
 *	out after cfg->dns_timeout (outcome DNS_TIMEOUT).
 *
 *	resolver_cancel() abandons a query; its callback is not called.
 *	resolver_free() cancels every outstanding query (no callbacks) and
 *	releases the context.
 *
 *	Outcomes: DNS_BOGUS whenever validation failed (whatever the rcode:
 *	a bogus answer is a failure, never "no record"); otherwise
 *	DNS_NXDOMAIN, DNS_NODATA (rcode 0 and no data), DNS_OK (data),
 *	DNS_SERVFAIL (SERVFAIL or any other error rcode), DNS_TIMEOUT,
 *	DNS_ERROR (libunbound could not run the query). sec is SECURE only
 *	for validated answers, BOGUS for bogus ones, INSECURE otherwise.
 *	dns_outcome_text() describes an answer's outcome in plain words.
 */
#ifndef RESOLVER_H
#define RESOLVER_H

#include <stddef.h>

#include "mt_err.h"

#include "config.h"
#include "evloop.h"

/* DNSSEC state of an answer (libunbound's secure/bogus flags) */
typedef enum dns_sec {
    DNS_SEC_INSECURE,
    DNS_SEC_SECURE,
    DNS_SEC_BOGUS,
} dns_sec;

/* What a DNS query ended in */
typedef enum dns_outcome {
    DNS_OK,			/* data */
    DNS_NXDOMAIN,
    DNS_NODATA,
    DNS_SERVFAIL,
    DNS_TIMEOUT,
    DNS_BOGUS,			/* validation failed: a failure, never "no record" */
    DNS_ERROR,			/* local error (libunbound) */
} dns_outcome;

#define DNS_REASON_MAX 256

typedef struct dns_answer {
    const char *qname;		/* as asked */
    int qtype;
    dns_outcome outcome;
    dns_sec sec;
    int rcode;			/* DNS rcode, -1 when there was no answer */
    size_t n;			/* records in rdata[] (DNS_OK only) */
    const unsigned char *const *rdata;
    const int *len;
    const char *canonname;	/* after CNAMEs, or NULL */
    const char *why;		/* why bogus, or the local error, or NULL */
} dns_answer;

typedef void (*resolver_cb)(const dns_answer *a, void *arg);
typedef struct resolver resolver;
typedef struct dns_query dns_query;

resolver *resolver_new(evloop *loop, const mtasts_config *cfg, mt_err *err);
void resolver_free(resolver *res);
dns_query *resolver_query(resolver *res, const char *name, int rrtype, resolver_cb cb, void *arg);
void resolver_cancel(resolver *res, dns_query *q);
const char *dns_outcome_name(dns_outcome o);
const char *dns_sec_name(dns_sec s);
const char *dns_outcome_text(const dns_answer *a, char *out, size_t outsz);

#endif
