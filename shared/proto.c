/*
 * NAME
 *	proto - the mtastsd wire protocol: request lines and answer words
 * SUMMARY
 *	parse a request line; build and read "status key=value ..." answers
 * SYNOPSIS
 *	#include "proto.h"
 *
 *	int  proto_req_parse(const char *line, size_t len, proto_req *req, mt_err *err);
 *	int  proto_put_status(buf *out, const char *status);
 *	int  proto_put_kv(buf *out, const char *key, const char *val, size_t len);
 *	int  proto_put_kvf(buf *out, const char *key, const char *fmt, ...);
 *	int  proto_put_arg(buf *out, const char *key, const char *val, size_t len);
 *	int  proto_answer_get(const char *line, size_t len, const char *key, buf *val);
 *	int  proto_answer_status(const char *line, size_t len, char *out, size_t outsz);
 *	int  proto_value_decode(const char *in, size_t len, buf *out);
 *	int  proto_b64_decode(const char *in, size_t len, buf *out);
 * DESCRIPTION
 *	See proto.h for the protocol. Details of this implementation:
 *
 *	proto_req_parse(): line may include its final "\n" (and a "\r"
 *	before it); any other CR or LF is an error. The line (without its
 *	end) is at most PROTO_LINE_MAX bytes. Words are separated by one
 *	or more spaces; spaces at either end are allowed. Every byte of a
 *	word is printable ASCII (0x21..0x7e). The verb is the first word
 *	(at most PROTO_VERB_MAX bytes, never b64:). An argument
 *	"b64:DATA" or "key=b64:DATA" is decoded; the decoded bytes may be
 *	anything but NUL. req->argv[i] are NUL-terminated in req->storage.
 *
 *	proto_b64_decode(): strict RFC 4648 §4 base64, as Exim's
 *	${base64:...} writes it: the standard alphabet, length a multiple
 *	of 4, "=" padding only at the end (one or two), no whitespace,
 *	and the unused bits before padding zero (so every byte string has
 *	exactly one accepted encoding). An empty input decodes to nothing.
 *	Appends to out; on failure out is unchanged.
 *
 *	proto_put_status() appends the status word. proto_put_kv() appends
 *	" key=" and the value with every byte outside 0x21..0x7e, and '%'
 *	and '"', written as %XX (upper-case hex); an empty value is written
 *	"-", and a value that is just "-" as "%2D". proto_put_kvf() formats
 *	the value first. They return 0 or -1 (out of memory).
 *
 *	proto_put_arg() writes a value plain when every byte is 0x21..0x7e
 *	and the parser would read it back unchanged (it does not begin
 *	with "b64:" and, without a key, has no "=b64:" after its first
 *	"="); otherwise, and for an empty value without a key, as "b64:"
 *	and RFC 4648 base64 with padding. key must be a plain word without
 *	"=". Returns 0 or -1 (out of memory); on failure out is unchanged.
 *
 *	proto_value_decode() undoes the percent-encoding (any case of hex
 *	accepted), and reads a lone "-" as the empty value; a '%' not
 *	followed by two hex digits is -1. Appends.
 *
 *	proto_answer_get(): val is emptied, then filled with the decoded
 *	value of the first word "key=..." after the status word. 0 when
 *	found (and well encoded), -1 otherwise.
 *
 *	proto_answer_status(): the first word of the line into out (NUL
 *	terminated); 0, or -1 when there is no word or it does not fit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

_Static_assert(PROTO_REQUEST_MIN <= PROTO_LINE_MAX, "a query must fit in a request line");

#define PROTO_RULE "mtastsd protocol"

/* The value of each base64 character (RFC 4648 §4) plus one; 0: not one.
 * A table, not a chain of ranges: report lines carry several b64: texts. */
static const unsigned char b64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
    ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64,
};

/* b64_value - the 6-bit value of a base64 character, -1 if none */
static int b64_value(unsigned char c)
{
    return (int) b64_table[c] - 1;
}

/* b64_decode_into - strict decode into dst (room for len/4*3); -1 on bad input */
static long b64_decode_into(const char *in, size_t len, unsigned char *dst)
{
    const unsigned char *u = (const unsigned char *) in;
    size_t i, n = 0, pad = 0;
    int v[4], k;

    if (len % 4 != 0)
	return -1;
    if (len == 0)
	return 0;
    /* every quad but the last: no padding there */
    for (i = 0; i + 4 < len; i += 4) {
	unsigned a = b64_table[u[i]], b = b64_table[u[i + 1]], c = b64_table[u[i + 2]],
	    d = b64_table[u[i + 3]];

	if (!a || !b || !c || !d)
	    return -1;
	a--, b--, c--, d--;
	dst[n++] = (unsigned char) ((a << 2) | (b >> 4));
	dst[n++] = (unsigned char) (((b & 0x0f) << 4) | (c >> 2));
	dst[n++] = (unsigned char) (((c & 0x03) << 6) | d);
    }
    /* the last quad: "xx==", "xxx=" or four characters */
    if (in[len - 1] == '=')
	pad++;
    if (in[len - 2] == '=')
	pad++;
    for (k = 0; k < 4; k++) {
	if (k >= 4 - (int) pad) {
	    v[k] = 0;
	    continue;
	}
	if ((v[k] = b64_value(u[i + k])) < 0)
	    return -1;
    }
    if (pad == 2 && (v[1] & 0x0f) != 0)
	return -1;			/* non-zero bits before "==" */
    if (pad == 1 && (v[2] & 0x03) != 0)
	return -1;			/* non-zero bits before "=" */
    dst[n++] = (unsigned char) ((v[0] << 2) | (v[1] >> 4));
    if (pad < 2)
	dst[n++] = (unsigned char) (((v[1] & 0x0f) << 4) | (v[2] >> 2));
    if (pad < 1)
	dst[n++] = (unsigned char) (((v[2] & 0x03) << 6) | v[3]);
    return (long) n;
}

/* proto_b64_decode - strict base64 (RFC 4648 §4), appended to out */
int proto_b64_decode(const char *in, size_t len, buf *out)
{
    long n;

    if (len % 4 != 0)
	return -1;
    if (buf_reserve(out, len / 4 * 3) < 0)
	return -1;
    if ((n = b64_decode_into(in, len, (unsigned char *) out->data + out->len)) < 0) {
	out->data[out->len] = 0;
	return -1;
    }
    out->len += (size_t) n;
    out->data[out->len] = 0;
    return 0;
}

/* proto_req_parse - one request line into verb and decoded arguments */
int proto_req_parse(const char *line, size_t len, proto_req *req, mt_err *err)
{
    size_t p = 0, start, used = 0, i;
    int nwords = 0;

    memset(req->verb, 0, sizeof(req->verb));
    req->argc = 0;
    if (len > 0 && line[len - 1] == '\n')
	len--;
    if (len > 0 && line[len - 1] == '\r')
	len--;
    if (len > PROTO_LINE_MAX) {
	mt_err_set(err, 0, PROTO_LINE_MAX + 1, PROTO_RULE, "request longer than %d bytes", PROTO_LINE_MAX);
	return -1;
    }
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) line[i];

	if (c != ' ' && (c < 0x21 || c > 0x7e)) {
	    mt_err_set(err, 0, (unsigned) i + 1, PROTO_RULE,
		       c == '\n' || c == '\r' ? "line break inside a request"
		       : "byte 0x%02x outside printable ASCII (encode free text as b64:)", c);
	    return -1;
	}
    }
    for (;;) {
	const char *w, *eq, *data;
	size_t wlen, dlen, klen;
	char *dst;

	while (p < len && line[p] == ' ')
	    p++;
	if (p >= len)
	    break;
	start = p;
	{
	    const char *sp = memchr(line + p, ' ', len - p);

	    p = sp ? (size_t) (sp - line) : len;
	}
	w = line + start;
	wlen = p - start;
	if (nwords == 0) {
	    if (wlen > PROTO_VERB_MAX) {
		mt_err_set(err, 0, (unsigned) start + 1, PROTO_RULE, "verb longer than %d bytes", PROTO_VERB_MAX);
		return -1;
	    }
	    if (wlen >= 4 && memcmp(w, "b64:", 4) == 0) {
		mt_err_set(err, 0, (unsigned) start + 1, PROTO_RULE, "the verb cannot be b64: encoded");
		return -1;
	    }
	    memcpy(req->verb, w, wlen);
	    req->verb[wlen] = 0;
	    nwords++;
	    continue;
	}
	if (req->argc >= PROTO_MAX_ARGS) {
	    mt_err_set(err, 0, (unsigned) start + 1, PROTO_RULE, "more than %d arguments", PROTO_MAX_ARGS);
	    return -1;
	}
	/* a plain word, "b64:DATA" or "key=b64:DATA" */
	klen = 0;
	data = NULL;
	if (wlen >= 4 && memcmp(w, "b64:", 4) == 0) {
	    data = w + 4;
	} else if ((eq = memchr(w, '=', wlen)) != NULL && (size_t) (w + wlen - eq - 1) >= 4
		   && memcmp(eq + 1, "b64:", 4) == 0) {
	    klen = (size_t) (eq - w) + 1;	/* "key=" kept */
	    data = eq + 5;
	}
	dst = req->storage + used;
	if (data == NULL) {
	    memcpy(dst, w, wlen);
	    dlen = wlen;
	} else {
	    long n;

	    dlen = (size_t) (w + wlen - data);
	    memcpy(dst, w, klen);
	    if ((n = b64_decode_into(data, dlen, (unsigned char *) dst + klen)) < 0) {
		mt_err_set(err, 0, (unsigned) (data - line) + 1, PROTO_RULE, "bad base64 in argument %d",
			   req->argc + 1);
		return -1;
	    }
	    if (memchr(dst + klen, 0, (size_t) n) != NULL) {
		mt_err_set(err, 0, (unsigned) (data - line) + 1, PROTO_RULE, "NUL byte in argument %d",
			   req->argc + 1);
		return -1;
	    }
	    dlen = klen + (size_t) n;
	}
	dst[dlen] = 0;
	req->argv[req->argc] = dst;
	req->argl[req->argc] = dlen;
	req->argc++;
	used += dlen + 1;
	nwords++;
    }
    if (nwords == 0) {
	mt_err_set(err, 0, 1, PROTO_RULE, "empty request");
	return -1;
    }
    return 0;
}

/* proto_put_status - the status word that starts an answer */
int proto_put_status(buf *out, const char *status)
{
    return buf_puts(out, status);
}

/* needs_encoding - a value byte that travels as %XX */
static int needs_encoding(unsigned char c)
{
    return c < 0x21 || c > 0x7e || c == '%' || c == '"';
}

/*
 * proto_put_kv - " key=value", the value percent-encoded where needed. Never
 * "key=" with nothing: Exim's ${extract} skips white space after "=", so an
 * empty value would take the next word as its own. It is "-" instead.
 */
int proto_put_kv(buf *out, const char *key, const char *val, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, extra = 0, old = out->len;
    int dash = len == 1 && val[0] == PROTO_EMPTY[0];	/* a real "-" travels as %2D */

    for (i = 0; i < len; i++)
	if (needs_encoding((unsigned char) val[i]) || dash)
	    extra += 2;
    if (buf_reserve(out, strlen(key) + 2 + len + extra + 1) < 0)
	return -1;
    if (buf_putc(out, ' ') < 0 || buf_puts(out, key) < 0 || buf_putc(out, '=') < 0
	|| (len == 0 && buf_puts(out, PROTO_EMPTY) < 0))
	goto fail;
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) val[i];

	if (needs_encoding(c) || dash) {
	    char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

	    if (buf_append(out, enc, 3) < 0)
		goto fail;
	} else if (buf_putc(out, c) < 0)
	    goto fail;
    }
    return 0;
  fail:
    buf_truncate(out, old);
    return -1;
}

/* proto_put_kvf - proto_put_kv() with a formatted value */
int proto_put_kvf(buf *out, const char *key, const char *fmt, ...)
{
    va_list ap;
    buf tmp;
    int n, rc;

    buf_init(&tmp);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(&tmp, (size_t) n) < 0)
	return -1;
    va_start(ap, fmt);
    vsnprintf(tmp.data, (size_t) n + 1, fmt, ap);
    va_end(ap);
    tmp.len = (size_t) n;
    rc = proto_put_kv(out, key, tmp.data, tmp.len);
    buf_free(&tmp);
    return rc;
}

/* arg_plain_ok - val can travel as a plain word and be read back unchanged */
static int arg_plain_ok(const char *key, const char *val, size_t len)
{
    const char *eq;
    size_t i;

    if (len == 0)
	return key != NULL;
    for (i = 0; i < len; i++)
	if ((unsigned char) val[i] < 0x21 || (unsigned char) val[i] > 0x7e)
	    return 0;
    if (len >= 4 && memcmp(val, "b64:", 4) == 0)
	return 0;
    if (key == NULL && (eq = memchr(val, '=', len)) != NULL
	&& (size_t) (val + len - eq - 1) >= 4 && memcmp(eq + 1, "b64:", 4) == 0)
	return 0;
    return 1;
}

/* proto_put_arg - " [key=]value", plain or b64:, as proto_req_parse() reads it */
int proto_put_arg(buf *out, const char *key, const char *val, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t old = out->len, i;

    if (len > BUF_MAX / 2 || buf_reserve(out, (key ? strlen(key) : 0) + 6 + (len + 2) / 3 * 4) < 0)
	return -1;
    if (buf_putc(out, ' ') < 0 || (key && (buf_puts(out, key) < 0 || buf_putc(out, '=') < 0)))
	goto fail;
    if (arg_plain_ok(key, val, len)) {
	if (buf_append(out, val, len) < 0)
	    goto fail;
	return 0;
    }
    if (buf_puts(out, "b64:") < 0)
	goto fail;
    for (i = 0; i < len; i += 3) {
	unsigned v = (unsigned) (unsigned char) val[i] << 16;
	char q[4];

	if (i + 1 < len)
	    v |= (unsigned) (unsigned char) val[i + 1] << 8;
	if (i + 2 < len)
	    v |= (unsigned char) val[i + 2];
	q[0] = b64[v >> 18 & 63];
	q[1] = b64[v >> 12 & 63];
	q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
	q[3] = i + 2 < len ? b64[v & 63] : '=';
	if (buf_append(out, q, 4) < 0)
	    goto fail;
    }
    return 0;
  fail:
    buf_truncate(out, old);
    return -1;
}

/* hex_value - the value of a hex digit, -1 if none */
static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
	return c - '0';
    if (c >= 'a' && c <= 'f')
	return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
	return c - 'A' + 10;
    return -1;
}

/* proto_value_decode - undo the percent-encoding of an answer value */
int proto_value_decode(const char *in, size_t len, buf *out)
{
    size_t i, old = out->len;

    if (len == 1 && in[0] == PROTO_EMPTY[0])
	return 0;			/* the empty value */

    if (buf_reserve(out, len) < 0)
	return -1;
    for (i = 0; i < len; i++) {
	int c = (unsigned char) in[i];

	if (c == '%') {
	    int hi, lo;

	    if (len - i < 3 || (hi = hex_value((unsigned char) in[i + 1])) < 0
		|| (lo = hex_value((unsigned char) in[i + 2])) < 0) {
		buf_truncate(out, old);
		return -1;
	    }
	    c = hi << 4 | lo;
	    i += 2;
	}
	out->data[out->len++] = (char) c;
    }
    out->data[out->len] = 0;
    return 0;
}

/* proto_answer_get - the decoded value of key in an answer line */
int proto_answer_get(const char *line, size_t len, const char *key, buf *val)
{
    size_t p = 0, start, klen = strlen(key);
    int first = 1;

    buf_reset(val);
    if (len > 0 && line[len - 1] == '\n')
	len--;
    if (len > 0 && line[len - 1] == '\r')
	len--;
    while (p < len) {
	while (p < len && line[p] == ' ')
	    p++;
	start = p;
	while (p < len && line[p] != ' ')
	    p++;
	if (p == start)
	    break;
	if (first) {
	    first = 0;
	    continue;
	}
	if (p - start > klen && memcmp(line + start, key, klen) == 0 && line[start + klen] == '=')
	    return proto_value_decode(line + start + klen + 1, p - start - klen - 1, val);
    }
    return -1;
}

/* proto_answer_status - the first word of an answer */
int proto_answer_status(const char *line, size_t len, char *out, size_t outsz)
{
    size_t p = 0, start;

    if (outsz > 0)
	out[0] = 0;
    while (p < len && line[p] == ' ')
	p++;
    start = p;
    while (p < len && line[p] != ' ' && line[p] != '\n' && line[p] != '\r')
	p++;
    if (p == start || p - start >= outsz)
	return -1;
    memcpy(out, line + start, p - start);
    out[p - start] = 0;
    return 0;
}
