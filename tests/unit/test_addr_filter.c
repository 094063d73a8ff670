/* test_addr_filter - which addresses a policy fetch may connect to (daemon/addr_filter.c) */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr_filter.h"
#include "t.h"

static char why[256];

/* refused - whether the default filter refuses an address given as text */
static int refused(const char *text)
{
    addr_filter f;

    memset(&f, 0, sizeof(f));
    why[0] = 0;
    return addr_filter_check_text(&f, text, why, sizeof(why)) == 0;
}

/* refused_by - whether a filter with one allowed block refuses text */
static int refused_with(const char *allow, const char *text)
{
    config_list l = {1, {(char *) allow}};
    addr_filter f;
    mt_err e;

    if (addr_filter_init(&f, &l, &e) < 0)
	return -1;
    return addr_filter_check_text(&f, text, why, sizeof(why)) == 0;
}

/* RFC 8461 §10 (our rule): the policy host must not lead us into our own network */
static void ipv4_loopback_is_refused(void)
{
    T_ASSERT(refused("127.0.0.1"));
    T_ASSERT(strstr(why, "127.0.0.1 is loopback") != NULL);
    T_ASSERT(refused("127.255.255.255"));
    T_ASSERT(refused("127.0.0.10"));
}

static void ipv4_unspecified_and_this_network_are_refused(void)
{
    T_ASSERT(refused("0.0.0.0"));
    T_ASSERT(strstr(why, "unspecified") != NULL);
    T_ASSERT(refused("0.1.2.3"));
}

/* RFC 1918 */
static void ipv4_private_blocks_are_refused(void)
{
    T_ASSERT(refused("10.0.0.1"));
    T_ASSERT(strstr(why, "RFC 1918") != NULL);
    T_ASSERT(refused("10.255.255.255"));
    T_ASSERT(refused("172.16.0.1"));
    T_ASSERT(refused("172.31.255.255"));
    T_ASSERT(!refused("172.32.0.1"));
    T_ASSERT(!refused("172.15.255.255"));
    T_ASSERT(refused("192.168.1.1"));
    T_ASSERT(!refused("192.169.0.1"));
}

/* RFC 6598 */
static void ipv4_cgnat_is_refused(void)
{
    T_ASSERT(refused("100.64.0.1"));
    T_ASSERT(strstr(why, "RFC 6598") != NULL);
    T_ASSERT(refused("100.127.255.255"));
    T_ASSERT(!refused("100.128.0.0"));
    T_ASSERT(!refused("100.63.255.255"));
}

/* RFC 3927 */
static void ipv4_link_local_is_refused(void)
{
    T_ASSERT(refused("169.254.169.254"));	/* cloud metadata services live here */
    T_ASSERT(strstr(why, "link-local") != NULL);
}

static void ipv4_multicast_broadcast_reserved_are_refused(void)
{
    T_ASSERT(refused("224.0.0.1"));
    T_ASSERT(strstr(why, "multicast") != NULL);
    T_ASSERT(refused("239.255.255.255"));
    T_ASSERT(refused("240.0.0.1"));
    T_ASSERT(strstr(why, "reserved") != NULL);
    T_ASSERT(refused("255.255.255.255"));
    T_ASSERT(strstr(why, "broadcast") != NULL);
}

static void ipv4_protocol_documentation_benchmark_blocks_are_refused(void)
{
    T_ASSERT(refused("192.0.0.8"));
    T_ASSERT(refused("192.0.2.1"));
    T_ASSERT(refused("198.51.100.7"));
    T_ASSERT(refused("203.0.113.200"));
    T_ASSERT(refused("198.18.0.1"));
    T_ASSERT(refused("198.19.255.255"));
    T_ASSERT(!refused("198.20.0.0"));
    T_ASSERT(refused("192.88.99.1"));
}

static void ipv4_global_unicast_is_allowed(void)
{
    T_ASSERT(!refused("8.8.8.8"));
    T_ASSERT(!refused("1.1.1.1"));
    T_ASSERT(!refused("192.0.3.1"));
    T_ASSERT(!refused("223.255.255.255"));
}

static void ipv6_unspecified_and_loopback_are_refused(void)
{
    T_ASSERT(refused("::"));
    T_ASSERT(strstr(why, "unspecified") != NULL);
    T_ASSERT(refused("::1"));
    T_ASSERT(strstr(why, "loopback") != NULL);
}

/* RFC 4193 */
static void ipv6_unique_local_is_refused(void)
{
    T_ASSERT(refused("fd00::1"));
    T_ASSERT(strstr(why, "ULA") != NULL);
    T_ASSERT(refused("fc12:3456::1"));
}

static void ipv6_link_local_site_local_multicast_are_refused(void)
{
    T_ASSERT(refused("fe80::1"));
    T_ASSERT(strstr(why, "link-local") != NULL);
    T_ASSERT(refused("febf::1"));
    T_ASSERT(refused("fec0::1"));
    T_ASSERT(strstr(why, "site-local") != NULL);
    T_ASSERT(refused("ff02::1"));
    T_ASSERT(strstr(why, "multicast") != NULL);
}

static void ipv6_documentation_discard_and_protocol_blocks_are_refused(void)
{
    T_ASSERT(refused("2001:db8::1"));
    T_ASSERT(refused("3fff::1"));
    T_ASSERT(refused("100::1"));
    T_ASSERT(refused("2001::1"));		/* Teredo, inside 2001::/23 */
    T_ASSERT(refused("2001:2::1"));	/* benchmarking */
    T_ASSERT(refused("64:ff9b:1::1"));
    T_ASSERT(refused("5f00::1"));
    T_ASSERT(refused("::5.6.7.8"));	/* IPv4-compatible, deprecated */
}

/* an IPv6 address carrying an IPv4 one is judged by the IPv4 address */
static void ipv6_with_embedded_private_ipv4_is_refused(void)
{
    T_ASSERT(refused("::ffff:127.0.0.1"));
    T_ASSERT(strstr(why, "loopback") != NULL);
    T_ASSERT(refused("::ffff:10.1.2.3"));
    T_ASSERT(refused("64:ff9b::192.168.0.1"));
    T_ASSERT(refused("2002:c0a8:0101::1"));	/* 6to4 of 192.168.1.1 */
    T_ASSERT(!refused("::ffff:8.8.8.8"));
    T_ASSERT(!refused("64:ff9b::8.8.8.8"));
    T_ASSERT(!refused("2002:0808:0808::1"));
}

static void ipv6_global_unicast_is_allowed(void)
{
    T_ASSERT(!refused("2a00:1450:4001:830::200e"));
    T_ASSERT(!refused("2600::1"));
    T_ASSERT(!refused("2001:200::1"));	/* just past 2001::/23 */
}

static void allow_list_admits_a_block(void)
{
    T_EQ_INT(refused_with("127.0.0.0/8", "127.0.0.53"), 0);
    T_EQ_INT(refused_with("127.0.0.0/24", "127.0.1.1"), 1);
    T_EQ_INT(refused_with("10.1.2.3", "10.1.2.3"), 0);
    T_EQ_INT(refused_with("10.1.2.3", "10.1.2.4"), 1);
    T_EQ_INT(refused_with("fd00::/8", "fd12::1"), 0);
    T_EQ_INT(refused_with("fd00::/8", "::1"), 1);
    T_EQ_INT(refused_with("0.0.0.0/0", "::1"), 1);	/* families do not mix */
    T_EQ_INT(refused_with("::/0", "::1"), 0);
}

static void cidr_syntax_is_checked(void)
{
    addr_cidr c;
    mt_err e;

    T_EQ_INT(addr_cidr_parse("192.0.2.0/24", &c, &e), 0);
    T_EQ_INT(c.family, AF_INET);
    T_EQ_INT(c.prefix, 24);
    T_EQ_INT(addr_cidr_parse("2001:db8::/32", &c, &e), 0);
    T_EQ_INT(c.family, AF_INET6);
    T_EQ_INT(addr_cidr_parse("::1", &c, &e), 0);
    T_EQ_INT(c.prefix, 128);
    T_EQ_INT(addr_cidr_parse("192.0.2.1/24", &c, &e), -1);	/* host bits set */
    T_EQ_INT(addr_cidr_parse("192.0.2.0/33", &c, &e), -1);
    T_EQ_INT(addr_cidr_parse("192.0.2.0/", &c, &e), -1);
    T_EQ_INT(addr_cidr_parse("192.0.2.0/2x", &c, &e), -1);
    T_EQ_INT(addr_cidr_parse("mta-sts.example.com", &c, &e), -1);
    T_EQ_INT(addr_cidr_parse("", &c, &e), -1);
    T_EQ_INT(addr_cidr_parse("/8", &c, &e), -1);
}

static void bad_allow_list_entry_is_an_error(void)
{
    config_list l = {1, {(char *) "10.0.0.0/4"}};
    addr_filter f;
    mt_err e;

    T_EQ_INT(addr_filter_init(&f, &l, &e), -1);
    T_ASSERT(strstr(e.msg, "fetch_allow_address") != NULL);
}

static void text_that_is_no_address_is_refused(void)
{
    T_ASSERT(refused("localhost"));
    T_ASSERT(strstr(why, "not an IPv4 or IPv6 address") != NULL);
}

int main(void)
{
    T_RUN(ipv4_loopback_is_refused);
    T_RUN(ipv4_unspecified_and_this_network_are_refused);
    T_RUN(ipv4_private_blocks_are_refused);
    T_RUN(ipv4_cgnat_is_refused);
    T_RUN(ipv4_link_local_is_refused);
    T_RUN(ipv4_multicast_broadcast_reserved_are_refused);
    T_RUN(ipv4_protocol_documentation_benchmark_blocks_are_refused);
    T_RUN(ipv4_global_unicast_is_allowed);
    T_RUN(ipv6_unspecified_and_loopback_are_refused);
    T_RUN(ipv6_unique_local_is_refused);
    T_RUN(ipv6_link_local_site_local_multicast_are_refused);
    T_RUN(ipv6_documentation_discard_and_protocol_blocks_are_refused);
    T_RUN(ipv6_with_embedded_private_ipv4_is_refused);
    T_RUN(ipv6_global_unicast_is_allowed);
    T_RUN(allow_list_admits_a_block);
    T_RUN(cidr_syntax_is_checked);
    T_RUN(bad_allow_list_entry_is_an_error);
    T_RUN(text_that_is_no_address_is_refused);
    return t_done();
}
