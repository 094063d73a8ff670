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
 *	The grammar of RFC 8461 §3.2 (RFC 7405 case-sensitive strings):
 *
 *	    sts-policy-record   = sts-policy-field *WSP
 *	                          *(sts-policy-term sts-policy-field *WSP)
 *	                          [sts-policy-term]
 *	    field-delim         = ":" *WSP
 *	    sts-policy-version  = %s"version" field-delim %s"STSv1"
 *	    sts-policy-mode     = %s"mode" field-delim
 *	                          (%s"testing" / %s"enforce" / %s"none")
 *	    sts-policy-max-age  = %s"max_age" field-delim 1*10(DIGIT)
 *	    sts-policy-mx       = %s"mx" field-delim ["*."] Domain
 *	    sts-policy-extension = sts-policy-ext-name field-delim
 *	                          sts-policy-ext-value
 *	    sts-policy-term     = CRLF / LF
 *
 *	The rules we apply, and our readings where the RFC is silent
 *	(each chosen so that it never turns an enforce policy into no
 *	policy, i.e. never weakens enforcement; see mtasts(1)):
 *
 *	- Lines end with LF or CRLF; the last line may lack one. Trailing
 *	  spaces, tabs and stray CRs at the end of a line are ignored.
 *	  Empty (or all-blank) lines are ignored. A UTF-8 byte order mark
 *	  at the very start is ignored (with a warning).
 *	- version, mode and max_age are required; mx at least once unless
 *	  mode is none. Field names and values are case-sensitive.
 *	- Every field but mx counts at its first occurrence; later
 *	  occurrences are ignored whatever their value (§3.2 "SHALL be
 *	  ignored"). Every mx line counts; exact duplicates are kept once.
 *	- A malformed value of version, mode, max_age or mx (at its first
 *	  occurrence for the first three, always for mx, also when mode is
 *	  none) makes the policy invalid: an invalid policy never replaces
 *	  a cached one, so a broken "mode: none" cannot switch off a known
 *	  enforce policy.
 *	- max_age is 1 to 10 digits; 0 is legal (the ABNF allows it);
 *	  above POLICY_MAX_AGE_CAP it is capped (erratum 7282).
 *	- mx: "*." only as the whole left-most label, then a domain of LDH
 *	  labels; IDNs as valid A-labels; any case (stored lower-cased); a
 *	  single trailing dot is accepted and dropped (with a warning).
 *	- Unknown fields are ignored; their values may hold UTF-8 and
 *	  inner spaces. A line that is no field at all (no ":", a bad
 *	  field name, control characters or invalid UTF-8 in an unknown
 *	  field's value) is ignored with a warning rather than failing
 *	  the whole policy: it cannot be one of the four fields we use,
 *	  and rejecting the policy would mean delivering without MTA-STS.
 *	- A body larger than POLICY_MAX_BODY is refused. More than POLICY_MAX_MX
 *	  distinct patterns: the first POLICY_MAX_MX count (warning);
 *	  MX hosts named only by the rest will not match (fail closed).
 *
 *	policy_parse_warn() is policy_parse() that also reports each
 *	ignored line or adjusted value through warn(ctx, w) (w->line,
 *	w->col, w->rule, w->msg); warn may be NULL.
 *
 *	policy_mx_pattern_valid() checks one pattern as above (a single
 *	trailing dot allowed); err->col is relative to pat.
 *
 *	policy_mx_pattern_matches(), RFC 8461 §4.1: host equals pattern,
 *	or pattern is "*.rest" and host is one non-empty label, ".", rest.
 *	ASCII case-insensitive; one trailing dot on host (or pattern) is
 *	ignored; an empty host, or one holding '*', never matches.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "txt_field.h"
#include "policy.h"

#define POLICY_RULE "RFC 8461 §3.2"
#define MATCH_RULE "RFC 8461 §4.1"

/* the parser's state while it reads one body */
typedef struct parse_state {
    policy *out;
    int have_version, have_mode, have_max_age;
    unsigned version_line, mode_line, max_age_line;
    size_t mx_cap;
    policy_warn_fn *warn;
    void *ctx;
} parse_state;

/* is_wsp - WSP = SP / HTAB */
static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* warnf - report one ignored or adjusted thing */
static void warnf(parse_state *st, unsigned line, unsigned col, const char *rule,
		  const char *fmt, const char *a, int alen)
{
    mt_err w;

    if (st->warn == NULL)
	return;
    mt_err_clear(&w);
    mt_err_set(&w, line, col, rule, fmt, alen, a);
    st->warn(st->ctx, &w);
}

/* utf8_len - length of one RFC 3629 UTF-8 sequence at s (2..4), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] >= 0xc2 && s[0] <= 0xdf && (s[1] & 0xc0) == 0x80)
	return 2;
    if (n >= 3 && (s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
	if (s[0] == 0xe0 && s[1] < 0xa0)
	    return 0;			/* overlong */
	if (s[0] == 0xed && s[1] >= 0xa0)
	    return 0;			/* surrogate */
	return 3;
    }
    if (n >= 4 && s[0] >= 0xf0 && s[0] <= 0xf4 && (s[1] & 0xc0) == 0x80
	&& (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
	if (s[0] == 0xf0 && s[1] < 0x90)
	    return 0;			/* overlong */
	if (s[0] == 0xf4 && s[1] >= 0x90)
	    return 0;			/* above U+10FFFF */
	return 4;
    }
    return 0;
}

/* ext_value_ok - sts-policy-ext-value: vchar [*(SP / vchar) vchar], UTF-8 allowed */
static int ext_value_ok(const char *v, size_t len, size_t *bad)
{
    const unsigned char *s = (const unsigned char *) v;
    size_t i = 0, n;

    if (len == 0) {
	*bad = 0;
	return 0;
    }
    while (i < len) {
	if (s[i] >= 0x21 && s[i] <= 0x7e)
	    i++;
	else if (s[i] == ' ' && i > 0 && i + 1 < len)
	    i++;
	else if (s[i] >= 0x80 && (n = utf8_len(s + i, len - i)) > 0)
	    i += n;
	else {
	    *bad = i;
	    return 0;
	}
    }
    return 1;
}

/* policy_mx_pattern_valid - ["*."] Domain, LDH, A-labels, optional final dot */
int policy_mx_pattern_valid(const char *pat, size_t len, mt_err *err)
{
    size_t off = 0, i;

    if (len == 0) {
	mt_err_set(err, 0, 1, POLICY_RULE, "empty mx pattern");
	return -1;
    }
    if (len >= 2 && pat[0] == '*' && pat[1] == '.')
	off = 2;
    for (i = off; i < len; i++)
	if (pat[i] == '*') {
	    mt_err_set(err, 0, (unsigned) i + 1, POLICY_RULE,
		       "'*' is allowed only as the whole left-most label (\"*.example.com\")");
	    return -1;
	}
    if (len > off && pat[len - 1] == '.')
	len--;
    if (len == off) {
	mt_err_set(err, 0, (unsigned) len + 1, POLICY_RULE,
		   off ? "\"*.\" must be followed by a domain name" : "empty mx pattern");
	return -1;
    }
    if (domain_check_ldh(pat + off, len - off, (unsigned) off + 1, err) < 0) {
	if (err)
	    err->rule = err->rule && strcmp(err->rule, "RFC 5890 §2.3.2.1") == 0
		? "RFC 8461 §3.2, RFC 5890 §2.3.2.1" : POLICY_RULE;
	return -1;
    }
    return 0;
}

/* add_mx - record one valid pattern, lower-cased, without a final dot */
static int add_mx(parse_state *st, const char *v, size_t len, unsigned line, mt_err *err)
{
    policy *p = st->out;
    char *copy;
    size_t i;

    if (len > 0 && v[len - 1] == '.') {
	warnf(st, line, 0, POLICY_RULE, "mx pattern '%.*s' ends with a dot; read without it",
	      v, (int) len);
	len--;
    }
    if ((copy = malloc(len + 1)) == NULL) {
	mt_err_set(err, line, 0, NULL, "out of memory");
	return -1;
    }
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) v[i];

	copy[i] = (char) ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    copy[len] = 0;
    for (i = 0; i < p->n_mx; i++)
	if (strcmp(p->mx[i], copy) == 0) {
	    free(copy);
	    return 0;
	}
    if (p->n_mx >= POLICY_MAX_MX) {
	warnf(st, line, 0, NULL, "more than 256 mx patterns; '%.*s' is not used", copy, (int) len);
	free(copy);
	return 0;
    }
    if (p->mx == NULL && (p->mx = calloc(POLICY_MAX_MX, sizeof(char *))) == NULL) {
	free(copy);
	mt_err_set(err, line, 0, NULL, "out of memory");
	return -1;
    }
    p->mx[p->n_mx++] = copy;
    return 0;
}

/* value_is - the value is exactly s */
static int value_is(const char *v, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(v, s, len) == 0;
}

/* key_is - the key is exactly s */
#define key_is value_is

/* parse_line - one non-empty line, trailing whitespace already cut */
static int parse_line(parse_state *st, const char *l, size_t len, unsigned line, mt_err *err)
{
    const char *colon = memchr(l, ':', len), *v;
    size_t klen, vlen, voff, bad, i;
    unsigned vcol;
    policy *p = st->out;

    if (colon == NULL) {
	warnf(st, line, 1, POLICY_RULE, "line without ':' ignored: '%.*s'", l, (int) (len > 40 ? 40 : len));
	return 0;
    }
    klen = (size_t) (colon - l);
    voff = klen + 1;
    while (voff < len && is_wsp((unsigned char) l[voff]))
	voff++;
    v = l + voff;
    vlen = len - voff;
    vcol = (unsigned) voff + 1;

    if (key_is(l, klen, "version")) {
	if (st->have_version) {
	    warnf(st, line, 1, POLICY_RULE, "repeated field '%.*s' ignored (the first one counts)", l, (int) klen);
	    return 0;
	}
	if (!value_is(v, vlen, "STSv1")) {
	    mt_err_set(err, line, vcol, POLICY_RULE, "version must be \"STSv1\"");
	    return -1;
	}
	st->have_version = 1;
	st->version_line = line;
	return 0;
    }
    if (key_is(l, klen, "mode")) {
	policy_mode m;
	char tmp[16];

	if (st->have_mode) {
	    warnf(st, line, 1, POLICY_RULE, "repeated field '%.*s' ignored (the first one counts)", l, (int) klen);
	    return 0;
	}
	if (vlen >= sizeof(tmp) || memchr(v, 0, vlen) != NULL) {
	    mt_err_set(err, line, vcol, POLICY_RULE, "mode must be \"enforce\", \"testing\" or \"none\"");
	    return -1;
	}
	memcpy(tmp, v, vlen);
	tmp[vlen] = 0;
	if (policy_mode_from_name(tmp, &m) < 0) {
	    mt_err_set(err, line, vcol, POLICY_RULE, "mode must be \"enforce\", \"testing\" or \"none\"");
	    return -1;
	}
	p->mode = m;
	st->have_mode = 1;
	st->mode_line = line;
	return 0;
    }
    if (key_is(l, klen, "max_age")) {
	uint64_t n = 0;

	if (st->have_max_age) {
	    warnf(st, line, 1, POLICY_RULE, "repeated field '%.*s' ignored (the first one counts)", l, (int) klen);
	    return 0;
	}
	if (vlen == 0) {
	    mt_err_set(err, line, vcol, POLICY_RULE, "max_age must be 1 to 10 digits");
	    return -1;
	}
	for (i = 0; i < vlen; i++) {
	    if (v[i] < '0' || v[i] > '9') {
		mt_err_set(err, line, vcol + (unsigned) i, POLICY_RULE, "max_age must be 1 to 10 digits");
		return -1;
	    }
	    if (i >= POLICY_MAX_AGE_DIGITS) {
		mt_err_set(err, line, vcol + (unsigned) i, POLICY_RULE, "max_age longer than 10 digits");
		return -1;
	    }
	    n = n * 10 + (uint64_t) (v[i] - '0');
	}
	if (n > POLICY_MAX_AGE_CAP) {
	    warnf(st, line, vcol, POLICY_RULE, "max_age %.*s is above 31557600 (one year); capped", v, (int) vlen);
	    n = POLICY_MAX_AGE_CAP;
	} else if (n == 0) {
	    warnf(st, line, vcol, POLICY_RULE, "max_age %.*s: the policy expires as soon as it is fetched", v, (int) vlen);
	}
	p->max_age = (uint32_t) n;
	st->have_max_age = 1;
	st->max_age_line = line;
	return 0;
    }
    if (key_is(l, klen, "mx")) {
	mt_err e;

	mt_err_clear(&e);
	if (policy_mx_pattern_valid(v, vlen, &e) < 0) {
	    mt_err_set(err, line, e.col ? vcol + e.col - 1 : vcol, e.rule, "mx pattern '%.*s': %s",
		       (int) (vlen > 80 ? 80 : vlen), v, e.msg);
	    return -1;
	}
	return add_mx(st, v, vlen, line, err);
    }

    /* an extension field, or no field at all: ignored either way */
    if (!txt_field_name_ok(l, klen)) {
	warnf(st, line, 1, POLICY_RULE, "no field name before ':' (a letter or digit, then up to 31 "
	      "letters, digits, '_', '-' or '.'); line ignored: '%.*s'", l, (int) (klen > 40 ? 40 : klen));
	return 0;
    }
    if ((klen == 7 && strncasecmp(l, "version", 7) == 0) || (klen == 4 && strncasecmp(l, "mode", 4) == 0)
	|| (klen == 7 && strncasecmp(l, "max_age", 7) == 0) || (klen == 2 && strncasecmp(l, "mx", 2) == 0)) {
	warnf(st, line, 1, POLICY_RULE, "field names are case-sensitive: '%.*s' is an unknown "
	      "field, ignored", l, (int) klen);
	return 0;
    }
    if (!ext_value_ok(v, vlen, &bad)) {
	warnf(st, line, vcol + (unsigned) bad, POLICY_RULE, "malformed value of unknown field '%.*s' "
	      "(control character, invalid UTF-8 or empty); line ignored", l, (int) klen);
	return 0;
    }
    warnf(st, line, 1, POLICY_RULE, "unknown field '%.*s' ignored", l, (int) klen);
    return 0;
}

/* policy_parse_warn - parse a body, reporting what is ignored */
int policy_parse_warn(const char *body, size_t len, policy *out, mt_err *err,
		      policy_warn_fn *warn, void *ctx)
{
    parse_state st;
    size_t pos = 0, eol, end;
    unsigned line = 1;

    memset(out, 0, sizeof(*out));
    memset(&st, 0, sizeof(st));
    st.out = out;
    st.warn = warn;
    st.ctx = ctx;
    if (len > POLICY_MAX_BODY) {
	mt_err_set(err, 0, 0, "RFC 8461 §3.3", "policy body larger than %d bytes", POLICY_MAX_BODY);
	return -1;
    }
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
	warnf(&st, 1, 1, POLICY_RULE, "UTF-8 byte order mark at the start ignored%.*s", "", 0);
	pos = 3;
    }
    while (pos < len) {
	const char *nl = memchr(body + pos, '\n', len - pos);

	eol = nl ? (size_t) (nl - body) : len;
	end = eol;
	while (end > pos && (is_wsp((unsigned char) body[end - 1]) || body[end - 1] == '\r'))
	    end--;
	if (end > pos && parse_line(&st, body + pos, end - pos, line, err) < 0)
	    goto fail;
	pos = eol + 1;
	line++;
    }
    if (!st.have_version) {
	mt_err_set(err, 0, 0, POLICY_RULE, "no \"version: STSv1\" line");
	goto fail;
    }
    if (!st.have_mode) {
	mt_err_set(err, 0, 0, POLICY_RULE, "no \"mode\" line");
	goto fail;
    }
    if (!st.have_max_age) {
	mt_err_set(err, 0, 0, POLICY_RULE, "no \"max_age\" line");
	goto fail;
    }
    if (out->mode != POLICY_MODE_NONE && out->n_mx == 0) {
	mt_err_set(err, st.mode_line, 0, POLICY_RULE, "no \"mx\" line (required unless mode is none)");
	goto fail;
    }
    return 0;

  fail:
    policy_free(out);
    return -1;
}

/* policy_parse - parse a policy body */
int policy_parse(const char *body, size_t len, policy *out, mt_err *err)
{
    return policy_parse_warn(body, len, out, err, NULL, NULL);
}

/* policy_free - release the patterns; p becomes an empty policy */
void policy_free(policy *p)
{
    size_t i;

    if (p->mx)
	for (i = 0; i < p->n_mx; i++)
	    free(p->mx[i]);
    free(p->mx);
    memset(p, 0, sizeof(*p));
}

/* policy_mx_pattern_matches - RFC 8461 §4.1: exact, or "*." and one label */
int policy_mx_pattern_matches(const char *pattern, const char *host)
{
    size_t hlen, plen;
    const char *dot;

    if (pattern == NULL || host == NULL)
	return 0;
    hlen = strlen(host);
    plen = strlen(pattern);
    if (hlen > 0 && host[hlen - 1] == '.')
	hlen--;
    if (plen > 0 && pattern[plen - 1] == '.')
	plen--;
    if (hlen == 0 || plen == 0 || memchr(host, '*', hlen) != NULL)
	return 0;			/* a host name never holds a wildcard */
    if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
	dot = memchr(host, '.', hlen);
	if (dot == NULL || dot == host)
	    return 0;			/* a wildcard needs exactly one non-empty label */
	dot++;
	return (size_t) (host + hlen - dot) == plen - 2
	    && strncasecmp(dot, pattern + 2, plen - 2) == 0;
    }
    return hlen == plen && strncasecmp(host, pattern, plen) == 0;
}

/* policy_mx_matches - some pattern of p matches host */
int policy_mx_matches(const policy *p, const char *host)
{
    size_t i;

    for (i = 0; i < p->n_mx; i++)
	if (policy_mx_pattern_matches(p->mx[i], host))
	    return 1;
    return 0;
}

/* policy_mode_name - "none", "testing" or "enforce" */
const char *policy_mode_name(policy_mode mode)
{
    switch (mode) {
    case POLICY_MODE_ENFORCE:
	return "enforce";
    case POLICY_MODE_TESTING:
	return "testing";
    case POLICY_MODE_NONE:
	return "none";
    }
    return "none";
}

/* policy_mode_from_name - the mode of a name (case-sensitive), -1 if none */
int policy_mode_from_name(const char *name, policy_mode *mode)
{
    if (strcmp(name, "enforce") == 0)
	*mode = POLICY_MODE_ENFORCE;
    else if (strcmp(name, "testing") == 0)
	*mode = POLICY_MODE_TESTING;
    else if (strcmp(name, "none") == 0)
	*mode = POLICY_MODE_NONE;
    else
	return -1;
    return 0;
}
