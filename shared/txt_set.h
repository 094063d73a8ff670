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
 *	RFC 8461 §3.1: a TXT record made of several character-strings is
 *	read as their concatenation, with nothing added between them.
 *	txt_set_add_rdata() takes one RR's RDATA as it comes off the wire
 *	(<len><bytes>...), checks the lengths and appends the concatenated
 *	record; -1 with err when a length runs past the end.
 *	txt_set_add() appends an already concatenated record (tests, CLI).
 *	Records may contain NUL bytes: always use rec[i].len.
 */
#ifndef TXT_SET_H
#define TXT_SET_H

#include <stddef.h>

#include "mt_err.h"

#define TXT_SET_MAX 64		/* our limit on records in one RRset */

typedef struct txt_rec {
    char *txt;			/* malloc'ed, NUL-terminated after len bytes */
    size_t len;
} txt_rec;

typedef struct txt_set {
    size_t n;
    txt_rec rec[TXT_SET_MAX];
} txt_set;

void txt_set_init(txt_set *set);
int txt_set_add_rdata(txt_set *set, const unsigned char *rdata, size_t len, mt_err *err);
int txt_set_add(txt_set *set, const char *txt, size_t len);
void txt_set_free(txt_set *set);

#endif
