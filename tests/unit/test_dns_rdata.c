/* test_dns_rdata - MX, TLSA, A and AAAA record data (daemon/dns_rdata.c) */
#include <string.h>

#include "dns_rdata.h"
#include "t.h"

/* RFC 1035 §3.3.9: 16-bit preference, then the exchange name */
static void mx_record_is_read(void)
{
    static const unsigned char rd[] = {0, 10, 2, 'M', 'x', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e',
				       4, 't', 'e', 's', 't', 0};
    char host[256];
    unsigned pref;
    mt_err e;

    T_EQ_INT(dns_rdata_mx(rd, sizeof(rd), &pref, host, sizeof(host), &e), 0);
    T_EQ_INT(pref, 10);
    T_EQ_STR(host, "mx.example.test");
}

/* RFC 7505: "0 ." is a null MX */
static void null_mx_gives_empty_host(void)
{
    static const unsigned char rd[] = {0, 0, 0};
    char host[256];
    unsigned pref;
    mt_err e;

    T_EQ_INT(dns_rdata_mx(rd, sizeof(rd), &pref, host, sizeof(host), &e), 0);
    T_EQ_INT(pref, 0);
    T_EQ_STR(host, "");
}

static void truncated_mx_is_refused(void)
{
    static const unsigned char rd[] = {0, 10, 5, 'm', 'x'};
    char host[256];
    unsigned pref;
    mt_err e;

    T_EQ_INT(dns_rdata_mx(rd, sizeof(rd), &pref, host, sizeof(host), &e), -1);
    T_EQ_INT(dns_rdata_mx(rd, 2, &pref, host, sizeof(host), &e), -1);
}

static void trailing_bytes_after_mx_are_refused(void)
{
    static const unsigned char rd[] = {0, 10, 2, 'm', 'x', 0, 9};
    char host[256];
    unsigned pref;
    mt_err e;

    T_EQ_INT(dns_rdata_mx(rd, sizeof(rd), &pref, host, sizeof(host), &e), -1);
}

/* RFC 1035 §4.1.4: pointers only in messages, never in our record data */
static void compression_pointer_is_refused(void)
{
    static const unsigned char rd[] = {0, 10, 0xc0, 12};
    char host[256];
    unsigned pref;
    mt_err e;

    T_EQ_INT(dns_rdata_mx(rd, sizeof(rd), &pref, host, sizeof(host), &e), -1);
}

static void label_with_dot_or_space_is_refused(void)
{
    static const unsigned char dot[] = {3, 'a', '.', 'b', 0};
    static const unsigned char sp[] = {3, 'a', ' ', 'b', 0};
    static const unsigned char ok[] = {4, '_', 'a', '-', '1', 0};
    char out[256];
    size_t used;
    mt_err e;

    T_EQ_INT(dns_name_from_wire(dot, sizeof(dot), &used, out, sizeof(out), &e), -1);
    T_EQ_INT(dns_name_from_wire(sp, sizeof(sp), &used, out, sizeof(out), &e), -1);
    T_EQ_INT(dns_name_from_wire(ok, sizeof(ok), &used, out, sizeof(out), &e), 0);
    T_EQ_STR(out, "_a-1");
    T_EQ_INT(used, sizeof(ok));
}

/* RFC 1035 §2.3.4: at most 255 octets on the wire */
static void overlong_name_is_refused(void)
{
    unsigned char wire[300];
    char out[512];
    size_t i, used;
    mt_err e;

    for (i = 0; i + 64 < sizeof(wire); i += 64) {
	wire[i] = 63;
	memset(wire + i + 1, 'a', 63);
    }
    wire[i] = 0;
    T_EQ_INT(dns_name_from_wire(wire, i + 1, &used, out, sizeof(out), &e), -1);
    /* and a small output buffer is never overrun */
    T_EQ_INT(dns_name_from_wire(wire, 65, &used, out, 10, &e), -1);
}

/* RFC 7672 §3.1: only DANE-TA(2) and DANE-EE(3) are usable for SMTP */
static void tlsa_usability_follows_rfc7672(void)
{
    unsigned char rd[3 + 64];
    dns_tlsa t;
    mt_err e;

    memset(rd, 0xab, sizeof(rd));
    rd[0] = 3, rd[1] = 1, rd[2] = 1;
    T_EQ_INT(dns_rdata_tlsa(rd, 3 + 32, &t, &e), 0);
    T_EQ_INT(dns_tlsa_usable(&t), 1);
    T_EQ_INT(dns_rdata_tlsa(rd, 3 + 31, &t, &e), 0);
    T_EQ_INT(dns_tlsa_usable(&t), 0);		/* SHA2-256 is 32 bytes */
    rd[0] = 2, rd[2] = 2;
    T_EQ_INT(dns_rdata_tlsa(rd, 3 + 64, &t, &e), 0);
    T_EQ_INT(dns_tlsa_usable(&t), 1);
    rd[0] = 1;
    T_EQ_INT(dns_rdata_tlsa(rd, 3 + 64, &t, &e), 0);
    T_EQ_INT(dns_tlsa_usable(&t), 0);		/* PKIX-EE */
    rd[0] = 3, rd[1] = 2;
    T_EQ_INT(dns_rdata_tlsa(rd, 3 + 64, &t, &e), 0);
    T_EQ_INT(dns_tlsa_usable(&t), 0);		/* selector 2 */
    T_EQ_INT(dns_rdata_tlsa(rd, 3, &t, &e), -1);
}

static void addresses_are_formatted(void)
{
    static const unsigned char a[] = {127, 0, 0, 1};
    static const unsigned char aaaa[] = {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    char out[64];

    T_EQ_INT(dns_rdata_addr(DNS_TYPE_A, a, 4, out, sizeof(out)), 0);
    T_EQ_STR(out, "127.0.0.1");
    T_EQ_INT(dns_rdata_addr(DNS_TYPE_AAAA, aaaa, 16, out, sizeof(out)), 0);
    T_EQ_STR(out, "2001:db8::1");
    T_EQ_INT(dns_rdata_addr(DNS_TYPE_A, aaaa, 16, out, sizeof(out)), -1);
    T_EQ_INT(dns_rdata_addr(DNS_TYPE_AAAA, a, 4, out, sizeof(out)), -1);
}

int main(void)
{
    T_RUN(mx_record_is_read);
    T_RUN(null_mx_gives_empty_host);
    T_RUN(truncated_mx_is_refused);
    T_RUN(trailing_bytes_after_mx_are_refused);
    T_RUN(compression_pointer_is_refused);
    T_RUN(label_with_dot_or_space_is_refused);
    T_RUN(overlong_name_is_refused);
    T_RUN(tlsa_usability_follows_rfc7672);
    T_RUN(addresses_are_formatted);
    return t_done();
}
