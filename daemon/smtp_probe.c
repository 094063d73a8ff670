/*
 * NAME
 *	smtp_probe - connect to an MX and judge its TLS as an enforcing sender would
 * DESCRIPTION
 *	See smtp_probe.h. A plain blocking SMTP client with per-step
 *	timeouts (SO_RCVTIMEO, SO_SNDTIMEO, a polled connect): the command
 *	line runs it after discovery, one host at a time. Replies are read
 *	line by line with a bound on each line and on each reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smtp_probe.h"

typedef struct conn {
    int fd;
    SSL *ssl;
    char buf[SMTP_PROBE_LINE_MAX];
    size_t len;
} conn;

/* fail - the probe ends here: say why and which RFC 8460 type a sender would report */
static void __attribute__((format(printf, 3, 4)))
fail(smtp_probe_result *out, const char *type, const char *fmt, ...)
{
    va_list ap;

    out->deliverable = 0;
    out->result_type = type;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
}

/* set_timeouts - bound every read and write */
static void set_timeouts(int fd, uint64_t ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t) (ms / 1000);
    tv.tv_usec = (suseconds_t) ((ms % 1000) * 1000);
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* connect_to - a TCP connection within the timeout; fd or -1 with errno */
static int connect_to(const char *address, int port, uint64_t ms)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct pollfd p;
    int fd, err = 0;
    socklen_t el = sizeof(err);

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, address, &((struct sockaddr_in *) &ss)->sin_addr) == 1) {
	ss.ss_family = AF_INET;
	((struct sockaddr_in *) &ss)->sin_port = htons((uint16_t) port);
	sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, address, &((struct sockaddr_in6 *) &ss)->sin6_addr) == 1) {
	ss.ss_family = AF_INET6;
	((struct sockaddr_in6 *) &ss)->sin6_port = htons((uint16_t) port);
	sl = sizeof(struct sockaddr_in6);
    } else {
	errno = EINVAL;
	return -1;
    }
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
	return -1;
    if (connect(fd, (struct sockaddr *) &ss, sl) < 0 && errno != EINPROGRESS)
	goto fail;
    p.fd = fd;
    p.events = POLLOUT;
    if (poll(&p, 1, (int) ms) <= 0) {
	errno = ETIMEDOUT;
	goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
	errno = err ? err : EIO;
	goto fail;
    }
    (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    set_timeouts(fd, ms);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* conn_read - more bytes into the line buffer; 0, or -1 on error/EOF/timeout */
static int conn_read(conn *c)
{
    ssize_t n;

    if (c->len >= sizeof(c->buf))
	return -1;
    if (c->ssl) {
	int k = SSL_read(c->ssl, c->buf + c->len, (int) (sizeof(c->buf) - c->len));

	n = k > 0 ? k : -1;
    } else
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
    if (n <= 0)
	return -1;
    c->len += (size_t) n;
    return 0;
}

/* conn_line - one reply line (without CRLF) into out; -1 on error */
static int conn_line(conn *c, char *out, size_t outsz)
{
    for (;;) {
	char *nl = memchr(c->buf, '\n', c->len);

	if (nl) {
	    size_t l = (size_t) (nl - c->buf), take = l;

	    if (take > 0 && c->buf[take - 1] == '\r')
		take--;
	    if (take >= outsz)
		take = outsz - 1;
	    memcpy(out, c->buf, take);
	    out[take] = 0;
	    memmove(c->buf, nl + 1, c->len - l - 1);
	    c->len -= l + 1;
	    return 0;
	}
	if (conn_read(c) < 0)
	    return -1;
    }
}

/* read_reply - a whole (multi-line) reply: its code, and whether STARTTLS was listed */
static int read_reply(conn *c, int *starttls, char *first, size_t firstsz)
{
    char line[SMTP_PROBE_LINE_MAX];
    size_t total = 0;
    int code = -1;

    if (starttls)
	*starttls = 0;
    for (;;) {
	if (conn_line(c, line, sizeof(line)) < 0)
	    return -1;
	total += strlen(line);
	if (total > SMTP_PROBE_REPLY_MAX || strlen(line) < 3
	    || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9'
	    || line[2] < '0' || line[2] > '9')
	    return -1;
	if (code < 0) {
	    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	    if (first)
		snprintf(first, firstsz, "%s", line);
	}
	/* EHLO keywords: "250-STARTTLS" or "250 STARTTLS" (RFC 3207 §4) */
	if (starttls && strlen(line) >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0
	    && (line[12] == 0 || line[12] == ' '))
	    *starttls = 1;
	if (line[3] != '-')
	    return code;
    }
}

/* send_line - one command line */
static int send_line(conn *c, const char *cmd)
{
    char line[300];
    int n = snprintf(line, sizeof(line), "%s\r\n", cmd);

    if (n < 0 || (size_t) n >= sizeof(line))
	return -1;
    if (c->ssl)
	return SSL_write(c->ssl, line, n) == n ? 0 : -1;
    return write(c->fd, line, (size_t) n) == n ? 0 : -1;
}

/* tls_start - the handshake and the certificate judgement */
static void tls_start(conn *c, const char *mx, const smtp_probe_opts *o, smtp_probe_result *out,
		      int legacy)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char err[256];
    long vr;

    if (ctx == NULL) {
	fail(out, "validation-failure", "local TLS error");
	return;
    }
    if (legacy) {
	/* only to tell the owner which old version the host is stuck at */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    } else
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (o->ca_file || o->ca_path) {
	if (SSL_CTX_load_verify_locations(ctx, o->ca_file, o->ca_path) != 1) {
	    fail(out, "validation-failure", "cannot load the CA store (ca_file, ca_path)");
	    SSL_CTX_free(ctx);
	    return;
	}
    } else
	SSL_CTX_set_default_verify_paths(ctx);
    if ((c->ssl = SSL_new(ctx)) == NULL) {
	SSL_CTX_free(ctx);
	fail(out, "validation-failure", "local TLS error");
	return;
    }
    SSL_CTX_free(ctx);			/* the SSL holds its own reference */
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, mx);
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(c->ssl, mx);
    /* we judge the result ourselves after the handshake */
    SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    ERR_clear_error();
    if (SSL_connect(c->ssl) != 1) {
	unsigned long e = ERR_peek_last_error();

	ERR_error_string_n(e, err, sizeof(err));
	if (ERR_GET_REASON(e) == SSL_R_UNSUPPORTED_PROTOCOL
	    || ERR_GET_REASON(e) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION
	    || ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER
	    || ERR_GET_REASON(e) == SSL_R_NO_PROTOCOLS_AVAILABLE)
	    fail(out, "validation-failure",
		 "the TLS handshake failed: the host offers no TLS 1.2 or later (%s)",
		 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
	else
	    fail(out, "validation-failure", "the TLS handshake failed (%s)",
		 e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "connection closed");
	SSL_free(c->ssl);
	c->ssl = NULL;
	return;
    }
    out->tls = 1;
    snprintf(out->tls_version, sizeof(out->tls_version), "%s", SSL_get_version(c->ssl));
    snprintf(out->cipher, sizeof(out->cipher), "%s", SSL_get_cipher_name(c->ssl));
    vr = SSL_get_verify_result(c->ssl);
    if (SSL_get0_peer_certificate(c->ssl) == NULL)
	vr = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT;
    if (vr == X509_V_OK) {
	out->cert_valid = 1;
	out->deliverable = 1;
	out->result_type = NULL;
	snprintf(out->reason, sizeof(out->reason),
		 "STARTTLS offered, %s, certificate valid for %s", out->tls_version, mx);
	return;
    }
    snprintf(out->cert_error, sizeof(out->cert_error), "%s", X509_verify_cert_error_string(vr));
    switch (vr) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
	fail(out, "certificate-host-mismatch", "the certificate is not valid for the name %s", mx);
	break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
	fail(out, "certificate-expired", "the certificate is outside its validity dates (%s)",
	     out->cert_error);
	break;
    default:
	fail(out, "certificate-not-trusted", "the certificate is not trusted (%s)",
	     out->cert_error);
	break;
    }
}

/* probe_once - one connection; legacy: accept TLS older than 1.2 (diagnosis only) */
static void probe_once(const char *mx, const char *address, int port, const smtp_probe_opts *o,
		       smtp_probe_result *out, int legacy)
{
    char first[SMTP_PROBE_LINE_MAX], cmd[300];
    conn c;
    int code, starttls;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    snprintf(out->address, sizeof(out->address), "%s", address);
    out->port = port;
    if ((c.fd = connect_to(address, port, o->timeout_ms)) < 0) {
	fail(out, "validation-failure", "cannot connect: %s", strerror(errno));
	return;
    }
    out->connected = 1;
    if ((code = read_reply(&c, NULL, first, sizeof(first))) != 220) {
	if (code < 0)
	    fail(out, "validation-failure", "no SMTP greeting");
	else
	    fail(out, "validation-failure", "the server greets with %d instead of 220", code);
	goto done;
    }
    out->greeted = 1;
    snprintf(cmd, sizeof(cmd), "EHLO %s", o->helo ? o->helo : "localhost");
    if (send_line(&c, cmd) < 0 || read_reply(&c, &starttls, NULL, 0) != 250) {
	fail(out, "validation-failure", "EHLO was not accepted");
	goto done;
    }
    out->starttls_offered = starttls;
    if (!starttls) {
	fail(out, "starttls-not-supported", "STARTTLS is not offered");
	goto quit;
    }
    if (send_line(&c, "STARTTLS") < 0 || read_reply(&c, NULL, NULL, 0) != 220) {
	fail(out, "starttls-not-supported", "STARTTLS is offered but refused");
	goto quit;
    }
    c.len = 0;				/* nothing sent in the clear counts after STARTTLS */
    tls_start(&c, mx, o, out, legacy);
    if (c.ssl == NULL)
	goto done;
    snprintf(cmd, sizeof(cmd), "EHLO %s", o->helo ? o->helo : "localhost");
    if (send_line(&c, cmd) == 0)
	(void) read_reply(&c, NULL, NULL, 0);
quit:
    if (send_line(&c, "QUIT") == 0)
	(void) read_reply(&c, NULL, NULL, 0);
done:
    if (c.ssl) {
	(void) SSL_shutdown(c.ssl);
	SSL_free(c.ssl);
    }
    close(c.fd);
}

/*
 * smtp_probe - one MX address, as an enforcing sender would see it. When
 * the TLS 1.2+ handshake fails, a second connection that accepts older
 * versions tells whether the host is stuck at one (only to explain it).
 */
void smtp_probe(const char *mx, const char *address, int port, const smtp_probe_opts *o,
		smtp_probe_result *out)
{
    smtp_probe_result old;

    probe_once(mx, address, port, o, out, 0);
    if (out->tls || !out->starttls_offered || out->result_type == NULL
	|| strcmp(out->result_type, "validation-failure") != 0)
	return;
    probe_once(mx, address, port, o, &old, 1);
    if (old.tls && strcmp(old.tls_version, "TLSv1.2") != 0 && strcmp(old.tls_version, "TLSv1.3") != 0)
	snprintf(out->reason, sizeof(out->reason), "the host offers only %s; senders require "
		 "TLS 1.2 or later (RFC 8461 §7.2, RFC 8996)", old.tls_version);
}
