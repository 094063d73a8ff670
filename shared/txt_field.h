/*
 * NAME
 *	txt_field - the ";"-separated "name=value" fields of a DNS TXT record
 * SUMMARY
 *	the grammar RFC 8461 §3.1 and RFC 8460 §3 share
 * SYNOPSIS
 *	#include "txt_field.h"
 *
 *	int txt_field_next(const char *txt, size_t len, size_t *pos,
 *	                   txt_field *f, const char *rule, mt_err *err);
 *	int txt_field_name_ok(const char *s, size_t len);
 *	int txt_field_value_ok(const char *s, size_t len, size_t *bad);
 *	int txt_field_is(const txt_field *f, const char *name);
 * DESCRIPTION
 *	Both records are a version tag followed by
 *	*(field-delim field) [field-delim], with
 *	field-delim = *WSP ";" *WSP and field = name "=" value.
 *
 *	txt_field_next() reads one field-delim and the field after it,
 *	starting at *pos (just after the version tag or the previous
 *	field). It returns 1 with f filled and *pos moved past the field,
 *	0 at the end of the record (nothing left, or only a final
 *	field-delim), or -1 with err (column, rule) when the text there is
 *	no field-delim or the field has no "=" or a bad name. The value is
 *	everything up to the next ";" or the end, without the WSP before
 *	it; callers check it against their own production.
 *
 *	txt_field_name_ok(): ext-name = (ALPHA / DIGIT)
 *	*31(ALPHA / DIGIT / "_" / "-" / ".").
 *	txt_field_value_ok(): ext-value = 1*(%x21-3A / %x3C / %x3E-7E);
 *	on failure *bad (if not NULL) is the offset of the first bad byte.
 *	txt_field_is(): the field's name is exactly name (case-sensitive).
 */
#ifndef TXT_FIELD_H
#define TXT_FIELD_H

#include <stddef.h>

#include "mt_err.h"

#define TXT_FIELD_NAME_MAX 32	/* RFC 8461 §3.1, RFC 8460 §3: 1 + 31 */

typedef struct txt_field {
    const char *name;
    size_t name_len;
    size_t name_off;		/* offset of the name in the record */
    const char *val;
    size_t val_len;
    size_t val_off;		/* offset of the value in the record */
} txt_field;

int txt_field_next(const char *txt, size_t len, size_t *pos, txt_field *f,
		   const char *rule, mt_err *err);
int txt_field_name_ok(const char *s, size_t len);
int txt_field_value_ok(const char *s, size_t len, size_t *bad);
int txt_field_is(const txt_field *f, const char *name);

#endif
