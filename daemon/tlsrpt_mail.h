/*
 * NAME
 *	tlsrpt_mail - a TLS-RPT report as a mail message (RFC 8460 §5.3), DKIM-signed
 * SUMMARY
 *	MIME multipart/report; report-type="tlsrpt", signed with libopendkim
 * SYNOPSIS
 *	#include "tlsrpt_mail.h"
 *
 *	int tlsrpt_mail_build(const tlsrpt_mail_opts *o, const void *gz,
 *	                      size_t gzlen, buf *out, mt_err *err);
 *	char *tlsrpt_dkim_key_load(const char *path, mt_err *err);
 *	int tlsrpt_message_id(const char *report_id, unsigned delivery,
 *	                      unsigned attempt, char *out, size_t outsz);
 * DESCRIPTION
 *	tlsrpt_mail_build() appends to out the whole message, lines ended
 *	by CRLF, as RFC 8460 §5.3 describes it: the header fields
 *	TLS-Report-Domain and TLS-Report-Submitter; a Subject of the form
 *	"Report Domain: <domain> Submitter: <submitter> Report-ID: <<id>>";
 *	Content-Type multipart/report with report-type="tlsrpt"; a
 *	human-readable text/plain part; the gzipped report gz as an
 *	application/tlsrpt+gzip part in base64 named by its §5.1 file name.
 *	It also carries "Auto-Submitted: auto-generated" (RFC 3834: no
 *	auto-replies) and "TLS-Required: No" (RFC 8689: the shipped Exim
 *	configuration delivers it despite TLS failures, as §5.3 requires,
 *	and does not count its session for TLS-RPT).
 *	When o->dkim_key is set, the message is DKIM-signed (RFC 6376,
 *	rsa-sha256, relaxed/relaxed, no l= tag as §5.3 requires) for
 *	o->dkim_domain with o->dkim_selector; the signature covers the
 *	TLS-Report-* fields ("SHOULD be included in the DKIM signature").
 *	Returns 0, or -1 with err (a bad key, an address with a control
 *	character).
 *
 *	tlsrpt_mailto_address() (tlsrpt_record.h, shared with the record
 *	parser) extracts the address of a "mailto:" URI.
 *
 *	tlsrpt_message_id() makes a Message-ID (without <>) unique to one
 *	message: the report id's local part, the delivery's index in the
 *	outbox entry, the attempt number and 64 random bits, then "@" and
 *	the report id's domain; 0, or -1 when it does not fit. Every
 *	recipient and every resend of a report gets its own Message-ID
 *	(RFC 5322 §3.6.4), while the Subject keeps "Report-ID: <id>" (RFC
 *	8460 §5.3), the same for all of them.
 *
 *	tlsrpt_dkim_key_load() reads a PEM private key file (at most 64 KiB)
 *	and returns it malloc'ed, or NULL with err.
 */
#ifndef TLSRPT_MAIL_H
#define TLSRPT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mt_err.h"
#include "tlsrpt_record.h"

#define TLSRPT_MSGID_MAX 320	/* a Message-ID we make: report id + ".N.N." + 16 hex */

typedef struct tlsrpt_mail_opts {
    const char *from;		/* From: and envelope sender (report_from) */
    const char *to;		/* the rua mailto: address */
    const char *domain;		/* the policy domain reported on */
    const char *submitter;	/* report_submitter */
    const char *organization;	/* organization_name, for the text part */
    const char *report_id;	/* "<local>@<submitter>" */
    uint32_t day;		/* the UTC day reported */
    const char *message_id;	/* without <>; NULL: tlsrpt_message_id(report_id, 0, 0) */
    int64_t date;		/* Date: as a Unix time */
    const char *dkim_key;	/* PEM private key text, NULL: unsigned */
    const char *dkim_selector;
    const char *dkim_domain;
} tlsrpt_mail_opts;

int tlsrpt_mail_build(const tlsrpt_mail_opts *o, const void *gz, size_t gzlen, buf *out,
		      mt_err *err);
char *tlsrpt_dkim_key_load(const char *path, mt_err *err);
int tlsrpt_message_id(const char *report_id, unsigned delivery, unsigned attempt, char *out,
		      size_t outsz);

#endif
