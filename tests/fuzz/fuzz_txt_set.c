/*
 * NAME
 *	fuzz_txt_set - libFuzzer target for TXT RDATA concatenation
 * DESCRIPTION
 *	The input is a sequence of RRs, each <2-byte length><RDATA>. The
 *	concatenated record can never be longer than its RDATA.
 */
#include <stdint.h>
#include <stdlib.h>

#include "txt_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    txt_set set;
    mt_err e;
    size_t pos = 0, n;

    txt_set_init(&set);
    while (pos + 2 <= size) {
	size_t before = set.n;

	n = (size_t) data[pos] << 8 | data[pos + 1];
	pos += 2;
	if (n > size - pos)
	    n = size - pos;
	if (txt_set_add_rdata(&set, data + pos, n, &e) == 0
	    && (set.n != before + 1 || set.rec[before].len > n || set.rec[before].txt[set.rec[before].len] != 0))
	    abort();
	pos += n;
    }
    txt_set_free(&set);
    return 0;
}
