/*
 * NAME
 *	tlsrpt_verb - the arguments of the "report" request (one TLS result from Exim)
 * DESCRIPTION
 *	See tlsrpt_verb.h. Bytes from the socket: every field is checked
 *	here, and tests/fuzz/fuzz_tlsrpt_verb.c runs this parser behind
 *	proto_req_parse().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "mt_err.h"
#include "proto.h"

#include "tlsrpt_counters.h"
#include "tlsrpt_verb.h"

/* sanitise - printable ASCII only, cut to TLSRPT_FIELD_MAX (in place) */
static const char *sanitise(char *s)
{
    size_t i;

    for (i = 0; s[i]; i++) {
	if (i == TLSRPT_FIELD_MAX) {
	    s[i] = 0;
	    break;
	}
	if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
	    s[i] = '?';
    }
    return *s ? s : NULL;
}

/* put_v4 - dotted quad of a (what inet_ntop writes, without its sprintf) */
static void put_v4(const unsigned char *a, char *out)
{
    int i;

    for (i = 0; i < 4; i++) {
	unsigned v = a[i];

	if (v >= 100)
	    *out++ = (char) ('0' + v / 100);
	if (v >= 10)
	    *out++ = (char) ('0' + v / 10 % 10);
	*out++ = (char) ('0' + v % 10);
	*out++ = i < 3 ? '.' : 0;
    }
}

/* parse_ip - an IPv4 or IPv6 address, kept in its canonical text form */
static int parse_ip(const char *v, char *out, size_t outsz)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, v, a) == 1) {
	if (outsz < INET_ADDRSTRLEN)
	    return -1;
	put_v4(a, out);	/* the report path: no printf (bench/TLSRPT.md) */
	return 0;
    }
    if (inet_pton(AF_INET6, v, a) == 1)
	return inet_ntop(AF_INET6, a, out, (socklen_t) outsz) ? 0 : -1;
    return -1;
}

/* parse_int - a decimal integer, optionally negative, in [min, max] */
static int parse_int(const char *v, long long min, long long max, long long *out)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
	return -1;
    *out = n;
    return 0;
}

/* name_arg - a normalised host or domain name; the common case (already
 * lower-case LDH, no A-label) without domain_normalise()'s work */
static int name_arg(const char *v, size_t len, char *out, size_t outsz)
{
    if (len < outsz && domain_is_valid_ldh(v) && strstr(v, "xn--") == NULL) {
	memcpy(out, v, len + 1);
	return 0;
    }
    return domain_normalise(v, len, out, outsz, NULL);
}

/* tlsrpt_verb_parse - check and decode "report DOMAIN key=value ..." */
int tlsrpt_verb_parse(proto_req *req, int64_t now, tlsrpt_verb_args *a, mt_err *err)
{
    const char *result = NULL, *msg = NULL, *san = NULL;
    int unverified = 0;
    long long n, defer_errno = 0, notafter = 0;
    int have_errno = 0, i;
    unsigned seen = 0;
    static const char *const keys[] = {
	"result", "errno", "msg", "notafter", "policy", "mx", "ip", "sip", "helo", "reason",
	"tlsa", "count", "skipped", "verify", "san", NULL,
    };

    memset(a, 0, sizeof(*a));
    a->policy_auto = 1;
    a->count = 1;
    if (req->argc < 1) {
	mt_err_set(err, 0, 0, NULL, "usage: report DOMAIN key=value ...");
	return -1;
    }
    if (name_arg(req->argv[0], req->argl[0], a->domain, sizeof(a->domain)) < 0) {
	mt_err_set(err, 0, 0, NULL, "bad-domain: not a domain name");
	return -1;
    }
    for (i = 1; i < req->argc; i++) {
	char *arg = req->argv[i], *v = strchr(arg, '=');
	int k;

	if (v == NULL) {
	    mt_err_set(err, 0, (unsigned) i + 1, NULL, "bad-argument: not key=value");
	    return -1;
	}
	*v++ = 0;		/* req's storage is ours to cut */
	for (k = 0; keys[k] && (keys[k][0] != arg[0] || strcmp(keys[k], arg) != 0); k++)
	    ;
	if (keys[k] == NULL) {
	    mt_err_set(err, 0, (unsigned) i + 1, NULL, "unknown-key: %.32s", arg);
	    v[-1] = '=';
	    return -1;
	}
	if (seen & (1u << k)) {
	    mt_err_set(err, 0, (unsigned) i + 1, NULL, "repeated-key: %s", arg);
	    v[-1] = '=';
	    return -1;
	}
	seen |= 1u << k;
	if (*v == 0)
	    continue;
	switch (k) {
	case 0:
	    result = v;
	    break;
	case 1:
	    if (parse_int(v, -1000000, 1000000, &defer_errno) < 0)
		goto bad;
	    have_errno = 1;
	    break;
	case 2:
	    msg = sanitise(v);
	    break;
	case 3:
	    if (parse_int(v, 0, INT64_MAX / 2, &notafter) < 0)
		goto bad;
	    break;
	case 4:
	    if (strcmp(v, "auto") == 0)
		break;
	    if (tlsrpt_policy_parse(v, &a->policy) < 0)
		goto bad;
	    a->policy_auto = 0;
	    break;
	case 5:
	    if (name_arg(v, strlen(v), a->mx, sizeof(a->mx)) < 0)
		goto bad;
	    break;
	case 6:
	    if (parse_ip(v, a->ip, sizeof(a->ip)) < 0)
		goto bad;
	    break;
	case 7:
	    if (parse_ip(v, a->sip, sizeof(a->sip)) < 0)
		goto bad;
	    break;
	case 8:
	    a->helo = sanitise(v);
	    break;
	case 9:
	    a->reason = sanitise(v);
	    break;
	case 10:
	    a->tlsa = sanitise(v);
	    break;
	case 11:
	    if (parse_int(v, 1, TLSRPT_VERB_COUNT_MAX, &n) < 0)
		goto bad;
	    a->count = (uint64_t) n;
	    break;
	case 12:
	    a->skipped = sanitise(v);
	    break;
	case 13:
	    if (strcmp(v, "failed") != 0)
		goto bad;
	    unverified = 1;
	    break;
	case 14:
	    san = v;		/* not sanitised: only matched against mx */
	    break;
	}
	continue;
      bad:
	mt_err_set(err, 0, (unsigned) i + 1, NULL, "bad-value: %s", arg);
	v[-1] = '=';
	return -1;
    }
    if (a->skipped) {
	/* the router's MX list: counted by the caller against the policy */
	if (result || have_errno || unverified) {
	    mt_err_set(err, 0, 0, NULL, "bad-argument: skipped= goes alone");
	    return -1;
	}
	a->result = TLSRPT_VALIDATION_FAILURE;
	a->policy_auto = 0;
	a->policy = TLSRPT_POLICY_STS;
	a->reason = a->reason ? a->reason : TLSRPT_REASON_SKIPPED;
	return 0;
    }
    if (result) {
	if (tlsrpt_result_parse(result, &a->result) < 0) {
	    mt_err_set(err, 0, 0, "RFC 8460 §4.3", "bad-result: not a result type");
	    return -1;
	}
    } else if (unverified) {
	if (have_errno) {
	    mt_err_set(err, 0, 0, NULL, "bad-argument: verify=failed or errno=, not both");
	    return -1;
	}
	a->result = tlsrpt_classify_unverified(notafter, now, san, a->mx);
	if (a->reason == NULL)
	    a->reason = "certificate not verified (session established: testing mode)";
    } else if (have_errno) {
	a->result = tlsrpt_classify_exim((int) defer_errno, msg, notafter, now);
	if (a->result == TLSRPT_NOT_TLS)
	    return 1;
    } else {
	mt_err_set(err, 0, 0, NULL, "no-result: give result= or errno=");
	return -1;
    }
    if (a->reason == NULL && a->result != TLSRPT_SUCCESS)
	a->reason = msg;
    return 0;
}
