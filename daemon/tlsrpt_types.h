/*
 * NAME
 *	tlsrpt_types - RFC 8460 §4.3 result types, and what Exim reports mapped to them
 * SUMMARY
 *	names of result and policy types; classify an Exim deferral
 * SYNOPSIS
 *	#include "tlsrpt_types.h"
 *
 *	const char *tlsrpt_result_name(tlsrpt_result_type t);
 *	int  tlsrpt_result_parse(const char *s, tlsrpt_result_type *out);
 *	const char *tlsrpt_policy_name(tlsrpt_policy_type t);
 *	int  tlsrpt_policy_parse(const char *s, tlsrpt_policy_type *out);
 *	tlsrpt_result_type tlsrpt_classify_unverified(int64_t cert_notafter,
 *	                          int64_t now, const char *san, const char *host);
 *	tlsrpt_result_type tlsrpt_classify_exim(int defer_errno, const char *msg,
 *	                        int64_t cert_notafter, int64_t now);
 *	uint32_t tlsrpt_day_of(int64_t unix_time);
 *	int  tlsrpt_day_parse(const char *s, int64_t now, uint32_t *day);
 *	void tlsrpt_day_format(uint32_t day, char out[TLSRPT_DAY_BUF]);
 * DESCRIPTION
 *	tlsrpt_result_name() gives the RFC 8460 §4.3 name of a result type
 *	("starttls-not-supported", ...), or "success" for TLSRPT_SUCCESS.
 *	tlsrpt_result_parse() is its inverse (exact, case-sensitive, as the
 *	IANA registry spells the names): 0, or -1 for an unknown name.
 *
 *	tlsrpt_policy_name() gives the RFC 8460 §4.4 "policy-type" value:
 *	"sts", "tlsa" or "no-policy-found". tlsrpt_policy_parse() accepts
 *	those and "none" as a short form of "no-policy-found".
 *
 *	tlsrpt_classify_exim() maps what Exim 4.96+ hands an event_action on
 *	"msg:host:defer" to a result type: defer_errno is
 *	$event_defer_errno (-37 ERRNO_TLSFAILURE, -38 ERRNO_TLSREQUIRED),
 *	msg is $event_data (the deferral message), cert_notafter is the
 *	peer certificate's notAfter as a Unix time when the configuration
 *	could extract it (${certextract{notafter}...}), else 0; now is the
 *	current Unix time. The strings matched are those of Exim's
 *	src/tls-gnu.c (GnuTLS builds, such as Debian's) and
 *	src/tls-openssl.c, and OpenSSL's X509_verify_cert_error_string()
 *	texts when a site passes Exim's log text instead. The mapping, and
 *	why, is in mtasts-tlsrpt(7). Returns TLSRPT_NOT_TLS when the
 *	deferral is not a TLS outcome (connection refused, timeouts before
 *	STARTTLS, SMTP errors): such attempts are no TLS session and are
 *	not counted.
 *
 *	tlsrpt_classify_unverified() gives the type of a TLS session that
 *	was established although its certificate did not verify (testing
 *	mode: Exim's tls_try_verify_hosts), where Exim tells no reason
 *	($tls_out_certificate_verified is 0, nothing more): an expired
 *	cert_notafter makes it certificate-expired; else a san (Exim's
 *	${certextract{subj_altname}...}: "DNS=name" items separated by
 *	newlines, ";" or ",") none of whose DNS names matches host (RFC 6125
 *	§6.4: exact, or a wildcard for one whole left-most label) makes it
 *	certificate-host-mismatch; else certificate-not-trusted. san or
 *	host NULL or empty: no name check.
 *
 *	Reports cover whole UTC days (RFC 8460 §4.1); a day is counted as
 *	days since 1970-01-01 UTC. tlsrpt_day_of() gives the day of a Unix
 *	time. tlsrpt_day_parse() reads "YYYY-MM-DD", "today" or
 *	"yesterday" (relative to now): 0, or -1 when malformed.
 *	tlsrpt_day_format() writes "YYYY-MM-DD".
 */
#ifndef TLSRPT_TYPES_H
#define TLSRPT_TYPES_H

#include <stdint.h>

/* Exim's error numbers for TLS deferrals (src/macros.h of Exim 4.96) */
#define EXIM_ERRNO_TLSFAILURE	(-37)	/* failed to start a TLS session */
#define EXIM_ERRNO_TLSREQUIRED	(-38)	/* mandatory TLS session not started */

/* RFC 8460 §4.3; the order is that of the RFC. */
typedef enum tlsrpt_result_type {
    TLSRPT_NOT_TLS = -1,	/* not a TLS outcome: not counted */
    TLSRPT_SUCCESS = 0,		/* a successful session (§4.2.1) */
    /* §4.3.1 negotiation failures */
    TLSRPT_STARTTLS_NOT_SUPPORTED,
    TLSRPT_CERTIFICATE_HOST_MISMATCH,
    TLSRPT_CERTIFICATE_NOT_TRUSTED,
    TLSRPT_CERTIFICATE_EXPIRED,
    TLSRPT_VALIDATION_FAILURE,
    /* §4.3.2.1 DANE */
    TLSRPT_TLSA_INVALID,
    TLSRPT_DNSSEC_INVALID,
    TLSRPT_DANE_REQUIRED,
    /* §4.3.2.2 MTA-STS */
    TLSRPT_STS_POLICY_FETCH_ERROR,
    TLSRPT_STS_POLICY_INVALID,
    TLSRPT_STS_WEBPKI_INVALID,
    TLSRPT_RESULT_COUNT
} tlsrpt_result_type;

/* RFC 8460 §4.4 "policy-type" */
typedef enum tlsrpt_policy_type {
    TLSRPT_POLICY_STS = 0,
    TLSRPT_POLICY_TLSA,
    TLSRPT_POLICY_NONE,		/* "no-policy-found" */
    TLSRPT_POLICY_COUNT
} tlsrpt_policy_type;

#define TLSRPT_DAY_SECONDS 86400
#define TLSRPT_DAY_BUF 16

const char *tlsrpt_result_name(tlsrpt_result_type t);
int tlsrpt_result_parse(const char *s, tlsrpt_result_type *out);
const char *tlsrpt_policy_name(tlsrpt_policy_type t);
int tlsrpt_policy_parse(const char *s, tlsrpt_policy_type *out);
tlsrpt_result_type tlsrpt_classify_exim(int defer_errno, const char *msg,
					int64_t cert_notafter, int64_t now);
tlsrpt_result_type tlsrpt_classify_unverified(int64_t cert_notafter, int64_t now,
					      const char *san, const char *host);

uint32_t tlsrpt_day_of(int64_t unix_time);
int tlsrpt_day_parse(const char *s, int64_t now, uint32_t *day);
void tlsrpt_day_format(uint32_t day, char out[TLSRPT_DAY_BUF]);

#endif
