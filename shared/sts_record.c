/*
 * NAME
 *	sts_record - the _mta-sts TXT record (RFC 8461 §3.1)
 * SUMMARY
 *	parse one record; pick the one record out of a TXT RRset
 * SYNOPSIS
 *	#include "sts_record.h"
 *
 *	int sts_record_parse(const char *txt, size_t len,
 *	                     sts_record *out, mt_err *err);
 *	int sts_record_is_candidate(const char *txt, size_t len);
 *	sts_set_result sts_record_select(const txt_set *set,
 *	                     sts_record *out, mt_err *err);
 * DESCRIPTION
 *	The grammar (RFC 8461 §3.1, RFC 7405 case-sensitive strings):
 *
 *	    sts-text-record = sts-version field-delim sts-id
 *	                      [field-delim [sts-extensions]]
 *	    field-delim     = *WSP ";" *WSP
 *	    sts-version     = %s"v=STSv1"
 *	    sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *	    sts-extension   = sts-ext-name "=" sts-ext-value
 *
 *	The prose adds that the order of the fields after "v=STSv1" is not
 *	significant, so "id" may come after an extension. "id" is
 *	required; when a field repeats, its first occurrence counts and the
 *	later ones are checked as extensions and ignored. Every field must
 *	be syntactically valid: a record with a bad extension is invalid
 *	(the RFC requires accepting only syntactically valid supersets).
 *	Whitespace after the last field is allowed only with a final ";"
 *	(the ABNF has no other place for it).
 *
 *	sts_record_is_candidate() is the filter of §3.1 applied before
 *	counting: "v=STSv1", optional WSP, ";" (erratum 6285 accepts the
 *	WSP the ABNF allows). "v=STSv10;" and "v=STSv1" alone are no
 *	candidates, and so cannot make a valid sibling ambiguous.
 *
 *	sts_record_select(): exactly one candidate in the set, and it
 *	parses (STS_SET_ONE). Zero candidates: STS_SET_NONE; more than
 *	one: STS_SET_MANY; one that does not parse: STS_SET_INVALID. err
 *	says why in every case but STS_SET_ONE.
 */
#include <string.h>

#include "sts_record.h"
#include "txt_field.h"

#define STS_RULE "RFC 8461 §3.1"
#define STS_VERSION "v=STSv1"

/* is_wsp - WSP = SP / HTAB */
static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* sts_record_is_candidate - starts with "v=STSv1" *WSP ";" */
int sts_record_is_candidate(const char *txt, size_t len)
{
    size_t n = sizeof(STS_VERSION) - 1, p;

    if (len < n || memcmp(txt, STS_VERSION, n) != 0)
	return 0;
    for (p = n; p < len && is_wsp((unsigned char) txt[p]); p++)
	;
    return p < len && txt[p] == ';';
}

/* id_ok - sts-id value: 1*32(ALPHA / DIGIT) */
static int id_ok(const char *s, size_t len, size_t *bad)
{
    size_t i;

    for (i = 0; i < len && i < STS_ID_MAX; i++) {
	unsigned char c = (unsigned char) s[i];

	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
	    *bad = i;
	    return 0;
	}
    }
    *bad = i;
    return len >= 1 && len <= STS_ID_MAX;
}

/* sts_record_parse - check one record against RFC 8461 §3.1 */
int sts_record_parse(const char *txt, size_t len, sts_record *out, mt_err *err)
{
    size_t n = sizeof(STS_VERSION) - 1, pos, bad;
    txt_field f;
    int have_id = 0, r;

    memset(out, 0, sizeof(*out));
    if (len < n || memcmp(txt, STS_VERSION, n) != 0) {
	mt_err_set(err, 0, 1, STS_RULE, "the record must begin with \"v=STSv1\"");
	return -1;
    }
    pos = n;
    if (pos < len && txt[pos] != ';' && !is_wsp((unsigned char) txt[pos])) {
	mt_err_set(err, 0, (unsigned) pos + 1, STS_RULE,
		   "\"v=STSv1\" must be followed by ';' (optionally after spaces)");
	return -1;
    }
    while ((r = txt_field_next(txt, len, &pos, &f, STS_RULE, err)) == 1) {
	if (txt_field_is(&f, "id") && !have_id) {
	    if (!id_ok(f.val, f.val_len, &bad)) {
		mt_err_set(err, 0, (unsigned) (f.val_off + bad) + 1, STS_RULE,
			   f.val_len == 0 ? "empty id" :
			   f.val_len > STS_ID_MAX && bad == STS_ID_MAX ?
			   "id longer than 32 characters" :
			   "id must be letters and digits only");
		return -1;
	    }
	    memcpy(out->id, f.val, f.val_len);
	    out->id[f.val_len] = 0;
	    have_id = 1;
	} else if (!txt_field_value_ok(f.val, f.val_len, &bad)) {
	    mt_err_set(err, 0, (unsigned) (f.val_off + bad) + 1, STS_RULE,
		       f.val_len == 0 ? "empty value of field '%.*s'"
		       : "bad character in the value of field '%.*s'",
		       (int) f.name_len, f.name);
	    return -1;
	}
    }
    if (r < 0)
	return -1;
    if (!have_id) {
	mt_err_set(err, 0, 0, STS_RULE, "no \"id\" field");
	return -1;
    }
    return 0;
}

/* sts_record_select - the set rule: exactly one candidate, and valid */
sts_set_result sts_record_select(const txt_set *set, sts_record *out, mt_err *err)
{
    size_t i, count = 0, which = 0;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < set->n; i++)
	if (sts_record_is_candidate(set->rec[i].txt, set->rec[i].len)) {
	    count++;
	    which = i;
	}
    if (count == 0) {
	mt_err_set(err, 0, 0, STS_RULE, "no TXT record begins with \"v=STSv1;\"");
	return STS_SET_NONE;
    }
    if (count > 1) {
	mt_err_set(err, 0, 0, STS_RULE, "%zu TXT records begin with \"v=STSv1;\"; exactly one is needed", count);
	return STS_SET_MANY;
    }
    if (sts_record_parse(set->rec[which].txt, set->rec[which].len, out, err) < 0)
	return STS_SET_INVALID;
    return STS_SET_ONE;
}
