/* test_tlsrpt_verb - the "report" request as Exim's event_action sends it */
#include <string.h>

#include "t.h"

#include "proto.h"
#include "tlsrpt_verb.h"

#define NOW 1700000000

static int parse(const char *line, tlsrpt_verb_args *a, proto_req *req, mt_err *e)
{
    if (proto_req_parse(line, strlen(line), req, e) < 0)
	return -2;
    return tlsrpt_verb_parse(req, NOW, a, e);
}

/* a success: the fields of RFC 8460 §4.4 failure-details, when given */
static void success_line(void)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;

    T_EQ_INT(parse("report Example.TEST. result=success mx=MX1.example.test ip=127.0.0.21 "
		   "sip=::ffff:127.0.0.1 policy=auto helo=", &a, &req, &e), 0);
    T_EQ_STR(a.domain, "example.test");
    T_EQ_INT(a.result, TLSRPT_SUCCESS);
    T_EQ_STR(a.mx, "mx1.example.test");
    T_EQ_STR(a.ip, "127.0.0.21");
    T_EQ_STR(a.sip, "::ffff:127.0.0.1");
    T_ASSERT(a.policy_auto);
    T_ASSERT(a.helo == NULL);	/* empty: not given */
    T_EQ_INT(a.count, 1);
}

/* Exim's deferral, classified here: -37 with GnuTLS's "certificate invalid"
 * and an expired notAfter is certificate-expired (RFC 8460 §4.3.1) */
static void exim_deferral_is_classified(void)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;

    /* "TLS session: (certificate verification failed): certificate invalid" */
    T_EQ_INT(parse("report example.test errno=-37 msg=b64:VExTIHNlc3Npb246IChjZXJ0aWZpY2F0ZSB2"
		   "ZXJpZmljYXRpb24gZmFpbGVkKTogY2VydGlmaWNhdGUgaW52YWxpZA== notafter=1600000000 "
		   "mx=mx.example.test ip=192.0.2.1 policy=sts", &a, &req, &e), 0);
    T_EQ_INT(a.result, TLSRPT_CERTIFICATE_EXPIRED);
    T_EQ_STR(a.reason, "TLS session: (certificate verification failed): certificate invalid");
    T_ASSERT(!a.policy_auto);
    T_EQ_INT(a.policy, TLSRPT_POLICY_STS);
    /* Connection refused: no TLS session, nothing to count */
    T_EQ_INT(parse("report example.test errno=111 msg=b64:Q29ubmVjdGlvbiByZWZ1c2Vk", &a, &req, &e), 1);
    /* result= wins over errno= */
    T_EQ_INT(parse("report example.test errno=111 result=dane-required policy=tlsa", &a, &req, &e), 0);
    T_EQ_INT(a.result, TLSRPT_DANE_REQUIRED);
}

/* the router's MX list (skipped=): a validation-failure of the sts policy
 * for each host the caller finds outside it (RFC 8461 §4.1, RFC 8460 §4.3.1) */
static void skipped_list(void)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;

    /* "mx-other.example.test:mx1.example.test" */
    T_EQ_INT(parse("report enforce.example.test skipped=b64:bXgtb3RoZXIuZXhhbXBsZS50ZXN0Om14MS5l"
		   "eGFtcGxlLnRlc3Q= sip=127.0.9.1", &a, &req, &e), 0);
    T_EQ_STR(a.skipped, "mx-other.example.test:mx1.example.test");
    T_EQ_INT(a.result, TLSRPT_VALIDATION_FAILURE);
    T_ASSERT(!a.policy_auto);
    T_EQ_INT(a.policy, TLSRPT_POLICY_STS);
    T_EQ_STR(a.reason, TLSRPT_REASON_SKIPPED);
    T_EQ_STR(a.sip, "127.0.9.1");
    /* it goes alone: not with a result of its own */
    T_EQ_INT(parse("report enforce.example.test skipped=mx1.example.test result=success",
		   &a, &req, &e), -1);
}

/* free text is printable ASCII when it reaches a report */
static void text_is_sanitised(void)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;

    /* reason = "a\tb\xffc" */
    T_EQ_INT(parse("report example.test result=validation-failure reason=b64:YQli/2M=", &a, &req, &e), 0);
    T_EQ_STR(a.reason, "a?b?c");
}

/* malformed requests are refused with a reason word */
static void malformed_requests(void)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;

    T_EQ_INT(parse("report", &a, &req, &e), -1);
    T_EQ_INT(parse("report not_a_domain! result=success", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test", &a, &req, &e), -1);
    T_ASSERT(strncmp(e.msg, "no-result", 9) == 0);
    T_EQ_INT(parse("report example.test result=Success", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success ip=300.1.1.1", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success count=0", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success count=1000001", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success colour=blue", &a, &req, &e), -1);
    T_ASSERT(strncmp(e.msg, "unknown-key", 11) == 0);
    T_EQ_INT(parse("report example.test result=success mx=a mx=b", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success policy=dane", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test result=success plainword", &a, &req, &e), -1);
    T_EQ_INT(parse("report example.test errno=x result=success", &a, &req, &e), -1);
}

int main(void)
{
    T_RUN(success_line);
    T_RUN(exim_deferral_is_classified);
    T_RUN(skipped_list);
    T_RUN(text_is_sanitised);
    T_RUN(malformed_requests);
    return t_done();
}
