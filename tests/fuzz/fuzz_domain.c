/*
 * NAME
 *	fuzz_domain - libFuzzer target for domain name normalisation
 * DESCRIPTION
 *	A normalised name must pass domain_is_valid_ldh() and normalise to
 *	itself (idempotence).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[DOMAIN_BUF], again[DOMAIN_BUF];
    mt_err e;

    if (domain_normalise((const char *) data, size, out, sizeof(out), &e) == 0) {
	if (!domain_is_valid_ldh(out))
	    abort();
	if (domain_normalise(out, strlen(out), again, sizeof(again), &e) < 0 || strcmp(out, again) != 0)
	    abort();
    }
    (void) domain_check_ldh((const char *) data, size, 1, &e);
    return 0;
}
