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
 *	See addr_filter.h. The tables follow the IANA IPv4 and IPv6
 *	Special-Purpose Address Registries (RFC 6890 and its updates); every
 *	block there that is not globally reachable unicast is refused, plus
 *	documentation and benchmarking blocks (no real policy host lives
 *	there, so an answer naming one is a mistake or a trick).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "mt_err.h"

#include "addr_filter.h"

typedef struct special_range {
    const char *prefix;		/* text form of the block's first address */
    unsigned bits;
    const char *name;		/* what it is, for the reason */
    int embedded_v4;		/* IPv6 blocks carrying an IPv4 address: its offset, else 0 */
} special_range;

/* IPv4: IANA IPv4 Special-Purpose Address Registry, and multicast/reserved */
static const special_range v4_ranges[] = {
    {"0.0.0.0", 8, "unspecified / \"this network\" (RFC 1122)", 0},
    {"10.0.0.0", 8, "private (RFC 1918)", 0},
    {"100.64.0.0", 10, "shared address space, carrier-grade NAT (RFC 6598)", 0},
    {"127.0.0.0", 8, "loopback (RFC 1122)", 0},
    {"169.254.0.0", 16, "link-local (RFC 3927)", 0},
    {"172.16.0.0", 12, "private (RFC 1918)", 0},
    {"192.0.0.0", 24, "IETF protocol assignments (RFC 6890)", 0},
    {"192.0.2.0", 24, "documentation, TEST-NET-1 (RFC 5737)", 0},
    {"192.88.99.0", 24, "6to4 relay anycast (RFC 7526)", 0},
    {"192.168.0.0", 16, "private (RFC 1918)", 0},
    {"198.18.0.0", 15, "benchmarking (RFC 2544)", 0},
    {"198.51.100.0", 24, "documentation, TEST-NET-2 (RFC 5737)", 0},
    {"203.0.113.0", 24, "documentation, TEST-NET-3 (RFC 5737)", 0},
    {"224.0.0.0", 4, "multicast (RFC 5771)", 0},
    {"255.255.255.255", 32, "limited broadcast (RFC 919)", 0},
    {"240.0.0.0", 4, "reserved (RFC 1112)", 0},
};

/*
 * IPv6: IANA IPv6 Special-Purpose Address Registry. More specific blocks
 * come first (::/128 and ::1/128 before ::/96). Blocks that carry an IPv4
 * address are judged by that address (embedded_v4 = its byte offset).
 */
static const special_range v6_ranges[] = {
    {"::", 128, "unspecified (RFC 4291)", 0},
    {"::1", 128, "loopback (RFC 4291)", 0},
    {"::ffff:0:0", 96, "IPv4-mapped (RFC 4291)", 12},
    {"::", 96, "IPv4-compatible, deprecated (RFC 4291)", 0},
    {"64:ff9b::", 96, "NAT64 well-known prefix (RFC 6052)", 12},
    {"64:ff9b:1::", 48, "local-use NAT64 (RFC 8215)", 0},
    {"100::", 64, "discard-only (RFC 6666)", 0},
    {"2001:db8::", 32, "documentation (RFC 3849)", 0},
    {"2001::", 23, "IETF protocol assignments (RFC 2928)", 0},
    {"2002::", 16, "6to4 (RFC 3056)", 2},
    {"3fff::", 20, "documentation (RFC 9637)", 0},
    {"5f00::", 16, "segment routing SIDs (RFC 9602)", 0},
    {"fc00::", 7, "unique local, ULA (RFC 4193)", 0},
    {"fe80::", 10, "link-local (RFC 4291)", 0},
    {"fec0::", 10, "site-local, deprecated (RFC 3879)", 0},
    {"ff00::", 8, "multicast (RFC 4291)", 0},
};

/* prefix_match - whether the first bits of a and b agree */
static int prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, whole) != 0)
	return 0;
    if (rest == 0)
	return 1;
    return ((a[whole] ^ b[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* range_matches - whether addr lies in one table entry */
static int range_matches(int family, const special_range *r, const unsigned char *addr)
{
    unsigned char net[16];

    if (inet_pton(family, r->prefix, net) != 1)
	return 0;			/* cannot happen: the tables are constant */
    return prefix_match(addr, net, r->bits);
}

/* addr_special_range - 1 and the block's name when addr is special, else 0 */
int addr_special_range(int family, const void *addr, char *name, size_t namesz)
{
    const unsigned char *a = addr;
    size_t i;

    if (family == AF_INET) {
	for (i = 0; i < sizeof(v4_ranges) / sizeof(v4_ranges[0]); i++)
	    if (range_matches(AF_INET, &v4_ranges[i], a))
		return snprintf(name, namesz, "%s", v4_ranges[i].name), 1;
	return 0;
    }
    if (family != AF_INET6)
	return snprintf(name, namesz, "not an Internet address"), 1;
    for (i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++) {
	const special_range *r = &v6_ranges[i];
	char inner[128];

	if (!range_matches(AF_INET6, r, a))
	    continue;
	if (r->embedded_v4 == 0)
	    return snprintf(name, namesz, "%s", r->name), 1;
	/* judged by the IPv4 address inside: refused when that one is */
	if (!addr_special_range(AF_INET, a + r->embedded_v4, inner, sizeof(inner)))
	    return 0;
	return snprintf(name, namesz, "%s, carrying an IPv4 address that is %s",
			r->name, inner), 1;
    }
    return 0;
}

/* addr_cidr_parse - "address/bits" or a bare address */
int addr_cidr_parse(const char *text, addr_cidr *out, mt_err *err)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t hlen = slash ? (size_t) (slash - text) : strlen(text);
    unsigned maxbits, bits, i;

    memset(out, 0, sizeof(*out));
    if (hlen == 0 || hlen >= sizeof(host)) {
	mt_err_set(err, 0, 0, NULL, "'%s' is not an address or address/prefix", text);
	return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = 0;
    if (inet_pton(AF_INET, host, out->addr) == 1) {
	out->family = AF_INET;
	maxbits = 32;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
	out->family = AF_INET6;
	maxbits = 128;
    } else {
	mt_err_set(err, 0, 0, NULL, "'%s' is not an IPv4 or IPv6 address", host);
	return -1;
    }
    bits = maxbits;
    if (slash) {
	const char *p = slash + 1;

	if (*p == 0 || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p)) {
	    mt_err_set(err, 0, 0, NULL, "'%s': the prefix length must be a number", text);
	    return -1;
	}
	for (bits = 0; *p; p++)
	    bits = bits * 10 + (unsigned) (*p - '0');
	if (bits > maxbits) {
	    mt_err_set(err, 0, 0, NULL, "'%s': the prefix length is at most %u", text, maxbits);
	    return -1;
	}
    }
    /* bits beyond the prefix must be zero, or the block is not what it says */
    for (i = bits; i < maxbits; i++)
	if (out->addr[i / 8] & (0x80 >> (i % 8))) {
	    mt_err_set(err, 0, 0, NULL, "'%s': address bits beyond /%u are set", text, bits);
	    return -1;
	}
    out->prefix = bits;
    return 0;
}

/* addr_filter_init - parse the fetch_allow_address blocks */
int addr_filter_init(addr_filter *f, const config_list *allow, mt_err *err)
{
    size_t i;

    memset(f, 0, sizeof(*f));
    for (i = 0; allow && i < allow->n && i < CONFIG_LIST_MAX; i++) {
	mt_err e;

	if (addr_cidr_parse(allow->v[i], &f->allow[f->n], &e) < 0) {
	    mt_err_set(err, 0, 0, NULL, "fetch_allow_address: %s", e.msg);
	    return -1;
	}
	f->n++;
    }
    return 0;
}

/* addr_filter_check - 1 when a fetch may connect to addr, else 0 and why */
int addr_filter_check(const addr_filter *f, int family, const void *addr,
		      char *why, size_t whysz)
{
    char special[192], text[INET6_ADDRSTRLEN];
    size_t i;

    if (family != AF_INET && family != AF_INET6) {
	snprintf(why, whysz, "not an Internet address");
	return 0;
    }
    for (i = 0; f && i < f->n; i++)
	if (f->allow[i].family == family
	    && prefix_match(addr, f->allow[i].addr, f->allow[i].prefix))
	    return 1;
    if (!addr_special_range(family, addr, special, sizeof(special)))
	return 1;
    if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
	snprintf(text, sizeof(text), "?");
    snprintf(why, whysz, "%s is %s", text, special);
    return 0;
}

/* addr_filter_check_text - addr_filter_check() for an address in text form */
int addr_filter_check_text(const addr_filter *f, const char *text, char *why, size_t whysz)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, text, a) == 1)
	return addr_filter_check(f, AF_INET, a, why, whysz);
    if (inet_pton(AF_INET6, text, a) == 1)
	return addr_filter_check(f, AF_INET6, a, why, whysz);
    snprintf(why, whysz, "'%.64s' is not an IPv4 or IPv6 address", text);
    return 0;
}
