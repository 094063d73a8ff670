/*
 * NAME
 *	addr_filter - which addresses a policy fetch may connect to
 * SUMMARY
 *	refuse loopback, private, link-local, multicast and other special
 *	addresses unless the configuration allows them
 * SYNOPSIS
 *	#include "addr_filter.h"
 *
 *	int  addr_cidr_parse(const char *text, addr_cidr *out, mt_err *err);
 *	int  addr_filter_init(addr_filter *f, const config_list *allow,
 *	                      mt_err *err);
 *	int  addr_filter_check(const addr_filter *f, int family,
 *	                       const void *addr, char *why, size_t whysz);
 *	int  addr_filter_check_text(const addr_filter *f, const char *text,
 *	                       char *why, size_t whysz);
 *	int  addr_special_range(int family, const void *addr, char *name,
 *	                       size_t namesz);
 * DESCRIPTION
 *	The policy host of a domain is named by that domain's owner, who may
 *	be anyone who can get us to send mail. Without this filter a hostile
 *	domain could make the daemon fetch from the inside of its own network
 *	(RFC 8461 §10: the policy host is not trusted with our network).
 *
 *	addr_special_range() returns 1 and writes to name the special-purpose
 *	block an address falls in ("loopback (RFC 1122)"), or returns 0 for
 *	an ordinary global unicast address. IPv4-mapped, IPv4-compatible, NAT64 and 6to4
 *	IPv6 addresses are judged by the IPv4 address they carry. family is
 *	AF_INET (addr: 4 bytes, network order) or AF_INET6 (16 bytes).
 *
 *	addr_cidr_parse() reads "192.0.2.0/24", "fd00::/8" or a bare address
 *	(a host route); bits beyond the prefix must be zero.
 *	addr_filter_init() parses every fetch_allow_address block.
 *
 *	addr_filter_check() returns 1 when a fetch may connect to addr: it is
 *	not special, or an allowed block contains it. Otherwise it returns 0
 *	and writes the reason to why ("127.0.0.1 is loopback (RFC 1122)"). addr_filter_check_text() does the same
 *	for an address in text form (0 with a reason when it is not one).
 *	All of these are pure functions: nothing here connects anywhere.
 */
#ifndef ADDR_FILTER_H
#define ADDR_FILTER_H

#include <stddef.h>

#include "mt_err.h"

#include "config.h"

typedef struct addr_cidr {
    int family;			/* AF_INET or AF_INET6 */
    unsigned char addr[16];	/* network order; 4 bytes used for AF_INET */
    unsigned prefix;		/* bits */
} addr_cidr;

typedef struct addr_filter {
    size_t n;
    addr_cidr allow[CONFIG_LIST_MAX];
} addr_filter;

int addr_cidr_parse(const char *text, addr_cidr *out, mt_err *err);
int addr_filter_init(addr_filter *f, const config_list *allow, mt_err *err);
int addr_filter_check(const addr_filter *f, int family, const void *addr,
		      char *why, size_t whysz);
int addr_filter_check_text(const addr_filter *f, const char *text, char *why, size_t whysz);
int addr_special_range(int family, const void *addr, char *name, size_t namesz);

#endif
