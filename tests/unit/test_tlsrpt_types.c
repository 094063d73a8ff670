/* test_tlsrpt_types - RFC 8460 §4.3 names, and Exim's deferrals mapped to them */
#include "t.h"

#include "tlsrpt_types.h"

#define NOW 1700000000

/* RFC 8460 §4.3: every registered name, spelt as the IANA registry spells it */
static void result_names_are_the_registry_names(void)
{
    static const char *names[] = {
	"starttls-not-supported", "certificate-host-mismatch", "certificate-not-trusted",
	"certificate-expired", "validation-failure", "tlsa-invalid", "dnssec-invalid",
	"dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
    };
    tlsrpt_result_type t;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
	T_EQ_INT(tlsrpt_result_parse(names[i], &t), 0);
	T_EQ_STR(tlsrpt_result_name(t), names[i]);
	T_ASSERT(t != TLSRPT_SUCCESS);
    }
    T_EQ_INT(tlsrpt_result_parse("success", &t), 0);
    T_EQ_INT(t, TLSRPT_SUCCESS);
    T_EQ_INT(tlsrpt_result_parse("Certificate-Expired", &t), -1);
    T_EQ_INT(tlsrpt_result_parse("", &t), -1);
    T_EQ_INT(TLSRPT_RESULT_COUNT, 12);
}

/* RFC 8460 §4.4: policy-type is "tlsa", "sts" or "no-policy-found" */
static void policy_types(void)
{
    tlsrpt_policy_type p;

    T_EQ_STR(tlsrpt_policy_name(TLSRPT_POLICY_STS), "sts");
    T_EQ_STR(tlsrpt_policy_name(TLSRPT_POLICY_TLSA), "tlsa");
    T_EQ_STR(tlsrpt_policy_name(TLSRPT_POLICY_NONE), "no-policy-found");
    T_EQ_INT(tlsrpt_policy_parse("none", &p), 0);
    T_EQ_INT(p, TLSRPT_POLICY_NONE);
    T_EQ_INT(tlsrpt_policy_parse("no-policy-found", &p), 0);
    T_EQ_INT(p, TLSRPT_POLICY_NONE);
    T_EQ_INT(tlsrpt_policy_parse("tlsa", &p), 0);
    T_EQ_INT(p, TLSRPT_POLICY_TLSA);
    T_EQ_INT(tlsrpt_policy_parse("dane", &p), -1);
}

/* Exim smtp.c, ERRNO_TLSREQUIRED: the server did not offer STARTTLS */
static void no_starttls_offered_is_starttls_not_supported(void)
{
    T_EQ_INT(tlsrpt_classify_exim(-38, "a TLS session is required, but the server did not "
				  "offer TLS support", 0, NOW), TLSRPT_STARTTLS_NOT_SUPPORTED);
    T_EQ_INT(tlsrpt_classify_exim(-38, "a TLS session is required, but an attempt to start "
				  "TLS failed", 0, NOW), TLSRPT_VALIDATION_FAILURE);
}

/* GnuTLS builds: the host-name check fails without detail */
static void gnutls_name_check_is_host_mismatch(void)
{
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (certificate verification failed)", 0, NOW),
	     TLSRPT_CERTIFICATE_HOST_MISMATCH);
}

/* GnuTLS builds: "certificate invalid" is an untrusted chain, or expired */
static void gnutls_invalid_is_not_trusted_or_expired(void)
{
    const char *m = "TLS session: (certificate verification failed): certificate invalid";

    T_EQ_INT(tlsrpt_classify_exim(-37, m, 0, NOW), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, m, NOW + 86400, NOW), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, m, NOW - 1, NOW), TLSRPT_CERTIFICATE_EXPIRED);
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (certificate verification failed): "
				  "certificate revoked", 0, NOW), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (certificate verification failed): "
				  "certificate not supplied", 0, NOW),
	     TLSRPT_CERTIFICATE_NOT_TRUSTED);
}

/* GnuTLS DANE: a TLSA problem */
static void gnutls_tlsa_problem_is_tlsa_invalid(void)
{
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (certificate verification failed): "
				  "TLSA record problem: none usable", 0, NOW), TLSRPT_TLSA_INVALID);
}

/* OpenSSL builds: the deferral says only "certificate verify failed" */
static void openssl_verify_failed(void)
{
    const char *m = "TLS session: (SSL_connect): error:0A000086:SSL routines::"
	"certificate verify failed";

    T_EQ_INT(tlsrpt_classify_exim(-37, m, 0, NOW), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, m, NOW - 10, NOW), TLSRPT_CERTIFICATE_EXPIRED);
}

/* OpenSSL's X509_verify_cert_error_string() texts, as Exim logs them */
static void openssl_log_texts(void)
{
    T_EQ_INT(tlsrpt_classify_exim(-37, "SSL verify error: depth=0 error=certificate has expired "
				  "cert=/CN=mx.example", 0, NOW), TLSRPT_CERTIFICATE_EXPIRED);
    T_EQ_INT(tlsrpt_classify_exim(-37, "SSL verify error: depth=0 error=self-signed certificate",
				  0, NOW), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, "error=unable to get local issuer certificate", 0, NOW),
	     TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_exim(-37, "SSL verify error: certificate name mismatch: "
				  "DN=\"/CN=other\" H=\"mx.example\"", 0, NOW),
	     TLSRPT_CERTIFICATE_HOST_MISMATCH);
}

/* other handshake failures: RFC 8460 §4.3.1 validation-failure */
static void other_handshake_failures_are_validation_failure(void)
{
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (gnutls_handshake): A TLS fatal alert has "
				  "been received.", 0, NOW), TLSRPT_VALIDATION_FAILURE);
    T_EQ_INT(tlsrpt_classify_exim(-37, "TLS session: (gnutls_handshake): timed out", 0, NOW),
	     TLSRPT_VALIDATION_FAILURE);
    T_EQ_INT(tlsrpt_classify_exim(-37, NULL, 0, NOW), TLSRPT_VALIDATION_FAILURE);
}

/* connection refused, timeouts, SMTP errors: no TLS session, not counted */
static void other_errors_are_not_tls(void)
{
    T_EQ_INT(tlsrpt_classify_exim(111, "Connection refused", 0, NOW), TLSRPT_NOT_TLS);
    T_EQ_INT(tlsrpt_classify_exim(0, "", 0, NOW), TLSRPT_NOT_TLS);
    T_EQ_INT(tlsrpt_classify_exim(-18, "SMTP timeout after RCPT TO", 0, NOW), TLSRPT_NOT_TLS);
}

/* RFC 8460 §4.1: reports cover UTC days */
/* RFC 8460 §4.3.1: a session established without a verified certificate
 * (testing mode) - expired, then the name (RFC 6125 §6.4), then the chain */
static void unverified_session_types(void)
{
    const char *san = "DNS=mx-selfsigned.example.test\nDNS=mta-sts.https-untrusted.example.test";

    T_EQ_INT(tlsrpt_classify_unverified(1580515200, NOW, san, "mx-selfsigned.example.test"),
	     TLSRPT_CERTIFICATE_EXPIRED);
    T_EQ_INT(tlsrpt_classify_unverified(NOW + 86400, NOW, san, "mx-selfsigned.example.test"),
	     TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_unverified(NOW + 86400, NOW, "DNS=wrong-name.example.test",
					"mx-wrongname.example.test"),
	     TLSRPT_CERTIFICATE_HOST_MISMATCH);
    /* a wildcard covers one whole left-most label, case-insensitively */
    T_EQ_INT(tlsrpt_classify_unverified(0, NOW, "IP=192.0.2.1;DNS=*.Example.TEST",
					"mx.example.test"), TLSRPT_CERTIFICATE_NOT_TRUSTED);
    T_EQ_INT(tlsrpt_classify_unverified(0, NOW, "DNS=*.example.test", "a.mx.example.test"),
	     TLSRPT_CERTIFICATE_HOST_MISMATCH);
    /* nothing to compare: the chain */
    T_EQ_INT(tlsrpt_classify_unverified(0, NOW, NULL, "mx.example.test"),
	     TLSRPT_CERTIFICATE_NOT_TRUSTED);
}

static void days(void)
{
    uint32_t d;
    char s[TLSRPT_DAY_BUF];

    T_EQ_INT(tlsrpt_day_parse("2024-02-29", NOW, &d), 0);
    tlsrpt_day_format(d, s);
    T_EQ_STR(s, "2024-02-29");
    T_EQ_INT((int64_t) d * 86400, 1709164800);
    T_EQ_INT(tlsrpt_day_parse("today", NOW, &d), 0);
    T_EQ_INT(d, NOW / 86400);
    T_EQ_INT(tlsrpt_day_parse("yesterday", NOW, &d), 0);
    T_EQ_INT(d, NOW / 86400 - 1);
    T_EQ_INT(tlsrpt_day_parse("2024-2-29", NOW, &d), -1);
    T_EQ_INT(tlsrpt_day_parse("2024-02-29x", NOW, &d), -1);
    T_EQ_INT(tlsrpt_day_parse("1969-12-31", NOW, &d), -1);
    T_EQ_INT(tlsrpt_day_of(86399), 0);
    T_EQ_INT(tlsrpt_day_of(86400), 1);
}

int main(void)
{
    T_RUN(result_names_are_the_registry_names);
    T_RUN(policy_types);
    T_RUN(no_starttls_offered_is_starttls_not_supported);
    T_RUN(gnutls_name_check_is_host_mismatch);
    T_RUN(gnutls_invalid_is_not_trusted_or_expired);
    T_RUN(gnutls_tlsa_problem_is_tlsa_invalid);
    T_RUN(openssl_verify_failed);
    T_RUN(openssl_log_texts);
    T_RUN(unverified_session_types);
    T_RUN(other_handshake_failures_are_validation_failure);
    T_RUN(other_errors_are_not_tls);
    T_RUN(days);
    return t_done();
}
