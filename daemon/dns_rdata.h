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
 *	libunbound hands each record's RDATA as bytes, with the names in it
 *	already uncompressed; these functions read them and trust nothing:
 *	every length is checked against len (they are fuzzed).
 *
 *	dns_name_from_wire() reads one uncompressed domain name (RFC 1035
 *	§3.1) at p: labels must be host-name characters (letters, digits,
 *	hyphen, underscore), the name at most DOMAIN_MAX octets in text;
 *	out gets it in lower case without the trailing dot ("" for the
 *	root). *used is the number of wire bytes read. A compression
 *	pointer is refused (RDATA from libunbound never holds one).
 *
 *	dns_rdata_mx() reads an MX record (RFC 1035 §3.3.9): preference and
 *	exchange. A null MX (RFC 7505) gives host "".
 *
 *	dns_rdata_tlsa() reads a TLSA record (RFC 6698 §2.1);
 *	dns_tlsa_usable() says whether DANE for SMTP can use it (RFC 7672
 *	§3.1: usage DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type
 *	0, 1 with 32 bytes or 2 with 64 bytes).
 *
 *	dns_rdata_addr() turns A (4 bytes) or AAAA (16 bytes) RDATA into
 *	text. All return 0, or -1 (with err where there is one).
 */
#ifndef DNS_RDATA_H
#define DNS_RDATA_H

#include <stddef.h>

#include "mt_err.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_TLSA 52
#define DNS_CLASS_IN 1

#define TLSA_USAGE_DANE_TA 2	/* RFC 7218 */
#define TLSA_USAGE_DANE_EE 3

typedef struct dns_tlsa {
    unsigned usage;
    unsigned selector;
    unsigned mtype;
    size_t data_len;		/* the certificate association data */
} dns_tlsa;

int dns_name_from_wire(const unsigned char *p, size_t len, size_t *used,
		       char *out, size_t outsz, mt_err *err);
int dns_rdata_mx(const unsigned char *rd, size_t len, unsigned *pref,
		 char *host, size_t hostsz, mt_err *err);
int dns_rdata_tlsa(const unsigned char *rd, size_t len, dns_tlsa *out, mt_err *err);
int dns_tlsa_usable(const dns_tlsa *t);
int dns_rdata_addr(int rrtype, const unsigned char *rd, size_t len, char *out, size_t outsz);

#endif
