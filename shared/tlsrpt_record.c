/*
 * NAME
 *	tlsrpt_record - the _smtp._tls TXT record (RFC 8460 §3)
 * SUMMARY
 *	parse one record; pick the one record out of a TXT RRset
 * SYNOPSIS
 *	#include "tlsrpt_record.h"
 *
 *	int tlsrpt_record_parse(const char *txt, size_t len,
 *	                        tlsrpt_record *out, mt_err *err);
 *	int tlsrpt_record_is_candidate(const char *txt, size_t len);
 *	tlsrpt_set_result tlsrpt_record_select(const txt_set *set,
 *	                        tlsrpt_record *out, mt_err *err);
 *	void tlsrpt_record_free(tlsrpt_record *rec);
 * DESCRIPTION
 *	The grammar (RFC 8460 §3, RFC 7405 case-sensitive strings):
 *
 *	    tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field)
 *	                       [field-delim]
 *	    field-delim      = *WSP ";" *WSP
 *	    tlsrpt-field     = tlsrpt-rua / tlsrpt-extension
 *	    tlsrpt-version   = %s"v=TLSRPTv1"
 *	    tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *	    tlsrpt-uri       = URI   (RFC 3986; ",", "!" and ";" encoded)
 *	    tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
 *
 *	"rua" is required. Each URI must be an RFC 3986 URI without a
 *	raw ",", "!" or ";". mailto: URIs (an address with "@") and
 *	https: URIs (with a host) are kept; URIs of other schemes are
 *	valid syntax and ignored; a record whose rua has no mailto: or
 *	https: URI is invalid, and so is one with more than TLSRPT_MAX_RUA
 *	of them. Where the RFC is silent we follow RFC 8461: a repeated
 *	field counts at its first occurrence (later ones are still checked
 *	for syntax). Unknown fields must be syntactically valid and are
 *	ignored.
 *
 *	tlsrpt_record_is_candidate(): "v=TLSRPTv1", optional WSP, ";".
 *	tlsrpt_record_select(): exactly one candidate, and valid.
 *	tlsrpt_record_free() releases out->rua[]; it is safe on a record
 *	that failed to parse (the parser leaves it empty then).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt_record.h"
#include "txt_field.h"

#define TLSRPT_RULE "RFC 8460 §3"
#define TLSRPT_VERSION "v=TLSRPTv1"

/* is_wsp - WSP = SP / HTAB */
static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* is_alpha - ASCII letter */
static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - ASCII digit */
static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* is_hex - HEXDIG */
static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* uri_char_ok - a byte RFC 3986 allows in a URI, but "," "!" ";" (RFC 8460 §3) */
static int uri_char_ok(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
	return 1;
    return c != 0 && strchr("-._~" "$&'()*+=" ":@/?#[]", c) != NULL;
}

/* uri_check - an RFC 3986 URI; *bad is the offset of the first bad byte */
static int uri_check(const char *s, size_t len, size_t *bad, const char **why)
{
    size_t i = 0;

    if (len == 0 || !is_alpha((unsigned char) s[0])) {
	*bad = 0;
	*why = "a URI must begin with a scheme";
	return 0;
    }
    for (i = 1; i < len && s[i] != ':'; i++)
	if (!is_alpha((unsigned char) s[i]) && !is_digit((unsigned char) s[i])
	    && s[i] != '+' && s[i] != '-' && s[i] != '.') {
	    *bad = i;
	    *why = "bad character in a URI scheme";
	    return 0;
	}
    if (i >= len) {
	*bad = i;
	*why = "a URI needs \"scheme:\"";
	return 0;
    }
    if (i + 1 >= len) {
	*bad = i;
	*why = "nothing after the URI scheme";
	return 0;
    }
    for (i = i + 1; i < len; i++) {
	unsigned char c = (unsigned char) s[i];

	if (c == '%') {
	    if (i + 2 >= len || !is_hex((unsigned char) s[i + 1]) || !is_hex((unsigned char) s[i + 2])) {
		*bad = i;
		*why = "'%' must be followed by two hex digits";
		return 0;
	    }
	    i += 2;
	} else if (!uri_char_ok(c)) {
	    *bad = i;
	    *why = c == ',' || c == '!' || c == ';' ? "',', '!' and ';' must be percent-encoded in a URI"
		: "bad character in a URI";
	    return 0;
	}
    }
    return 1;
}

/* scheme_is - the URI's scheme is name (case-insensitive, RFC 3986 §3.1) */
static int scheme_is(const char *s, size_t len, const char *name)
{
    size_t n = strlen(name), i;

    if (len <= n || s[n] != ':')
	return 0;
    for (i = 0; i < n; i++) {
	unsigned char c = (unsigned char) s[i];

	if (c >= 'A' && c <= 'Z')
	    c = (unsigned char) (c - 'A' + 'a');
	if (c != (unsigned char) name[i])
	    return 0;
    }
    return 1;
}

/* hexval - the value of a hex digit, or -1 */
static int hexval(int c)
{
    if (c >= '0' && c <= '9')
	return c - '0';
    if (c >= 'a' && c <= 'f')
	return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* mailto_address - the address of the mailto: URI s[0..len) (RFC 6068) into out */
static int mailto_address(const char *s, size_t len, char *out, size_t outsz)
{
    size_t i, n = 0;
    int at = 0;

    if (len < 7 || strncasecmp(s, "mailto:", 7) != 0 || outsz == 0)
	return -1;
    for (i = 7; i < len && s[i] != '?'; i++) {
	int c = (unsigned char) s[i];

	if (c == '%') {
	    int h = i + 2 < len ? hexval(s[i + 1]) : -1, l = h < 0 ? -1 : hexval(s[i + 2]);

	    if (l < 0)
		return -1;
	    c = h * 16 + l;
	    i += 2;
	}
	if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"')
	    return -1;
	if (c == '@')
	    at++;
	if (n + 1 >= outsz)
	    return -1;
	out[n++] = (char) c;
    }
    out[n] = 0;
    if (n == 0 || at != 1 || out[0] == '@' || out[n - 1] == '@' || out[0] == '-')
	return -1;
    return 0;
}

/* tlsrpt_mailto_address - the address of a mailto: URI (RFC 6068) */
int tlsrpt_mailto_address(const char *uri, char *out, size_t outsz)
{
    return mailto_address(uri, strlen(uri), out, outsz);
}

/* mailto_ok - a mailto: URI whose address the sender can use (one check for both) */
static int mailto_ok(const char *s, size_t len)
{
    char addr[TLSRPT_ADDR_MAX];

    return mailto_address(s, len, addr, sizeof(addr)) == 0;
}

/* https_ok - "https://" then a non-empty host */
static int https_ok(const char *s, size_t len)
{
    size_t i = 6;

    if (len < i + 3 || s[i] != '/' || s[i + 1] != '/')
	return 0;
    i += 2;
    return i < len && s[i] != '/' && s[i] != '?' && s[i] != '#' && s[i] != ':';
}

/* tlsrpt_record_is_candidate - starts with "v=TLSRPTv1" *WSP ";" */
int tlsrpt_record_is_candidate(const char *txt, size_t len)
{
    size_t n = sizeof(TLSRPT_VERSION) - 1, p;

    if (len < n || memcmp(txt, TLSRPT_VERSION, n) != 0)
	return 0;
    for (p = n; p < len && is_wsp((unsigned char) txt[p]); p++)
	;
    return p < len && txt[p] == ';';
}

/* parse_rua - check a rua value; keep its mailto:/https: URIs when keep */
static int parse_rua(const txt_field *f, tlsrpt_record *out, int keep, mt_err *err)
{
    size_t p = 0, start, end, bad;
    const char *why;
    char *copy;

    if (f->val_len == 0) {
	mt_err_set(err, 0, (unsigned) f->val_off + 1, TLSRPT_RULE, "empty rua");
	return -1;
    }
    for (;;) {
	start = p;
	while (p < f->val_len && f->val[p] != ',' && !is_wsp((unsigned char) f->val[p]))
	    p++;
	end = p;
	if (!uri_check(f->val + start, end - start, &bad, &why)) {
	    mt_err_set(err, 0, (unsigned) (f->val_off + start + bad) + 1, TLSRPT_RULE, "%s", why);
	    return -1;
	}
	if (keep && (scheme_is(f->val + start, end - start, "mailto")
		     || scheme_is(f->val + start, end - start, "https"))) {
	    if (scheme_is(f->val + start, end - start, "mailto")
		? !mailto_ok(f->val + start, end - start)
		: !https_ok(f->val + start, end - start)) {
		int shown = end - start > 200 ? 200 : (int) (end - start);

		mt_err_set(err, 0, (unsigned) (f->val_off + start) + 1, TLSRPT_RULE,
			   scheme_is(f->val + start, end - start, "mailto")
			   ? "rua URI \"%.*s\": a mailto: URI needs one mail address (one '@', "
			   "printable, not starting with '-'; RFC 6068)"
			   : "rua URI \"%.*s\": an https: URI needs \"//\" and a host", shown,
			   f->val + start);
		return -1;
	    }
	    if (out->n_rua >= TLSRPT_MAX_RUA) {
		mt_err_set(err, 0, (unsigned) (f->val_off + start) + 1, NULL,
			   "more than %d rua URIs", TLSRPT_MAX_RUA);
		return -1;
	    }
	    if ((copy = malloc(end - start + 1)) == NULL) {
		mt_err_set(err, 0, 0, NULL, "out of memory");
		return -1;
	    }
	    memcpy(copy, f->val + start, end - start);
	    copy[end - start] = 0;
	    out->rua[out->n_rua++] = copy;
	}
	while (p < f->val_len && is_wsp((unsigned char) f->val[p]))
	    p++;
	if (p >= f->val_len)
	    return 0;
	if (f->val[p] != ',') {
	    mt_err_set(err, 0, (unsigned) (f->val_off + p) + 1, TLSRPT_RULE,
		       "URIs in rua must be separated by ','");
	    return -1;
	}
	p++;
	while (p < f->val_len && is_wsp((unsigned char) f->val[p]))
	    p++;
	if (p >= f->val_len) {
	    mt_err_set(err, 0, (unsigned) (f->val_off + p) + 1, TLSRPT_RULE, "',' at the end of rua");
	    return -1;
	}
    }
}

/* tlsrpt_record_parse - check one record against RFC 8460 §3 */
int tlsrpt_record_parse(const char *txt, size_t len, tlsrpt_record *out, mt_err *err)
{
    size_t n = sizeof(TLSRPT_VERSION) - 1, pos, bad;
    txt_field f;
    int have_rua = 0, r;

    memset(out, 0, sizeof(*out));
    if (len < n || memcmp(txt, TLSRPT_VERSION, n) != 0) {
	mt_err_set(err, 0, 1, TLSRPT_RULE, "the record must begin with \"v=TLSRPTv1\"");
	return -1;
    }
    pos = n;
    if (pos < len && txt[pos] != ';' && !is_wsp((unsigned char) txt[pos])) {
	mt_err_set(err, 0, (unsigned) pos + 1, TLSRPT_RULE,
		   "\"v=TLSRPTv1\" must be followed by ';' (optionally after spaces)");
	return -1;
    }
    while ((r = txt_field_next(txt, len, &pos, &f, TLSRPT_RULE, err)) == 1) {
	if (txt_field_is(&f, "rua")) {
	    if (parse_rua(&f, out, !have_rua, err) < 0)
		goto fail;
	    if (!have_rua && out->n_rua == 0) {
		mt_err_set(err, 0, (unsigned) f.val_off + 1, TLSRPT_RULE,
			   "rua has no mailto: or https: URI");
		goto fail;
	    }
	    have_rua = 1;
	} else if (!txt_field_value_ok(f.val, f.val_len, &bad)) {
	    mt_err_set(err, 0, (unsigned) (f.val_off + bad) + 1, TLSRPT_RULE,
		       f.val_len == 0 ? "empty value of field '%.*s'"
		       : "bad character in the value of field '%.*s'",
		       (int) f.name_len, f.name);
	    goto fail;
	}
    }
    if (r < 0)
	goto fail;
    if (!have_rua) {
	mt_err_set(err, 0, 0, TLSRPT_RULE, "no \"rua\" field");
	goto fail;
    }
    return 0;

  fail:
    tlsrpt_record_free(out);
    return -1;
}

/* tlsrpt_record_select - the set rule: exactly one candidate, and valid */
tlsrpt_set_result tlsrpt_record_select(const txt_set *set, tlsrpt_record *out, mt_err *err)
{
    size_t i, count = 0, which = 0;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < set->n; i++)
	if (tlsrpt_record_is_candidate(set->rec[i].txt, set->rec[i].len)) {
	    count++;
	    which = i;
	}
    if (count == 0) {
	mt_err_set(err, 0, 0, TLSRPT_RULE, "no TXT record begins with \"v=TLSRPTv1;\"");
	return TLSRPT_SET_NONE;
    }
    if (count > 1) {
	mt_err_set(err, 0, 0, TLSRPT_RULE, "%zu TXT records begin with \"v=TLSRPTv1;\"; exactly one is needed", count);
	return TLSRPT_SET_MANY;
    }
    if (tlsrpt_record_parse(set->rec[which].txt, set->rec[which].len, out, err) < 0)
	return TLSRPT_SET_INVALID;
    return TLSRPT_SET_ONE;
}

/* tlsrpt_record_free - release the rua strings */
void tlsrpt_record_free(tlsrpt_record *rec)
{
    size_t i;

    for (i = 0; i < rec->n_rua && i < TLSRPT_MAX_RUA; i++)
	free(rec->rua[i]);
    memset(rec, 0, sizeof(*rec));
}
