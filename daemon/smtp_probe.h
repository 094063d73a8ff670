/*
 * NAME
 *	smtp_probe - connect to an MX and judge its TLS as an enforcing sender would
 * SUMMARY
 *	EHLO, STARTTLS, TLS 1.2 or later, certificate valid for the MX name
 * SYNOPSIS
 *	#include "smtp_probe.h"
 *
 *	void smtp_probe(const char *mx, const char *address, int port,
 *	                const smtp_probe_opts *opts, smtp_probe_result *out);
 * DESCRIPTION
 *	For `mtasts check --probe` only: it blocks (each network step is
 *	bounded by opts->timeout_ms) and is never used by the daemon.
 *
 *	smtp_probe() connects to address:port, reads the greeting, sends
 *	EHLO opts->helo, and when STARTTLS is offered starts TLS with SNI =
 *	mx, TLS 1.2 as the floor (RFC 8461 §7.2, RFC 8996), and checks the
 *	certificate as RFC 8461 §4.2 asks: it chains to a trusted root
 *	(opts->ca_file / ca_path, else the system store), is within its
 *	dates, and is valid for the name mx (RFC 6125: SAN dNSName, a
 *	wildcard in the left-most label allowed). It then says QUIT.
 *
 *	out tells what happened; out->deliverable says whether a sender
 *	enforcing MTA-STS would deliver to this host, and when not,
 *	out->result_type is the RFC 8460 §4.3 result type that sender would
 *	report (starttls-not-supported, certificate-host-mismatch,
 *	certificate-expired, certificate-not-trusted, validation-failure)
 *	and out->reason says why in plain words.
 */
#ifndef SMTP_PROBE_H
#define SMTP_PROBE_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>

#define SMTP_PROBE_LINE_MAX 1024	/* RFC 5321 §4.5.3.1.5 says 512; we allow more */
#define SMTP_PROBE_REPLY_MAX 16384	/* our limit on one multi-line reply */

typedef struct smtp_probe_opts {
    const char *helo;		/* our EHLO name */
    const char *ca_file;	/* NULL: the system store */
    const char *ca_path;
    uint64_t timeout_ms;	/* each step: connect, each reply, the handshake */
} smtp_probe_opts;

typedef struct smtp_probe_result {
    char address[INET6_ADDRSTRLEN];
    int port;
    int connected;
    int greeted;		/* 220 greeting */
    int starttls_offered;
    int tls;			/* handshake completed */
    char tls_version[16];	/* "TLSv1.3" */
    char cipher[64];
    int cert_valid;		/* trusted, in date, valid for the MX name */
    char cert_error[128];	/* OpenSSL's verification error, when not valid */
    int deliverable;		/* an enforcing sender would deliver here */
    const char *result_type;	/* RFC 8460 §4.3, NULL when deliverable */
    char reason[384];
} smtp_probe_result;

void smtp_probe(const char *mx, const char *address, int port, const smtp_probe_opts *opts,
		smtp_probe_result *out);

#endif
