/*
 * NAME
 *	policy - the MTA-STS policy file (RFC 8461 §3.2) and MX matching (§4.1)
 * SUMMARY
 *	parse a policy body; say whether an MX host name is allowed
 * SYNOPSIS
 *	#include "policy.h"
 *
 *	int  policy_parse(const char *body, size_t len, policy *out, mt_err *err);
 *	int  policy_parse_warn(const char *body, size_t len, policy *out,
 *	                       mt_err *err, policy_warn_fn *warn, void *ctx);
 *	void policy_free(policy *p);
 *	int  policy_mx_pattern_valid(const char *pat, size_t len, mt_err *err);
 *	int  policy_mx_pattern_matches(const char *pattern, const char *host);
 *	int  policy_mx_matches(const policy *p, const char *host);
 *	const char *policy_mode_name(policy_mode mode);
 *	int  policy_mode_from_name(const char *name, policy_mode *mode);
 * DESCRIPTION
 *	policy_parse() reads "key: value" lines ended by LF or CRLF, with
 *	optional whitespace after ":" and trailing whitespace ignored.
 *	version (STSv1), mode (enforce|testing|none) and max_age (1 to 10
 *	digits) are required; mx at least once unless mode is none. Every
 *	field but mx counts at its first occurrence only (§3.2 "SHALL be
 *	ignored"). max_age above POLICY_MAX_AGE_CAP is capped in out.
 *	Unknown fields are ignored. Returns 0, or -1 with err naming the
 *	line and the rule. A body larger than POLICY_MAX_BODY is refused.
 *
 *	policy_parse_warn() is policy_parse() that also calls warn(ctx, w)
 *	for every line it ignores or value it adjusts (repeated field,
 *	unknown field, line without ':', max_age capped, final dot of an
 *	mx pattern dropped, ...); w names the line and the rule. warn may
 *	be NULL. policy.c lists every reading where the RFC is silent.
 *
 *	policy_mx_pattern_valid() checks one pattern: ["*."] Domain, LDH
 *	labels, valid A-labels, '*' nowhere else, one final dot allowed.
 *	Returns 0 or -1 with err (err->col relative to pat).
 *
 *	policy_mx_pattern_matches(): exact match, or "*.rest" matching
 *	exactly one left-most label followed by rest; case-insensitive; a
 *	trailing dot on host is ignored. policy_mx_matches() tries every
 *	pattern of p.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"

#define POLICY_MAX_BODY 65536		/* RFC 8461 §3.3: 64 KiB suggested */
#define POLICY_MAX_AGE_CAP 31557600	/* RFC 8461 §3.2: at most one year */
#define POLICY_MAX_AGE_DIGITS 10	/* RFC 8461 §3.2: 1*10DIGIT */
#define POLICY_MAX_MX 256		/* our limit on mx lines */

typedef enum policy_mode {
    POLICY_MODE_NONE = 0,
    POLICY_MODE_TESTING = 1,
    POLICY_MODE_ENFORCE = 2,
} policy_mode;

typedef struct policy {
    policy_mode mode;
    uint32_t max_age;		/* seconds, already capped */
    size_t n_mx;
    char **mx;			/* malloc'ed patterns, lower-cased */
} policy;

int policy_parse(const char *body, size_t len, policy *out, mt_err *err);

/* policy_warn_fn - told about one ignored line or adjusted value */
typedef void policy_warn_fn(void *ctx, const mt_err *warning);
int policy_parse_warn(const char *body, size_t len, policy *out, mt_err *err,
		      policy_warn_fn *warn, void *ctx);
void policy_free(policy *p);
int policy_mx_pattern_valid(const char *pat, size_t len, mt_err *err);
int policy_mx_pattern_matches(const char *pattern, const char *host);
int policy_mx_matches(const policy *p, const char *host);
const char *policy_mode_name(policy_mode mode);
int policy_mode_from_name(const char *name, policy_mode *mode);

#endif
