/*
 * NAME
 *	fuzz_policy - libFuzzer target for the policy parser and MX matcher
 * DESCRIPTION
 *	Parses the input as a policy body (with warnings on). A parsed
 *	policy must keep its promises (mode, max_age cap, valid patterns,
 *	mx unless none), and every pattern must match the host names built
 *	from it (itself, itself with a final dot and upper-cased, and for
 *	"*.rest" a one-label host) and never the wildcard's parent or a
 *	two-label host. The last line of the input is also matched as a
 *	host against every pattern.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* count_warning - a policy_warn_fn */
static void count_warning(void *ctx, const mt_err *w)
{
    (*(unsigned *) ctx)++;
    if (w->msg[0] == 0)
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    policy p;
    mt_err e;
    unsigned warnings = 0;
    char host[600];
    size_t i, j, n;
    const uint8_t *last;

    if (policy_parse_warn((const char *) data, size, &p, &e, count_warning, &warnings) < 0) {
	if (p.mx != NULL || p.n_mx != 0 || e.msg[0] == 0)
	    abort();
	return 0;
    }
    if (p.max_age > POLICY_MAX_AGE_CAP || p.n_mx > POLICY_MAX_MX
	|| (p.mode != POLICY_MODE_NONE && p.n_mx == 0))
	abort();
    for (i = 0; i < p.n_mx; i++) {
	const char *pat = p.mx[i];

	n = strlen(pat);
	if (policy_mx_pattern_valid(pat, n, NULL) < 0 || n == 0 || pat[n - 1] == '.')
	    abort();
	if (pat[0] == '*') {
	    snprintf(host, sizeof(host), "mx%s", pat + 1);
	    if (!policy_mx_pattern_matches(pat, host))
		abort();
	    snprintf(host, sizeof(host), "a.b%s", pat + 1);
	    if (policy_mx_pattern_matches(pat, host))
		abort();
	    if (policy_mx_pattern_matches(pat, pat + 2))
		abort();
	} else {
	    snprintf(host, sizeof(host), "%s.", pat);
	    for (j = 0; host[j]; j++)
		if (host[j] >= 'a' && host[j] <= 'z')
		    host[j] = (char) (host[j] - 'a' + 'A');
	    if (!policy_mx_pattern_matches(pat, host) || !policy_mx_matches(&p, pat))
		abort();
	    snprintf(host, sizeof(host), "x.%s", pat);
	    if (policy_mx_pattern_matches(pat, host))
		abort();
	}
    }
    last = memrchr(data, '\n', size);
    last = last ? last + 1 : data;
    n = (size_t) (data + size - last);
    if (n < sizeof(host) && memchr(last, 0, n) == NULL) {
	memcpy(host, last, n);
	host[n] = 0;
	(void) policy_mx_matches(&p, host);
    }
    policy_free(&p);
    return 0;
}
