/* fuzz_dns_rdata - MX, TLSA and address record data from the network (daemon/dns_rdata.c) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_rdata.h"
#include "domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char host[DOMAIN_BUF], small[8], addr[64];
    unsigned pref;
    size_t used;
    dns_tlsa t;
    mt_err e;

    if (dns_rdata_mx(data, size, &pref, host, sizeof(host), &e) == 0 && strlen(host) > DOMAIN_MAX)
	__builtin_trap();
    (void) dns_rdata_mx(data, size, &pref, small, sizeof(small), &e);
    if (dns_name_from_wire(data, size, &used, host, sizeof(host), &e) == 0 && used > size)
	__builtin_trap();
    if (dns_rdata_tlsa(data, size, &t, &e) == 0)
	(void) dns_tlsa_usable(&t);
    (void) dns_rdata_addr(DNS_TYPE_A, data, size, addr, sizeof(addr));
    (void) dns_rdata_addr(DNS_TYPE_AAAA, data, size, addr, sizeof(addr));
    return 0;
}
