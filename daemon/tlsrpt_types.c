/*
 * NAME
 *	tlsrpt_types - RFC 8460 §4.3 result types, and what Exim reports mapped to them
 * DESCRIPTION
 *	See tlsrpt_types.h. The names are those of the IANA "STARTTLS
 *	Validation Result Types" registry created by RFC 8460 §6.4.
 *
 *	Exim says little about why a TLS session failed: its deferral
 *	message carries the TLS library's error string, and that string is
 *	all an event_action can pass on. What each library writes (Exim
 *	4.96 source):
 *	  GnuTLS (tls-gnu.c verify_certificate(), then tls_client_start()):
 *	    "(certificate verification failed): certificate invalid"
 *	        chain not trusted, self-signed, or expired (one message!)
 *	    "(certificate verification failed): certificate revoked"
 *	    "(certificate verification failed): certificate not supplied"
 *	    "(certificate verification failed)"	(no detail: the only path
 *	        without one is the host name check, so: host mismatch)
 *	    "(certificate verification failed): TLSA record problem: ..."
 *	    "(gnutls_handshake): <gnutls_strerror text>"
 *	  OpenSSL (tls-openssl.c, the verify callback logs the detail; the
 *	  deferral says only):
 *	    "(SSL_connect): error:0A000086:SSL routines::certificate verify failed"
 *	  and the log lines "SSL verify error: depth=0 error=certificate has
 *	  expired ..." / "certificate name mismatch: DN=..." that a site may
 *	  pass instead.
 *	Both libraries fold "expired" into a general certificate failure,
 *	so the shipped configuration also passes the certificate's notAfter
 *	when Exim still holds the peer certificate; an expired notAfter
 *	then makes the failure certificate-expired.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy.h"

#include "tlsrpt_types.h"

static const char *const result_names[TLSRPT_RESULT_COUNT] = {
    [TLSRPT_SUCCESS] = "success",
    [TLSRPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
    [TLSRPT_CERTIFICATE_HOST_MISMATCH] = "certificate-host-mismatch",
    [TLSRPT_CERTIFICATE_NOT_TRUSTED] = "certificate-not-trusted",
    [TLSRPT_CERTIFICATE_EXPIRED] = "certificate-expired",
    [TLSRPT_VALIDATION_FAILURE] = "validation-failure",
    [TLSRPT_TLSA_INVALID] = "tlsa-invalid",
    [TLSRPT_DNSSEC_INVALID] = "dnssec-invalid",
    [TLSRPT_DANE_REQUIRED] = "dane-required",
    [TLSRPT_STS_POLICY_FETCH_ERROR] = "sts-policy-fetch-error",
    [TLSRPT_STS_POLICY_INVALID] = "sts-policy-invalid",
    [TLSRPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

static const char *const policy_names[TLSRPT_POLICY_COUNT] = {
    [TLSRPT_POLICY_STS] = "sts",
    [TLSRPT_POLICY_TLSA] = "tlsa",
    [TLSRPT_POLICY_NONE] = "no-policy-found",
};

/* tlsrpt_result_name - the RFC 8460 §4.3 name of a result type */
const char *tlsrpt_result_name(tlsrpt_result_type t)
{
    if (t < 0 || t >= TLSRPT_RESULT_COUNT)
	return "not-tls";
    return result_names[t];
}

/* tlsrpt_result_parse - a result type from its registered name */
int tlsrpt_result_parse(const char *s, tlsrpt_result_type *out)
{
    int i;

    for (i = 0; i < TLSRPT_RESULT_COUNT; i++)
	if (strcmp(s, result_names[i]) == 0) {
	    *out = (tlsrpt_result_type) i;
	    return 0;
	}
    return -1;
}

/* tlsrpt_policy_name - the RFC 8460 §4.4 policy-type value */
const char *tlsrpt_policy_name(tlsrpt_policy_type t)
{
    if (t < 0 || t >= TLSRPT_POLICY_COUNT)
	return "no-policy-found";
    return policy_names[t];
}

/* tlsrpt_policy_parse - a policy type from its name ("none" too) */
int tlsrpt_policy_parse(const char *s, tlsrpt_policy_type *out)
{
    int i;

    if (strcmp(s, "none") == 0) {
	*out = TLSRPT_POLICY_NONE;
	return 0;
    }
    for (i = 0; i < TLSRPT_POLICY_COUNT; i++)
	if (strcmp(s, policy_names[i]) == 0) {
	    *out = (tlsrpt_policy_type) i;
	    return 0;
	}
    return -1;
}

/* has - case-insensitive substring test */
static int has(const char *low, const char *needle)
{
    return strstr(low, needle) != NULL;	/* low and needle are lower case */
}

#define LOWER_MAX 1024		/* texts are cut there (TLSRPT_FIELD_MAX) */

/* lower - an ASCII lower-case copy of msg, cut to LOWER_MAX bytes: one pass,
 * then plain strstr() per needle (strcasestr() was a quarter of the report
 * path's cost: bench/TLSRPT.md) */
static const char *lower(const char *msg, char out[LOWER_MAX + 1])
{
    size_t i;

    for (i = 0; msg[i] && i < LOWER_MAX; i++)
	out[i] = (char) (msg[i] >= 'A' && msg[i] <= 'Z' ? msg[i] + 32 : msg[i]);
    out[i] = 0;
    return out;
}

/* ends_with - msg ends with suffix, trailing spaces ignored */
static int ends_with(const char *msg, const char *suffix)
{
    size_t n = strlen(msg), k = strlen(suffix);

    while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\n' || msg[n - 1] == '\r'))
	n--;
    return n >= k && strncmp(msg + n - k, suffix, k) == 0;
}

/* The texts that name an untrusted chain (GnuTLS, OpenSSL and Exim's own),
 * in lower case */
static const char *const untrusted_texts[] = {
    "certificate invalid",	/* GnuTLS via Exim: also expired, see above */
    "certificate revoked",
    "certificate not supplied",
    "certificate verify failed",	/* OpenSSL's SSL_R_CERTIFICATE_VERIFY_FAILED */
    "self-signed certificate", "self signed certificate",
    "unable to get local issuer certificate",
    "unable to get issuer certificate",
    "unable to verify the first certificate",
    "certificate chain too long", "invalid ca certificate",
    "certificate not trusted", "certificate rejected",
    "certificate signature failure", "certificate is not yet valid",
    "not trusted", "signer not found", "issuer is not known",
    "error in the certificate",	/* gnutls_strerror(GNUTLS_E_CERTIFICATE_ERROR) */
    NULL,
};

/* classify_cert_text - a certificate-related failure from its text, or -1 */
static int classify_cert_text(const char *msg, int64_t notafter, int64_t now)
{
    const char *const *p;
    char buf[LOWER_MAX + 1];
    const char *low = lower(msg, buf);

    if (has(low, "tlsa record problem"))
	return TLSRPT_TLSA_INVALID;
    if (has(low, "certificate has expired") || has(low, "certificate expired")
	|| has(low, "uses expired certificate"))
	return TLSRPT_CERTIFICATE_EXPIRED;
    if (has(low, "name mismatch") || has(low, "hostname mismatch")
	|| has(low, "does not match the expected"))
	return TLSRPT_CERTIFICATE_HOST_MISMATCH;
    /* GnuTLS builds: the host name check is the one failure without detail */
    if (ends_with(msg, "(certificate verification failed)"))
	return TLSRPT_CERTIFICATE_HOST_MISMATCH;
    for (p = untrusted_texts; *p; p++)
	if (has(low, *p)) {
	    if (notafter > 0 && notafter < now)
		return TLSRPT_CERTIFICATE_EXPIRED;
	    return TLSRPT_CERTIFICATE_NOT_TRUSTED;
	}
    return -1;
}

/* tlsrpt_classify_exim - the result type of an Exim TLS deferral */
tlsrpt_result_type tlsrpt_classify_exim(int defer_errno, const char *msg,
					int64_t cert_notafter, int64_t now)
{
    int t;

    if (msg == NULL)
	msg = "";
    switch (defer_errno) {
    case EXIM_ERRNO_TLSREQUIRED:
	/* smtp.c: "a TLS session is required, but the server did not
	 * offer TLS support" / "... but an attempt to start TLS failed" */
	if (strstr(msg, "did not offer TLS"))
	    return TLSRPT_STARTTLS_NOT_SUPPORTED;
	if ((t = classify_cert_text(msg, cert_notafter, now)) >= 0)
	    return (tlsrpt_result_type) t;
	return TLSRPT_VALIDATION_FAILURE;
    case EXIM_ERRNO_TLSFAILURE:
	/* smtp.c: "TLS session: <library error>" */
	if ((t = classify_cert_text(msg, cert_notafter, now)) >= 0)
	    return (tlsrpt_result_type) t;
	return TLSRPT_VALIDATION_FAILURE;
    default:
	return TLSRPT_NOT_TLS;
    }
}

/* san_matches - some DNS name of a subjectAltName list matches host */
static int san_matches(const char *san, const char *host)
{
    const char *p = san;

    while (*p) {
	size_t n = strcspn(p, "\n;,");
	char name[256];

	if (n > 4 && n - 4 < sizeof(name) && strncasecmp(p, "DNS=", 4) == 0) {
	    memcpy(name, p + 4, n - 4);
	    name[n - 4] = 0;
	    /* RFC 6125 §6.4.3: "*." matches one whole left-most label, as in
	     * an MTA-STS mx pattern (RFC 8461 §4.1 refers to the same rules) */
	    if (policy_mx_pattern_matches(name, host))
		return 1;
	}
	p += n;
	while (*p == '\n' || *p == ';' || *p == ',' || *p == ' ')
	    p++;
    }
    return 0;
}

/* tlsrpt_classify_unverified - an established session whose certificate did not verify */
tlsrpt_result_type tlsrpt_classify_unverified(int64_t cert_notafter, int64_t now,
					      const char *san, const char *host)
{
    if (cert_notafter > 0 && cert_notafter < now)
	return TLSRPT_CERTIFICATE_EXPIRED;
    if (san && *san && host && *host && !san_matches(san, host))
	return TLSRPT_CERTIFICATE_HOST_MISMATCH;
    return TLSRPT_CERTIFICATE_NOT_TRUSTED;
}

/* tlsrpt_day_of - the UTC day (days since the epoch) of a Unix time */
uint32_t tlsrpt_day_of(int64_t unix_time)
{
    if (unix_time < 0)
	return 0;
    return (uint32_t) (unix_time / TLSRPT_DAY_SECONDS);
}

/* tlsrpt_day_parse - "YYYY-MM-DD", "today" or "yesterday" to a day number */
int tlsrpt_day_parse(const char *s, int64_t now, uint32_t *day)
{
    struct tm tm;
    char *end;
    time_t t;

    if (strcmp(s, "today") == 0) {
	*day = tlsrpt_day_of(now);
	return 0;
    }
    if (strcmp(s, "yesterday") == 0) {
	*day = tlsrpt_day_of(now) - 1;
	return 0;
    }
    if (strlen(s) != 10)
	return -1;
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end == NULL || *end != 0 || tm.tm_year < 70)
	return -1;
    t = timegm(&tm);
    if (t < 0)
	return -1;
    *day = tlsrpt_day_of((int64_t) t);
    return 0;
}

/* tlsrpt_day_format - "YYYY-MM-DD" of a day number */
void tlsrpt_day_format(uint32_t day, char out[TLSRPT_DAY_BUF])
{
    time_t t = (time_t) day * TLSRPT_DAY_SECONDS;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, TLSRPT_DAY_BUF, "%Y-%m-%d", &tm);
}
