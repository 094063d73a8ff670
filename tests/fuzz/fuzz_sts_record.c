/*
 * NAME
 *	fuzz_sts_record - libFuzzer target for the _mta-sts TXT record
 * DESCRIPTION
 *	The input is one record; it is also split at every 0xff byte into
 *	a TXT set, so the set rule (candidates, exactly one) is fuzzed too.
 *	A valid record's id is checked against RFC 8461 §3.1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_record.h"
#include "txt_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sts_record r;
    mt_err e;
    txt_set set;
    size_t start = 0, i, n;

    if (sts_record_parse((const char *) data, size, &r, &e) == 0) {
	n = strlen(r.id);
	if (n < 1 || n > STS_ID_MAX || !sts_record_is_candidate((const char *) data, size))
	    abort();
    }
    txt_set_init(&set);
    for (i = 0; i <= size; i++)
	if (i == size || data[i] == 0xff) {
	    txt_set_add(&set, (const char *) data + start, i - start);
	    start = i + 1;
	}
    if (sts_record_select(&set, &r, &e) == STS_SET_ONE && strlen(r.id) == 0)
	abort();
    txt_set_free(&set);
    return 0;
}
