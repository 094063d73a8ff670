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
 *	int tlsrpt_mailto_address(const char *uri, char *out, size_t outsz);
 * DESCRIPTION
 *	"v=TLSRPTv1" first, then ";"-separated fields; "rua" is required
 *	and is a comma-separated list of mailto: and https: URIs (other
 *	schemes are ignored; a record with no usable URI is invalid).
 *	Unknown fields are ignored. The set rule is that of RFC 8461:
 *	exactly one record that starts with v=TLSRPTv1.
 *	out->rua[] are malloc'ed strings; tlsrpt_record_free() releases them.
 *	A mailto: URI is kept only when tlsrpt_mailto_address() can use it:
 *	the parser and the sender share that one check, so a record the
 *	parser accepts never has an address the sender refuses.
 *
 *	tlsrpt_mailto_address() extracts the address of a "mailto:" URI
 *	(RFC 6068: percent-decoded, query dropped) into out: 0, or -1 when
 *	it is not a plain, printable addr-spec (one "@", no space, no
 *	control character, not starting with "-").
 */
#ifndef TLSRPT_RECORD_H
#define TLSRPT_RECORD_H

#include <stddef.h>

#include "mt_err.h"
#include "txt_set.h"

#define TLSRPT_MAX_RUA 16	/* our limit: more URIs than this are an error */
#define TLSRPT_ADDR_MAX 320	/* RFC 5321 §4.5.3.1: 64 + "@" + 255 */

typedef struct tlsrpt_record {
    size_t n_rua;
    char *rua[TLSRPT_MAX_RUA];
} tlsrpt_record;

typedef enum tlsrpt_set_result {
    TLSRPT_SET_ONE,
    TLSRPT_SET_NONE,
    TLSRPT_SET_MANY,
    TLSRPT_SET_INVALID,
} tlsrpt_set_result;

int tlsrpt_record_parse(const char *txt, size_t len, tlsrpt_record *out, mt_err *err);
int tlsrpt_record_is_candidate(const char *txt, size_t len);
tlsrpt_set_result tlsrpt_record_select(const txt_set *set, tlsrpt_record *out, mt_err *err);
void tlsrpt_record_free(tlsrpt_record *rec);
int tlsrpt_mailto_address(const char *uri, char *out, size_t outsz);

#endif
