/*
 * NAME
 *	domain - domain name normalisation used everywhere
 * SUMMARY
 *	one spelling for every domain name we compare, store or send
 * SYNOPSIS
 *	#include "domain.h"
 *
 *	int domain_normalise(const char *in, size_t len, char *out,
 *	                     size_t outsz, mt_err *err);
 *	int domain_is_valid_ldh(const char *name);
 *	int domain_check_ldh(const char *name, size_t len, unsigned col,
 *	                     mt_err *err);
 * DESCRIPTION
 *	domain_normalise(): see domain.h. Steps: refuse empty input, NUL
 *	bytes and address literals ("[...]"); drop one trailing dot; if
 *	any byte is not ASCII, convert with libidn2 (IDNA 2008 with UTS #46
 *	non-transitional mapping, NFC) to A-labels; lower-case; check with
 *	domain_check_ldh(); require at least two labels and a last label
 *	that is not all digits (a dotted quad is an address, not a name;
 *	RFC 3696 §2: top-level domains are never all-numeric).
 *
 *	domain_check_ldh() checks an ASCII name in any case, without a
 *	trailing dot, against RFC 5321's Domain (sub-domain = Let-dig
 *	[Ldh-str]): labels of 1..63 letters, digits and '-', neither
 *	starting nor ending with '-', at most DOMAIN_MAX octets. A label
 *	starting with "xn--" must be a valid A-label (RFC 5890 §2.3.2.1):
 *	it decodes to a U-label that IDNA 2008 accepts and that encodes
 *	back to the same label. col is the column of name[0] in the
 *	caller's input, for err. Single-label names pass (mx patterns
 *	may be single labels); domain_normalise() adds the two-label rule.
 *	Returns 0 or -1 with err.
 *
 *	domain_is_valid_ldh() is the cheap syntax test for an already
 *	normalised name: lower-case LDH, two labels or more, no trailing
 *	dot, last label not all digits. No libidn2 call, no allocation.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "domain.h"

#define LDH_RULE "RFC 5321 §4.1.2"
#define IDNA_RULE "RFC 5890 §2.3.2.1"
#define DOMAIN_INPUT_MAX 1024	/* our limit on raw input, before IDNA */

/* is_ldh - letter, digit or hyphen */
static int is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* alabel_ok - an "xn--" label decodes and encodes back to itself */
static int alabel_ok(const char *label, size_t len)
{
    char lower[DOMAIN_LABEL_MAX + 1];
    char *uni = NULL;
    uint8_t *back = NULL;
    size_t i;
    int ok = 0;

    if (len > DOMAIN_LABEL_MAX)
	return 0;
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) label[i];

	lower[i] = (char) ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    lower[len] = 0;
    if (idn2_to_unicode_8z8z(lower, &uni, 0) != IDN2_OK || uni == NULL)
	goto out;
    for (i = 0; uni[i]; i++)
	if ((unsigned char) uni[i] >= 0x80)
	    break;
    if (uni[i] == 0)			/* decodes to nothing or to plain ASCII */
	goto out;
    if (strchr(uni, '.') != NULL)
	goto out;
    if (idn2_lookup_u8((const uint8_t *) uni, &back, IDN2_NFC_INPUT | IDN2_NO_TR46) != IDN2_OK)
	goto out;
    ok = strcmp((const char *) back, lower) == 0;
  out:
    free(uni);
    free(back);
    return ok;
}

/* domain_check_ldh - RFC 5321 Domain in ASCII, A-labels valid */
int domain_check_ldh(const char *name, size_t len, unsigned col, mt_err *err)
{
    size_t start = 0, i;

    if (len == 0) {
	mt_err_set(err, 0, col, LDH_RULE, "empty domain name");
	return -1;
    }
    if (len > DOMAIN_MAX) {
	mt_err_set(err, 0, col, LDH_RULE, "domain name longer than %d octets", DOMAIN_MAX);
	return -1;
    }
    for (i = 0; i <= len; i++) {
	if (i < len && name[i] != '.') {
	    if (!is_ldh((unsigned char) name[i])) {
		mt_err_set(err, 0, col + (unsigned) i, LDH_RULE,
			   (unsigned char) name[i] >= 0x80
			   ? "non-ASCII character in a domain name (IDNs must be written as A-labels, xn--...)"
			   : "a domain name may hold only letters, digits, '-' and '.'");
		return -1;
	    }
	    continue;
	}
	if (i == start) {
	    mt_err_set(err, 0, col + (unsigned) i, LDH_RULE, "empty label in a domain name");
	    return -1;
	}
	if (i - start > DOMAIN_LABEL_MAX) {
	    mt_err_set(err, 0, col + (unsigned) start, LDH_RULE,
		       "label longer than %d characters", DOMAIN_LABEL_MAX);
	    return -1;
	}
	if (name[start] == '-' || name[i - 1] == '-') {
	    mt_err_set(err, 0, col + (unsigned) (name[start] == '-' ? start : i - 1), LDH_RULE,
		       "a label may not begin or end with '-'");
	    return -1;
	}
	if (i - start >= 4 && strncasecmp(name + start, "xn--", 4) == 0
	    && !alabel_ok(name + start, i - start)) {
	    mt_err_set(err, 0, col + (unsigned) start, IDNA_RULE, "invalid A-label '%.*s'",
		       (int) (i - start), name + start);
	    return -1;
	}
	start = i + 1;
    }
    return 0;
}

/* last_label_numeric - the last label is all digits (an IPv4 address) */
static int last_label_numeric(const char *name, size_t len)
{
    size_t i = len;

    while (i > 0 && name[i - 1] != '.')
	i--;
    if (i == len)
	return 0;
    for (; i < len; i++)
	if (name[i] < '0' || name[i] > '9')
	    return 0;
    return 1;
}

/* domain_normalise - lower case, no trailing dot, A-labels, checked */
int domain_normalise(const char *in, size_t len, char *out, size_t outsz, mt_err *err)
{
    char tmp[DOMAIN_INPUT_MAX + 1];
    uint8_t *ace = NULL;
    const char *name = in;
    size_t i, n = len;
    int non_ascii = 0, rc;

    if (outsz > 0)
	out[0] = 0;
    if (len == 0) {
	mt_err_set(err, 0, 0, LDH_RULE, "empty domain name");
	return -1;
    }
    if (len > DOMAIN_INPUT_MAX) {
	mt_err_set(err, 0, 0, LDH_RULE, "domain name too long");
	return -1;
    }
    if (memchr(in, 0, len) != NULL) {
	mt_err_set(err, 0, (unsigned) ((const char *) memchr(in, 0, len) - in) + 1, LDH_RULE,
		   "NUL byte in a domain name");
	return -1;
    }
    if (in[0] == '[') {
	mt_err_set(err, 0, 1, "RFC 8461 §4", "an address literal has no MTA-STS policy");
	return -1;
    }
    for (i = 0; i < len; i++)
	if ((unsigned char) in[i] >= 0x80)
	    non_ascii = 1;
    if (non_ascii) {
	memcpy(tmp, in, len);
	tmp[len] = 0;
	rc = idn2_lookup_u8((const uint8_t *) tmp, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
	    mt_err_set(err, 0, 0, IDNA_RULE, "not a valid internationalised domain name: %s",
		       idn2_strerror(rc));
	    return -1;
	}
	name = (const char *) ace;
	n = strlen(name);
    }
    if (n > 0 && name[n - 1] == '.')
	n--;
    if (n == 0) {
	mt_err_set(err, 0, 1, LDH_RULE, "empty domain name");
	goto fail;
    }
    if (n >= outsz || n > DOMAIN_MAX) {
	mt_err_set(err, 0, 0, LDH_RULE, "domain name longer than %d octets", DOMAIN_MAX);
	goto fail;
    }
    if (domain_check_ldh(name, n, non_ascii ? 0 : 1, err) < 0)
	goto fail;
    if (memchr(name, '.', n) == NULL) {
	mt_err_set(err, 0, 0, "RFC 8461 §3.4", "a single-label name has no MTA-STS policy");
	goto fail;
    }
    if (last_label_numeric(name, n)) {
	mt_err_set(err, 0, 0, "RFC 3696 §2", "an all-numeric top-level label: an address, not a domain name");
	goto fail;
    }
    for (i = 0; i < n; i++) {
	unsigned char c = (unsigned char) name[i];

	out[i] = (char) ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    out[n] = 0;
    free(ace);
    return 0;

  fail:
    if (non_ascii && err)		/* columns would refer to the converted name */
	err->col = 0;
    if (outsz > 0)
	out[0] = 0;
    free(ace);
    return -1;
}

/* domain_is_valid_ldh - syntax of an already normalised name */
int domain_is_valid_ldh(const char *name)
{
    /*
     * One pass, no strlen(): this runs on every request the daemon
     * answers (the common, already normalised name skips
     * domain_normalise()), so it is kept to a few instructions a byte.
     */
    const unsigned char *p = (const unsigned char *) name, *label;
    int dots = 0, all_digits = 0;
    unsigned char c;

    if (name == NULL)
	return 0;
    for (;;) {
	label = p;
	all_digits = 1;
	for (;; p++) {
	    c = *p;
	    if ((c >= 'a' && c <= 'z') || c == '-')
		all_digits = 0;
	    else if (c < '0' || c > '9')
		break;
	}
	if (p == label || p - label > DOMAIN_LABEL_MAX || label[0] == '-' || p[-1] == '-')
	    return 0;
	if (c == 0)
	    break;
	if (c != '.')
	    return 0;
	dots++;
	p++;
    }
    /* an all-numeric last label is an address, not a name (RFC 3696 §2) */
    return dots > 0 && p - (const unsigned char *) name <= DOMAIN_MAX && !all_digits;
}
