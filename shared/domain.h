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
int domain_check_ldh(const char *name, size_t len, unsigned col, mt_err *err);
 *	int domain_check_ldh(const char *name, size_t len, unsigned col,
 *	                     mt_err *err);
 * DESCRIPTION
 *	domain_normalise() turns a name as found in mail, configuration or
 *	DNS into the form we key everything by: lower case, a trailing dot
 *	removed, U-labels converted to A-labels (IDNA 2008, libidn2), every
 *	label 1..63 LDH characters, the whole at most DOMAIN_MAX octets.
 *	out must hold DOMAIN_BUF bytes. Returns 0, or -1 with err saying
 *	which label or character was wrong.  Address literals ("[1.2.3.4]")
 *	and names with a single label are rejected: MTA-STS has no policy
 *	for them.
 *
 *	domain_is_valid_ldh() says whether an already normalised name is
 *	well formed (no conversion, no allocation).
 *
 *	domain_check_ldh() checks an ASCII name of any case, without a
 *	trailing dot (RFC 5321 Domain: LDH labels of 1..63 octets, no '-'
 *	at either end, at most DOMAIN_MAX octets; "xn--" labels must be
 *	valid A-labels). One label is enough here (mx patterns may have
 *	one). col is the column of name[0] for err. Returns 0 or -1.
 */
#ifndef DOMAIN_H
#define DOMAIN_H

#include <stddef.h>

#include "mt_err.h"

#define DOMAIN_MAX 253		/* RFC 1035 §2.3.4, without the root dot */
#define DOMAIN_LABEL_MAX 63	/* RFC 1035 §2.3.4 */
#define DOMAIN_BUF (DOMAIN_MAX + 1)

int domain_normalise(const char *in, size_t len, char *out, size_t outsz, mt_err *err);
int domain_is_valid_ldh(const char *name);
int domain_check_ldh(const char *name, size_t len, unsigned col, mt_err *err);

#endif
