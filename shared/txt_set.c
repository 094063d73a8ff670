/*
 * NAME
 *	txt_set - a DNS TXT RRset as records of concatenated strings
 * SUMMARY
 *	turn TXT RDATA (length-prefixed strings) into whole records
 * SYNOPSIS
 *	#include "txt_set.h"
 *
 *	void txt_set_init(txt_set *set);
 *	int  txt_set_add_rdata(txt_set *set, const unsigned char *rdata,
 *	                       size_t len, mt_err *err);
 *	int  txt_set_add(txt_set *set, const char *txt, size_t len);
 *	void txt_set_free(txt_set *set);
 * DESCRIPTION
 *	RFC 8461 §3.1 and RFC 8460 §3: a TXT record made of several
 *	character-strings (RFC 1035 §3.3.14) is read as their
 *	concatenation, with nothing added between them.
 *
 *	txt_set_add_rdata() walks one RR's RDATA (<len><len bytes>...),
 *	refuses a length byte that runs past the end, and appends the
 *	concatenation as one record. An RDATA of zero bytes (not legal per
 *	RFC 1035, which wants at least one string) is kept as an empty
 *	record: it can never be an MTA-STS or TLS-RPT record, so keeping
 *	it changes nothing and refusing the whole RRset for it would.
 *	More than TXT_SET_MAX records is an error (our limit).
 *
 *	txt_set_add() appends an already concatenated record. Both return
 *	0, or -1 (out of memory, set full, bad RDATA). On failure the set
 *	is unchanged.
 *
 *	txt_set_free() releases every record and leaves an empty set.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "txt_set.h"

#define TXT_RULE "RFC 1035 §3.3.14"

/* txt_set_init - an empty set */
void txt_set_init(txt_set *set)
{
    memset(set, 0, sizeof(*set));
}

/* txt_set_add - append one already concatenated record */
int txt_set_add(txt_set *set, const char *txt, size_t len)
{
    char *copy;

    if (set->n >= TXT_SET_MAX)
	return -1;
    if (len > BUF_MAX || (copy = malloc(len + 1)) == NULL)
	return -1;
    if (len)
	memcpy(copy, txt, len);
    copy[len] = 0;
    set->rec[set->n].txt = copy;
    set->rec[set->n].len = len;
    set->n++;
    return 0;
}

/* txt_set_add_rdata - append the concatenated strings of one RR's RDATA */
int txt_set_add_rdata(txt_set *set, const unsigned char *rdata, size_t len, mt_err *err)
{
    buf b;
    size_t pos = 0, n;

    if (set->n >= TXT_SET_MAX) {
	mt_err_set(err, 0, 0, NULL, "more than %d TXT records", TXT_SET_MAX);
	return -1;
    }
    buf_init(&b);
    while (pos < len) {
	n = rdata[pos];
	if (n > len - pos - 1) {
	    mt_err_set(err, 0, (unsigned) pos + 1, TXT_RULE,
		       "TXT string length %zu runs past the end of the RDATA", n);
	    buf_free(&b);
	    return -1;
	}
	if (buf_append(&b, rdata + pos + 1, n) < 0) {
	    mt_err_set(err, 0, 0, NULL, "out of memory");
	    buf_free(&b);
	    return -1;
	}
	pos += 1 + n;
    }
    if (txt_set_add(set, buf_str(&b), b.len) < 0) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	buf_free(&b);
	return -1;
    }
    buf_free(&b);
    return 0;
}

/* txt_set_free - release every record */
void txt_set_free(txt_set *set)
{
    size_t i;

    for (i = 0; i < set->n; i++)
	free(set->rec[i].txt);
    txt_set_init(set);
}
