/*
 * NAME
 *	discovery - from a domain name to a validated MTA-STS policy (RFC 8461 §3)
 * SUMMARY
 *	asynchronous: TXT (DNSSEC status kept) -> record rule -> HTTPS fetch -> parse
 * SYNOPSIS
 *	#include "discovery.h"
 *
 *	discovery *discovery_new(evloop *loop, const mtasts_config *cfg, mt_err *err);
 *	void discovery_free(discovery *d);
 *	int  discovery_start(discovery *d, const char *domain, unsigned flags,
 *	                     const char *known_id, disc_cb cb, void *arg);
 *	void discovery_result_free(disc_result *r);
 *	const char *disc_status_name(disc_status s);
 * DESCRIPTION
 *	A discovery engine lives on one evloop and owns one libunbound
 *	context (resolver.c) and one libcurl multi handle (fetch.c).
 *	discovery_new() checks the configuration keys it uses (resolver,
 *	trust anchors, connect_to, fetch_allow_address) and returns NULL
 *	with err when one is wrong.
 *
 *	discovery_start() begins work for a normalised domain and returns at
 *	once; cb is called exactly once, later, from the loop (never from
 *	inside discovery_start()), with a result that the callback owns
 *	(discovery_result_free()). Returns 0, or -1 with nothing started
 *	(out of memory). A name that is not a valid LDH domain gives
 *	DISC_NO_POLICY (through the callback). Many discoveries may run at
 *	once on one engine; nothing blocks.
 *
 *	discovery_free() cancels every discovery still running: their
 *	callbacks are not called. It must not be called from inside a
 *	callback.
 *
 *	libunbound reads its configuration and trust anchor files, and forks
 *	its background helper, when the first query starts: create the
 *	engine after daemonising, and make those files readable by the user
 *	the daemon runs as. The fetcher's CA files are read per fetch.
 *
 *	flags:
 *	DISC_TXT_ONLY	resolve and judge the TXT record only; no fetch. For
 *			the daemon's id re-check of a cached policy.
 *	DISC_IF_CHANGED	with known_id: fetch only when the TXT id differs
 *			from known_id (status DISC_UNCHANGED otherwise).
 *	DISC_WITH_MX	also resolve the MX set (preference order, then name;
 *			the implicit MX when the domain has no MX record;
 *			null_mx for RFC 7505) and each host's TLSA (_25._tcp).
 *			tlsa_usable: the MX answer and the TLSA answer are
 *			both DNSSEC-validated and one record is usable for
 *			SMTP (RFC 7672 §3.1: DANE-TA or DANE-EE).
 *			matches is set for DISC_POLICY results.
 *	DISC_WITH_TLSRPT also resolve and judge the _smtp._tls record.
 *
 *	The policy host mta-sts.<domain> is looked up (A and AAAA) through
 *	the same resolver; addresses the address filter refuses
 *	(addr_filter.h) are dropped and counted (n_refused_addr); the rest
 *	go to the fetch (policy_addr). When a connect_to entry or the proxy
 *	decides where the host is reached, there is no lookup
 *	(policy_host_routed).
 *
 *	Results (status):
 *	DISC_POLICY	a valid policy was fetched: policy, policy_text, id.
 *	DISC_UNCHANGED	DISC_IF_CHANGED and the TXT id equals known_id.
 *	DISC_TXT_OK	DISC_TXT_ONLY and exactly one valid record: id.
 *	DISC_NO_POLICY	definitive: no record (NXDOMAIN, NODATA), none,
 *			several or an invalid one (txt_set says which); the
 *			policy host has no address or only refused ones; or
 *			the fetch failed definitively (status != 200, a
 *			redirect, no TLS 1.2, wrong type, too big,
 *			certificate, invalid body). failure is then the
 *			RFC 8460 type and fetch_problem the cause.
 *	DISC_TEMPFAIL	SERVFAIL, timeout or DNSSEC-bogus TXT; the same for
 *			the policy host's addresses; a connect error,
 *			timeout or broken connection of the fetch.
 *	Every outcome has a plain-words reason for logs and `mtasts check`.
 *	txt_outcome/txt_sec (and the mx_, tlsrpt_, policy_host_ pairs) keep
 *	what each lookup ended in and its DNSSEC state.
 */
#ifndef DISCOVERY_H
#define DISCOVERY_H

#include <stddef.h>

#include "domain.h"
#include "policy.h"
#include "sts_record.h"
#include "tlsrpt_record.h"

#include "config.h"
#include "evloop.h"
#include "fetch.h"
#include "resolver.h"

#define DISC_TXT_ONLY     0x01u
#define DISC_IF_CHANGED   0x02u
#define DISC_WITH_MX      0x04u
#define DISC_WITH_TLSRPT  0x08u

#define DISC_MAX_MX 64		/* our limit on MX hosts considered */
#define DISC_MAX_ADDR 16	/* our limit on policy host addresses */
#define DISC_REASON_MAX 512
#define DISC_TXT_MAX 1024
#define DISC_MAX_WARN 8		/* policy parser warnings kept */
#define DISC_WARN_MAX 200

typedef enum disc_status {
    DISC_POLICY,
    DISC_UNCHANGED,
    DISC_TXT_OK,
    DISC_NO_POLICY,
    DISC_TEMPFAIL,
} disc_status;

typedef struct disc_mx {
    char host[DOMAIN_BUF];
    unsigned preference;
    int implicit;		/* the domain itself, no MX record */
    int matches;		/* matches the policy's patterns (when there is one) */
    dns_outcome tlsa_outcome;
    dns_sec tlsa_sec;		/* DNS_SEC_SECURE with data: usable for DANE */
    int tlsa_usable;		/* DNSSEC-valid TLSA records exist */
} disc_mx;

typedef struct disc_result {
    char domain[DOMAIN_BUF];
    disc_status status;
    char reason[DISC_REASON_MAX];

    /* the _mta-sts TXT lookup */
    dns_outcome txt_outcome;
    dns_sec txt_sec;
    sts_set_result txt_set;	/* meaningful when txt_outcome is ok, nxdomain or nodata */
    size_t txt_count;		/* records in the TXT RRset */
    char txt[DISC_TXT_MAX];	/* the v=STSv1 candidates as found, one per line (truncated) */
    char id[STS_ID_MAX + 1];

    /* the policy host mta-sts.<domain> (when the record called for a fetch) */
    char policy_host[DOMAIN_BUF];
    int policy_host_routed;	/* connect_to or proxy decides: no lookup of our own */
    dns_outcome policy_host_outcome;	/* of A and AAAA together (ok: some address) */
    dns_sec policy_host_sec;	/* secure only when both answers validated */
    size_t n_policy_addr;	/* addresses handed to libcurl */
    char policy_addr[DISC_MAX_ADDR][INET6_ADDRSTRLEN];
    size_t n_refused_addr;	/* addresses the address filter refused */

    /* the fetch (when one was made) */
    int fetched;
    long http_status;		/* 0: no HTTP answer */
    char content_type[128];
    char fetch_ip[INET6_ADDRSTRLEN];	/* the address the fetch reached, "" if none */
    tlsrpt_fetch_failure failure;	/* RFC 8460 type of a fetch failure, else NONE */
    fetch_problem fetch_problem;	/* what went wrong in a word, FETCH_OK if nothing */
    char *policy_text;		/* the body as fetched (malloc'ed, NUL added), on DISC_POLICY */
    size_t policy_len;
    policy policy;		/* parsed, on DISC_POLICY */
    size_t n_policy_warn;	/* lines the parser ignored, values it adjusted */
    char policy_warn[DISC_MAX_WARN][DISC_WARN_MAX];	/* the first few, in words */

    /* DISC_WITH_MX */
    dns_outcome mx_outcome;
    dns_sec mx_sec;
    int null_mx;		/* RFC 7505: the domain accepts no mail */
    size_t n_mx_skipped;	/* MX records that are no usable host name */
    size_t n_mx;
    disc_mx mx[DISC_MAX_MX];

    /* DISC_WITH_TLSRPT */
    dns_outcome tlsrpt_outcome;
    dns_sec tlsrpt_sec;
    tlsrpt_set_result tlsrpt_set;	/* meaningful when tlsrpt_outcome is ok, nxdomain or nodata */
    tlsrpt_record tlsrpt;
    char tlsrpt_reason[256];
} disc_result;

typedef void (*disc_cb)(disc_result *r, void *arg);
typedef struct discovery discovery;

discovery *discovery_new(evloop *loop, const mtasts_config *cfg, mt_err *err);
void discovery_free(discovery *d);
int discovery_start(discovery *d, const char *domain, unsigned flags,
		    const char *known_id, disc_cb cb, void *arg);
void discovery_result_free(disc_result *r);
const char *disc_status_name(disc_status s);

#endif
