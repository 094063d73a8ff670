/*
 * NAME
 *	fuzz_tlsrpt_record - libFuzzer target for the _smtp._tls TXT record
 * DESCRIPTION
 *	Parses the input as one record and, split at 0xff bytes, as a set.
 *	Every kept rua must start with mailto: or https: (any case).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt_record.h"
#include "txt_set.h"

/* check - what a valid record promises */
static void check(const tlsrpt_record *r)
{
    size_t i;

    if (r->n_rua < 1 || r->n_rua > TLSRPT_MAX_RUA)
	abort();
    for (i = 0; i < r->n_rua; i++)
	if (strncasecmp(r->rua[i], "mailto:", 7) != 0 && strncasecmp(r->rua[i], "https://", 8) != 0)
	    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tlsrpt_record r;
    mt_err e;
    txt_set set;
    size_t start = 0, i;

    if (tlsrpt_record_parse((const char *) data, size, &r, &e) == 0) {
	check(&r);
	tlsrpt_record_free(&r);
    }
    txt_set_init(&set);
    for (i = 0; i <= size; i++)
	if (i == size || data[i] == 0xff) {
	    txt_set_add(&set, (const char *) data + start, i - start);
	    start = i + 1;
	}
    if (tlsrpt_record_select(&set, &r, &e) == TLSRPT_SET_ONE)
	check(&r);
    tlsrpt_record_free(&r);
    txt_set_free(&set);
    return 0;
}
