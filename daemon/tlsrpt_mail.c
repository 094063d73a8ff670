/*
 * NAME
 *	tlsrpt_mail - a TLS-RPT report as a mail message (RFC 8460 §5.3), DKIM-signed
 * DESCRIPTION
 *	See tlsrpt_mail.h. The message is built with CRLF line ends, which
 *	is the form DKIM signs (RFC 6376 §3.4); the sender converts to the
 *	local convention when it hands the message to sendmail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <opendkim/dkim.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "mt_err.h"

#include "tlsrpt_mail.h"
#include "tlsrpt_report.h"
#include "tlsrpt_types.h"

#define DKIM_KEY_MAX 65536	/* our limit on a key file */
#define B64_LINE 76		/* RFC 2045 §6.8 */

/* The header fields the signature covers (RFC 8460 §5.3, RFC 6376 §5.4.1) */
static const char *signed_headers[] = {
    "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
    "tls-report-domain", "tls-report-submitter", "tls-required", "auto-submitted", NULL,
};

/* header_safe - printable ASCII only: nothing can end a header field early */
static int header_safe(const char *s)
{
    if (s == NULL)
	return 0;
    for (; *s; s++)
	if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
	    return 0;
    return 1;
}

/* put_b64 - base64 of data in lines of B64_LINE characters, CRLF-ended */
static int put_b64(buf *out, const void *data, size_t len)
{
    size_t enc = 4 * ((len + 2) / 3), i;
    unsigned char *tmp = malloc(enc + 1);
    int rc = 0;

    if (tmp == NULL)
	return -1;
    EVP_EncodeBlock(tmp, data, (int) len);
    for (i = 0; i < enc && rc == 0; i += B64_LINE) {
	size_t n = enc - i < B64_LINE ? enc - i : B64_LINE;

	rc = buf_append(out, tmp + i, n) < 0 || buf_puts(out, "\r\n") < 0 ? -1 : 0;
    }
    free(tmp);
    return rc;
}

/* dkim_sign_message - prepend a DKIM-Signature field to the CRLF message in msg */
static int dkim_sign_message(const tlsrpt_mail_opts *o, buf *msg, size_t start, mt_err *err)
{
    DKIM_LIB *lib;
    DKIM *dk = NULL;
    DKIM_STAT st;
    unsigned char *sig = NULL;
    size_t siglen = 0, hdr_end;
    const char *m = msg->data + start, *p, *end, *eoh;
    buf field = {0};
    int rc = -1;

    if (!header_safe(o->dkim_selector) || !header_safe(o->dkim_domain)) {
	mt_err_set(err, 0, 0, NULL, "dkim: dkim_selector and dkim_domain must be set");
	return -1;
    }
    /* libopendkim leaks on a key it cannot read: check it with OpenSSL first */
    {
	BIO *b = BIO_new_mem_buf(o->dkim_key, -1);
	EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	int rsa = pk && EVP_PKEY_base_id(pk) == EVP_PKEY_RSA;

	EVP_PKEY_free(pk);
	BIO_free(b);
	if (!rsa) {
	    mt_err_set(err, 0, 0, "RFC 6376 §3.3", "dkim: dkim_key_file is not a PEM RSA "
		       "private key");
	    return -1;
	}
    }
    if ((lib = dkim_init(NULL, NULL)) == NULL) {
	mt_err_set(err, 0, 0, NULL, "dkim: cannot initialise libopendkim");
	return -1;
    }
    if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, signed_headers,
		     sizeof(char **)) != DKIM_STAT_OK) {
	mt_err_set(err, 0, 0, NULL, "dkim: cannot set the signed header list");
	goto out;
    }
    dk = dkim_sign(lib, (const unsigned char *) "tlsrpt", NULL,
		   (dkim_sigkey_t) o->dkim_key, (const unsigned char *) o->dkim_selector,
		   (const unsigned char *) o->dkim_domain, DKIM_CANON_RELAXED,
		   DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1 /* whole body: no l= */ , &st);
    if (dk == NULL) {
	mt_err_set(err, 0, 0, NULL, "dkim: cannot sign: %s", dkim_getresultstr(st));
	goto out;
    }
    eoh = strstr(m, "\r\n\r\n");
    if (eoh == NULL) {
	mt_err_set(err, 0, 0, NULL, "dkim: message without a body");
	goto out;
    }
    hdr_end = (size_t) (eoh - m) + 2;
    /* one field at a time, folded lines included, without the last CRLF */
    for (p = m; p < m + hdr_end; p = end + 2) {
	end = strstr(p, "\r\n");
	while (end && end + 2 < m + hdr_end && (end[2] == ' ' || end[2] == '\t'))
	    end = strstr(end + 2, "\r\n");
	if (end == NULL)
	    break;
	if ((st = dkim_header(dk, (unsigned char *) p, (size_t) (end - p))) != DKIM_STAT_OK) {
	    mt_err_set(err, 0, 0, NULL, "dkim: header: %s", dkim_geterror(dk));
	    goto out;
	}
    }
    if ((st = dkim_eoh(dk)) != DKIM_STAT_OK
	|| (st = dkim_body(dk, (unsigned char *) m + hdr_end + 2,
			   msg->len - start - hdr_end - 2)) != DKIM_STAT_OK
	|| (st = dkim_eom(dk, NULL)) != DKIM_STAT_OK) {
	mt_err_set(err, 0, 0, NULL, "dkim: %s", dkim_geterror(dk) ? dkim_geterror(dk)
		   : dkim_getresultstr(st));
	goto out;
    }
    if ((st = dkim_getsighdr_d(dk, strlen("DKIM-Signature: "), &sig, &siglen)) != DKIM_STAT_OK) {
	mt_err_set(err, 0, 0, NULL, "dkim: no signature: %s", dkim_getresultstr(st));
	goto out;
    }
    /* libopendkim folds with bare LF: the message uses CRLF */
    if (buf_puts(&field, "DKIM-Signature: ") < 0)
	goto oom;
    for (size_t i = 0; i < siglen; i++) {
	if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r') && buf_putc(&field, '\r') < 0)
	    goto oom;
	if (buf_putc(&field, sig[i]) < 0)
	    goto oom;
    }
    if (buf_puts(&field, "\r\n") < 0)
	goto oom;
    /* prepend: the signature field goes first */
    {
	size_t rest = msg->len - start;

	if (buf_reserve(msg, field.len) < 0)
	    goto oom;
	memmove(msg->data + start + field.len, msg->data + start, rest);
	memcpy(msg->data + start, field.data, field.len);
	msg->len += field.len;
	msg->data[msg->len] = 0;
    }
    rc = 0;
    goto out;
  oom:
    mt_err_set(err, 0, 0, NULL, "dkim: out of memory");
  out:
    buf_free(&field);
    if (dk)
	dkim_free(dk);
    dkim_close(lib);
    return rc;
}

/* tlsrpt_message_id - a Message-ID for one delivery attempt of a report */
int tlsrpt_message_id(const char *report_id, unsigned delivery, unsigned attempt, char *out,
		      size_t outsz)
{
    const char *at = strrchr(report_id, '@');
    unsigned char rnd[8];
    int n;

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
	return -1;			/* the point is uniqueness: no fixed fallback */
    n = snprintf(out, outsz, "%.*s.%u.%u.%02x%02x%02x%02x%02x%02x%02x%02x%s",
		 (int) (at ? (size_t) (at - report_id) : strlen(report_id)), report_id, delivery,
		 attempt, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7],
		 at ? at : "@tlsrpt.invalid");
    return n < 0 || (size_t) n >= outsz ? -1 : 0;
}

/* tlsrpt_mail_build - the RFC 8460 §5.3 message, DKIM-signed when a key is set */
int tlsrpt_mail_build(const tlsrpt_mail_opts *o, const void *gz, size_t gzlen, buf *out,
		      mt_err *err)
{
    char date[64], day[TLSRPT_DAY_BUF], fname[TLSRPT_FILENAME_MAX], boundary[64];
    char msgid[TLSRPT_MSGID_MAX];
    const char *mid = o->message_id;
    unsigned char rnd[12];
    time_t t = (time_t) o->date;
    struct tm tm;
    size_t start = out->len;
    static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec"};

    if (!header_safe(o->from) || !header_safe(o->to) || !header_safe(o->domain)
	|| !header_safe(o->submitter) || !header_safe(o->report_id)
	|| (o->message_id && !header_safe(o->message_id))) {
	mt_err_set(err, 0, 0, "RFC 5322 §2.2", "report mail for %s: an address, name or id "
		   "is missing or holds a character a header field cannot carry",
		   header_safe(o->domain) ? o->domain : "?");
	return -1;
    }
    if (mid == NULL && tlsrpt_message_id(o->report_id, 0, 0, msgid, sizeof(msgid)) == 0)
	mid = msgid;
    if (mid == NULL) {
	mt_err_set(err, 0, 0, NULL, "report mail for %s: cannot make a Message-ID", o->domain);
	return -1;
    }
    if (tlsrpt_report_filename(o->submitter, o->domain, o->day, o->report_id, fname,
			       sizeof(fname)) < 0) {
	mt_err_set(err, 0, 0, NULL, "report mail for %s: file name too long", o->domain);
	return -1;
    }
    /* RFC 5322 §3.3 date, in English whatever the locale */
    gmtime_r(&t, &tm);
    snprintf(date, sizeof(date), "%s, %d %s %04d %02d:%02d:%02d +0000", wday[tm.tm_wday],
	     tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    tlsrpt_day_format(o->day, day);
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
	memset(rnd, 0x5a, sizeof(rnd));
    snprintf(boundary, sizeof(boundary), "=_tlsrpt_%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x",
	     rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9]);
    if (buf_printf(out, "From: <%s>\r\n", o->from) < 0
	|| buf_printf(out, "To: <%s>\r\n", o->to) < 0
	|| buf_printf(out, "Date: %s\r\n", date) < 0
	|| buf_printf(out, "Subject: Report Domain: %s\r\n Submitter: %s\r\n Report-ID: <%s>\r\n",
		      o->domain, o->submitter, o->report_id) < 0
	|| buf_printf(out, "Message-ID: <%s>\r\n", mid) < 0
	|| buf_printf(out, "TLS-Report-Domain: %s\r\n", o->domain) < 0
	|| buf_printf(out, "TLS-Report-Submitter: %s\r\n", o->submitter) < 0
	|| buf_puts(out, "Auto-Submitted: auto-generated\r\n") < 0
	|| buf_puts(out, "TLS-Required: No\r\n") < 0
	|| buf_puts(out, "MIME-Version: 1.0\r\n") < 0
	|| buf_printf(out, "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
		      "\tboundary=\"%s\"\r\n", boundary) < 0
	|| buf_puts(out, "\r\nThis is a multipart message in MIME format.\r\n\r\n") < 0
	|| buf_printf(out, "--%s\r\n", boundary) < 0
	|| buf_puts(out, "Content-Type: text/plain; charset=\"us-ascii\"\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n\r\n") < 0
	|| buf_printf(out, "This is an aggregate TLS report (RFC 8460) from %s%s%s%s\r\n"
		      "for %s, covering %s 00:00:00 to 23:59:59 UTC.\r\n"
		      "Report-ID: <%s>\r\n\r\n", o->submitter,
		      header_safe(o->organization) ? " (" : "",
		      header_safe(o->organization) ? o->organization : "",
		      header_safe(o->organization) ? ")" : "", o->domain, day, o->report_id) < 0
	|| buf_printf(out, "--%s\r\n", boundary) < 0
	|| buf_puts(out, "Content-Type: application/tlsrpt+gzip\r\n"
		    "Content-Transfer-Encoding: base64\r\n") < 0
	|| buf_printf(out, "Content-Disposition: attachment;\r\n\tfilename=\"%s\"\r\n\r\n",
		      fname) < 0
	|| put_b64(out, gz, gzlen) < 0
	|| buf_printf(out, "\r\n--%s--\r\n", boundary) < 0) {
	mt_err_set(err, 0, 0, NULL, "report mail for %s: out of memory", o->domain);
	return -1;
    }
    if (o->dkim_key && dkim_sign_message(o, out, start, err) < 0)
	return -1;
    return 0;
}

/* tlsrpt_dkim_key_load - read a PEM private key file */
char *tlsrpt_dkim_key_load(const char *path, mt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    buf b = {0};
    char tmp[4096];
    ssize_t n;

    if (fd < 0) {
	mt_err_set(err, 0, 0, NULL, "dkim_key_file %s: %s", path, strerror(errno));
	return NULL;
    }
    while ((n = read(fd, tmp, sizeof(tmp))) > 0)
	if (b.len + (size_t) n > DKIM_KEY_MAX || buf_append(&b, tmp, (size_t) n) < 0) {
	    n = -1;
	    errno = EFBIG;
	    break;
	}
    close(fd);
    if (n < 0 || b.len == 0) {
	mt_err_set(err, 0, 0, NULL, "dkim_key_file %s: %s", path,
		   n < 0 ? strerror(errno) : "empty");
	buf_free(&b);
	return NULL;
    }
    return buf_steal(&b);
}
