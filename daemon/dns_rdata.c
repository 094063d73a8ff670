/*
 * NAME
 *	dns_rdata - the RDATA of the DNS records discovery reads
 * SUMMARY
 *	MX, TLSA, A and AAAA record data off the wire, checked
 * SYNOPSIS
 *	#include "dns_rdata.h"
 *
 *	int dns_name_from_wire(const unsigned char *p, size_t len,
 *	                       size_t *used, char *out, size_t outsz,
 *	                       mt_err *err);
 *	int dns_rdata_mx(const unsigned char *rd, size_t len, unsigned *pref,
 *	                 char *host, size_t hostsz, mt_err *err);
 *	int dns_rdata_tlsa(const unsigned char *rd, size_t len,
 *	                   dns_tlsa *out, mt_err *err);
 *	int dns_tlsa_usable(const dns_tlsa *t);
 *	int dns_rdata_addr(int rrtype, const unsigned char *rd, size_t len,
 *	                   char *out, size_t outsz);
 * DESCRIPTION
 *	See dns_rdata.h. Bytes from the network: every read is bounded by
 *	the length given, and the output buffers by their sizes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "domain.h"
#include "mt_err.h"

#include "dns_rdata.h"

#define DNS_NAME_WIRE_MAX 255	/* RFC 1035 §3.1 */

/* host_char - letters, digits, hyphen and underscore (SRV-style labels) */
static int host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
	|| c == '-' || c == '_';
}

/* dns_name_from_wire - one uncompressed name, as lower-case text */
int dns_name_from_wire(const unsigned char *p, size_t len, size_t *used,
		       char *out, size_t outsz, mt_err *err)
{
    size_t i = 0, o = 0;

    if (outsz == 0)
	return -1;
    for (;;) {
	unsigned ll;
	size_t j;

	if (i >= len) {
	    mt_err_set(err, 0, 0, "RFC 1035 §3.1", "domain name runs past the end of the record");
	    return -1;
	}
	ll = p[i++];
	if (ll == 0)
	    break;
	if (ll & 0xc0) {
	    mt_err_set(err, 0, 0, "RFC 1035 §4.1.4", "compressed or extended label in record data");
	    return -1;
	}
	if (i + ll > len) {
	    mt_err_set(err, 0, 0, "RFC 1035 §3.1", "label runs past the end of the record");
	    return -1;
	}
	if (i + ll > DNS_NAME_WIRE_MAX) {
	    mt_err_set(err, 0, 0, "RFC 1035 §3.1", "domain name longer than 255 octets");
	    return -1;
	}
	if (o + (o ? 1 : 0) + ll >= outsz || o + (o ? 1 : 0) + ll > DOMAIN_MAX) {
	    mt_err_set(err, 0, 0, "RFC 1035 §2.3.4", "domain name too long");
	    return -1;
	}
	if (o)
	    out[o++] = '.';
	for (j = 0; j < ll; j++) {
	    unsigned char c = p[i + j];

	    if (!host_char(c)) {
		mt_err_set(err, 0, 0, "RFC 1123 §2.1",
			   "byte 0x%02x in a label is not a host name character", c);
		return -1;
	    }
	    out[o++] = (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	i += ll;
    }
    out[o] = 0;
    if (used)
	*used = i;
    return 0;
}

/* dns_rdata_mx - preference and exchange of an MX record */
int dns_rdata_mx(const unsigned char *rd, size_t len, unsigned *pref,
		 char *host, size_t hostsz, mt_err *err)
{
    size_t used;

    if (len < 3) {
	mt_err_set(err, 0, 0, "RFC 1035 §3.3.9", "MX record data shorter than 3 bytes");
	return -1;
    }
    *pref = (unsigned) rd[0] << 8 | rd[1];
    if (dns_name_from_wire(rd + 2, len - 2, &used, host, hostsz, err) < 0)
	return -1;
    if (used != len - 2) {
	mt_err_set(err, 0, 0, "RFC 1035 §3.3.9", "bytes after the MX exchange name");
	return -1;
    }
    return 0;
}

/* dns_rdata_tlsa - the fixed fields of a TLSA record */
int dns_rdata_tlsa(const unsigned char *rd, size_t len, dns_tlsa *out, mt_err *err)
{
    if (len < 4) {
	mt_err_set(err, 0, 0, "RFC 6698 §2.1", "TLSA record data shorter than 4 bytes");
	return -1;
    }
    out->usage = rd[0];
    out->selector = rd[1];
    out->mtype = rd[2];
    out->data_len = len - 3;
    return 0;
}

/* dns_tlsa_usable - whether DANE for SMTP can use this record (RFC 7672 §3.1) */
int dns_tlsa_usable(const dns_tlsa *t)
{
    if (t->usage != TLSA_USAGE_DANE_TA && t->usage != TLSA_USAGE_DANE_EE)
	return 0;			/* PKIX-TA(0) and PKIX-EE(1) are not for SMTP */
    if (t->selector > 1)
	return 0;
    switch (t->mtype) {
    case 0:
	return t->data_len > 0;
    case 1:
	return t->data_len == 32;	/* SHA2-256 */
    case 2:
	return t->data_len == 64;	/* SHA2-512 */
    default:
	return 0;
    }
}

/* dns_rdata_addr - A or AAAA data as text */
int dns_rdata_addr(int rrtype, const unsigned char *rd, size_t len, char *out, size_t outsz)
{
    if (rrtype == DNS_TYPE_A && len == 4)
	return inet_ntop(AF_INET, rd, out, (socklen_t) outsz) ? 0 : -1;
    if (rrtype == DNS_TYPE_AAAA && len == 16)
	return inet_ntop(AF_INET6, rd, out, (socklen_t) outsz) ? 0 : -1;
    return -1;
}
