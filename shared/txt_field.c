/*
 * NAME
 *	txt_field - the ";"-separated "name=value" fields of a DNS TXT record
 * SUMMARY
 *	the grammar RFC 8461 §3.1 and RFC 8460 §3 share
 * SYNOPSIS
 *	#include "txt_field.h"
 * DESCRIPTION
 *	See txt_field.h. Pure byte scanning; NUL bytes are ordinary bytes
 *	here (and never valid in any production).
 */
#include <string.h>

#include "txt_field.h"

/* is_wsp - WSP = SP / HTAB (RFC 5234) */
static int is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* is_alnum - ALPHA / DIGIT, ASCII only, locale-independent */
static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* txt_field_name_ok - ext-name of RFC 8461 §3.1 / RFC 8460 §3 */
int txt_field_name_ok(const char *s, size_t len)
{
    size_t i;

    if (len < 1 || len > TXT_FIELD_NAME_MAX || !is_alnum((unsigned char) s[0]))
	return 0;
    for (i = 1; i < len; i++) {
	unsigned char c = (unsigned char) s[i];

	if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
	    return 0;
    }
    return 1;
}

/* txt_field_value_ok - ext-value: visible ASCII but "=" and ";" */
int txt_field_value_ok(const char *s, size_t len, size_t *bad)
{
    size_t i;

    if (len == 0) {
	if (bad)
	    *bad = 0;
	return 0;
    }
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) s[i];

	if (c < 0x21 || c > 0x7e || c == '=' || c == ';') {
	    if (bad)
		*bad = i;
	    return 0;
	}
    }
    return 1;
}

/* txt_field_is - the field's name is exactly name */
int txt_field_is(const txt_field *f, const char *name)
{
    size_t n = strlen(name);

    return f->name_len == n && memcmp(f->name, name, n) == 0;
}

/* txt_field_next - one field-delim and the field after it */
int txt_field_next(const char *txt, size_t len, size_t *pos, txt_field *f,
		   const char *rule, mt_err *err)
{
    size_t p = *pos, start, eq, end;

    if (p >= len)
	return 0;
    while (p < len && is_wsp((unsigned char) txt[p]))
	p++;
    if (p >= len || txt[p] != ';') {
	mt_err_set(err, 0, (unsigned) (p < len ? p : len) + 1, rule,
		   p >= len ? "whitespace at the end of the record without a ';'"
		   : "expected ';' between fields");
	return -1;
    }
    p++;
    while (p < len && is_wsp((unsigned char) txt[p]))
	p++;
    if (p >= len) {			/* the optional final field-delim */
	*pos = p;
	return 0;
    }
    start = p;
    for (eq = start; eq < len && txt[eq] != '=' && txt[eq] != ';'; eq++)
	;
    if (eq >= len || txt[eq] != '=') {
	mt_err_set(err, 0, (unsigned) start + 1, rule,
		   txt[start] == ';' ? "empty field between two ';'" : "field without '='");
	return -1;
    }
    if (!txt_field_name_ok(txt + start, eq - start)) {
	mt_err_set(err, 0, (unsigned) start + 1, rule,
		   "bad field name (a letter or digit, then up to 31 letters, digits, '_', '-' or '.')");
	return -1;
    }
    for (end = eq + 1; end < len && txt[end] != ';'; end++)
	;
    while (end > eq + 1 && is_wsp((unsigned char) txt[end - 1]))
	end--;
    *pos = end;				/* WSP before ';' belongs to the next field-delim */
    f->name = txt + start;
    f->name_len = eq - start;
    f->name_off = start;
    f->val = txt + eq + 1;
    f->val_len = end - (eq + 1);
    f->val_off = eq + 1;
    return 1;
}
