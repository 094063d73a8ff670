/*
 * NAME
 *	fuzz_tlsrpt_verb - libFuzzer target for the "report" request
 * DESCRIPTION
 *	Socket bytes through proto_req_parse() and tlsrpt_verb_parse(); a
 *	parsed result must be a valid type, its texts printable ASCII within
 *	TLSRPT_FIELD_MAX, its names normalised domains, its count in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#include "tlsrpt_counters.h"
#include "tlsrpt_verb.h"

/* printable - NULL, or printable ASCII of bounded length */
static void printable(const char *s)
{
    size_t i;

    if (s == NULL)
	return;
    for (i = 0; s[i]; i++)
	if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
	    abort();
    if (i > TLSRPT_FIELD_MAX || i == 0)
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    proto_req req;
    tlsrpt_verb_args a;
    mt_err e;
    int rc;

    if (proto_req_parse((const char *) data, size, &req, &e) < 0)
	return 0;
    rc = tlsrpt_verb_parse(&req, 1700000000, &a, &e);
    if (rc < -1 || rc > 1)
	abort();
    if (rc == 0) {
	if (a.result < TLSRPT_SUCCESS || a.result >= TLSRPT_RESULT_COUNT)
	    abort();
	if (!a.policy_auto && (a.policy < 0 || a.policy >= TLSRPT_POLICY_COUNT))
	    abort();
	if (a.count < 1 || a.count > TLSRPT_VERB_COUNT_MAX)
	    abort();
	if (!domain_is_valid_ldh(a.domain) || (a.mx[0] && !domain_is_valid_ldh(a.mx)))
	    abort();
	printable(a.helo);
	printable(a.reason);
	printable(a.tlsa);
    }
    return 0;
}
