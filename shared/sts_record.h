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
 *	sts_record_parse() checks one record (strings already concatenated)
 *	against the ABNF of RFC 8461 §3.1: "v=STSv1" first, then fields
 *	separated by ";" with optional spaces or tabs around it and an
 *	optional trailing ";". "id" is required, 1 to 32 letters or digits;
 *	the first occurrence of a field counts; other fields are checked
 *	for syntax and ignored. Returns 0 or -1 with err.
 *
 *	sts_record_is_candidate() says whether a TXT string is an MTA-STS
 *	record at all for the purpose of counting them: it starts with
 *	"v=STSv1", then optional spaces/tabs, then ";" (so "v=STSv10;" is
 *	not one). Erratum 6285: we accept the ABNF's space before ";".
 *
 *	sts_record_select() applies the set rule: exactly one candidate
 *	must exist and it must parse. STS_SET_ONE fills out.
 */
#ifndef STS_RECORD_H
#define STS_RECORD_H

#include <stddef.h>

#include "mt_err.h"
#include "txt_set.h"

#define STS_ID_MAX 32		/* RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT) */

typedef struct sts_record {
    char id[STS_ID_MAX + 1];
} sts_record;

typedef enum sts_set_result {
    STS_SET_ONE,		/* exactly one valid record: out is filled */
    STS_SET_NONE,		/* no record starts with v=STSv1; */
    STS_SET_MANY,		/* more than one does: no usable record */
    STS_SET_INVALID,		/* exactly one, and it is invalid: err says why */
} sts_set_result;

int sts_record_parse(const char *txt, size_t len, sts_record *out, mt_err *err);
int sts_record_is_candidate(const char *txt, size_t len);
sts_set_result sts_record_select(const txt_set *set, sts_record *out, mt_err *err);

#endif
