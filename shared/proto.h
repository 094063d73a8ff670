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
 *	A request is one line of at most PROTO_LINE_MAX bytes, ended by
 *	"\n" (a "\r" before it is dropped): a verb, then arguments separated
 *	by spaces. An argument is either a plain word (printable ASCII, no
 *	space) or "b64:" followed by base64 (what Exim's ${base64:...}
 *	produces), decoded by the parser: free text such as $host,
 *	$event_data or a TLS error travels that way, so a value can never
 *	carry a newline, a second request or a field of its own.
 *	An argument "key=value" keeps that form, and its value may be b64:
 *	too ("key=b64:...").  Decoded arguments that contain a NUL byte are
 *	refused. proto_req_parse() returns 0, or -1 with err (the column and
 *	what was wrong) for an empty line, an unknown character, too many
 *	arguments or bad base64.
 *
 *	An answer is one line: a status word (ok, none, tempfail, error)
 *	then "key=value" words separated by one space, ended by "\n". Values
 *	are percent-encoded where they hold a byte outside 0x21..0x7e, or
 *	'%' or '"' (so Exim's ${extract{key}{$value}} reads a value whole,
 *	and a person can still read it); proto_value_decode() undoes it.
 *	An empty value is written PROTO_EMPTY ("-"), never as "key=" and
 *	nothing: ${extract} skips white space after "=", so it would read
 *	the next word as the value. A value that is just "-" is written
 *	"%2D", so "-" alone always means empty.
 *	Verbs that list many things answer "ok count=N" and then N lines.
 *
 *	proto_put_arg() is the client's side of a request argument: it
 *	appends " key=value" (or " value" when key is NULL), the value as
 *	a plain word when it is printable ASCII that the parser would not
 *	decode, else as b64:. Start the line with the verb
 *	(proto_put_status() appends one word) and end it with "\n".
 *
 *	proto_put_status() starts an answer, proto_put_kv() and
 *	proto_put_kvf() append " key=value"; the caller appends the final
 *	"\n". proto_answer_status() copies the first word of an answer.
 *
 *	proto_answer_get() finds key in an answer line and decodes its
 *	value into val: 0 when found, -1 when not (or when the value's
 *	encoding is broken). proto_b64_decode() is strict: padding
 *	required, no whitespace, canonical final bits.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"

/*
 * The longest request line. design.md said 1024 bytes before TLS-RPT; the
 * longest report line Exim's configuration builds (mtasts-tlsrpt.conf: a
 * domain and a host of 253 octets, error text cut to 300 and certificate
 * names to 400 bytes, all base64, addresses, numbers) is about 1,800 bytes.
 */
#define PROTO_LINE_MAX 2048
#define PROTO_MAX_ARGS 16	/* arguments after the verb */
#define PROTO_VERB_MAX 31
#define PROTO_EMPTY "-"		/* an empty answer value, on the wire */
#define PROTO_B64_LEN(n) (4 * (((n) + 2) / 3))	/* RFC 4648 §4, padded */
/*
 * The longest request the query verbs need, the floor of max_request_size:
 * the longest verb, then a domain and a host of DOMAIN_MAX octets, each a
 * "b64:" word as Exim's configuration sends them ("mx b64:D b64:H"): 721.
 */
#define PROTO_REQUEST_MIN (PROTO_VERB_MAX + 2 * (1 + 4 + PROTO_B64_LEN(DOMAIN_MAX)))

typedef struct proto_req {
    char verb[PROTO_VERB_MAX + 1];
    int argc;
    char *argv[PROTO_MAX_ARGS];	/* decoded, NUL-terminated, point into storage */
    size_t argl[PROTO_MAX_ARGS];	/* decoded lengths */
    char storage[PROTO_LINE_MAX + PROTO_MAX_ARGS + 1];
} proto_req;

int proto_req_parse(const char *line, size_t len, proto_req *req, mt_err *err);
int proto_put_status(buf *out, const char *status);
int proto_put_kv(buf *out, const char *key, const char *val, size_t len);
int proto_put_kvf(buf *out, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int proto_put_arg(buf *out, const char *key, const char *val, size_t len);
int proto_answer_get(const char *line, size_t len, const char *key, buf *val);
int proto_answer_status(const char *line, size_t len, char *out, size_t outsz);
int proto_value_decode(const char *in, size_t len, buf *out);
int proto_b64_decode(const char *in, size_t len, buf *out);

#endif
