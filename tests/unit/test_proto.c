/*
 * NAME
 *	test_proto - the mtastsd wire protocol codec
 * DESCRIPTION
 *	Requests: verb and arguments, b64: and key=b64: decoding, what is
 *	refused. Answers: percent-encoding round trips and the reader.
 */
#include <stdlib.h>

#include "t.h"
#include "proto.h"

#define S(lit) lit, sizeof(lit) - 1

/* a request: the verb and its plain arguments */
static void request_verb_and_words(void)
{
    proto_req r;
    mt_err e;

    T_EQ_INT(proto_req_parse(S("policy example.com\n"), &r, &e), 0);
    T_EQ_STR(r.verb, "policy");
    T_EQ_INT(r.argc, 1);
    T_EQ_STR(r.argv[0], "example.com");
    T_EQ_INT(r.argl[0], 11);
    T_EQ_INT(proto_req_parse(S("ping"), &r, &e), 0);
    T_EQ_STR(r.verb, "ping");
    T_EQ_INT(r.argc, 0);
    T_EQ_INT(proto_req_parse(S("  verdict  example.com   mx.example.com \r\n"), &r, &e), 0);
    T_EQ_INT(r.argc, 2);
    T_EQ_STR(r.argv[1], "mx.example.com");
}

/* b64: arguments are decoded (what Exim's ${base64:...} writes) */
static void request_b64_argument(void)
{
    proto_req r;
    mt_err e;

    /* "mx one.example\n" */
    T_EQ_INT(proto_req_parse(S("report b64:bXggb25lLmV4YW1wbGUK x"), &r, &e), 0);
    T_EQ_INT(r.argc, 2);
    T_EQ_STR(r.argv[0], "mx one.example\n");
    T_EQ_INT(r.argl[0], 15);
    T_EQ_INT(proto_req_parse(S("report b64:"), &r, &e), 0);
    T_EQ_STR(r.argv[0], "");
}

/* key=b64: arguments keep "key=" and decode the value */
static void request_key_b64_argument(void)
{
    proto_req r;
    mt_err e;

    /* "bad cert; x=1" */
    T_EQ_INT(proto_req_parse(S("report result=certificate-expired why=b64:YmFkIGNlcnQ7IHg9MQ== host=b64:"), &r, &e), 0);
    T_EQ_INT(r.argc, 3);
    T_EQ_STR(r.argv[0], "result=certificate-expired");
    T_EQ_STR(r.argv[1], "why=bad cert; x=1");
    T_EQ_INT(r.argl[1], 17);
    T_EQ_STR(r.argv[2], "host=");
}

/* a decoded value can never inject a second request or a field */
static void request_b64_cannot_inject(void)
{
    proto_req r;
    mt_err e;

    /* "a\nflush all" */
    T_EQ_INT(proto_req_parse(S("verdict b64:YQpmbHVzaCBhbGw="), &r, &e), 0);
    T_EQ_INT(r.argc, 1);
    T_EQ_STR(r.argv[0], "a\nflush all");
    /* NUL inside: "a\0b" */
    T_EQ_INT(proto_req_parse(S("verdict b64:YQBi"), &r, &e), -1);
}

/* strict base64: alphabet, length, padding, zero bits */
static void base64_strict(void)
{
    buf b;

    buf_init(&b);
    T_EQ_INT(proto_b64_decode(S("TWFu"), &b), 0);
    T_EQ_STR(buf_str(&b), "Man");
    buf_reset(&b);
    T_EQ_INT(proto_b64_decode(S("TWE="), &b), 0);
    T_EQ_STR(buf_str(&b), "Ma");
    buf_reset(&b);
    T_EQ_INT(proto_b64_decode(S("TQ=="), &b), 0);
    T_EQ_STR(buf_str(&b), "M");
    buf_reset(&b);
    T_EQ_INT(proto_b64_decode(S(""), &b), 0);
    T_EQ_INT(b.len, 0);
    T_EQ_INT(proto_b64_decode(S("TQ"), &b), -1);	/* no padding */
    T_EQ_INT(proto_b64_decode(S("TQ="), &b), -1);
    T_EQ_INT(proto_b64_decode(S("TQ==="), &b), -1);
    T_EQ_INT(proto_b64_decode(S("T==="), &b), -1);
    T_EQ_INT(proto_b64_decode(S("===="), &b), -1);
    T_EQ_INT(proto_b64_decode(S("TR=="), &b), -1);	/* non-zero bits before padding */
    T_EQ_INT(proto_b64_decode(S("TWF="), &b), -1);
    T_EQ_INT(proto_b64_decode(S("TQ==TWFu"), &b), -1);	/* padding in the middle */
    T_EQ_INT(proto_b64_decode(S("TW=u"), &b), -1);
    T_EQ_INT(proto_b64_decode(S("TW u"), &b), -1);
    T_EQ_INT(proto_b64_decode(S("TW-u"), &b), -1);	/* base64url is not ours */
    T_EQ_INT(proto_b64_decode(S("TW\nu"), &b), -1);
    T_EQ_INT(b.len, 0);
    T_EQ_INT(proto_b64_decode(S("+/+/"), &b), 0);
    T_EQ_INT(b.len, 3);
    T_EQ_INT((unsigned char) b.data[0], 0xfb);
    buf_free(&b);
}

/* what a request may not be */
static void request_refused(void)
{
    proto_req r;
    mt_err e;
    char line[PROTO_LINE_MAX + 2];

    T_EQ_INT(proto_req_parse(S(""), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("\n"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("   \r\n"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("policy a\nflush"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("policy a\rb"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("policy\ta"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("policy a\0"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("policy \xc3\xa9.example"), &r, &e), -1);
    T_EQ_INT(e.col, 8);
    T_EQ_INT(proto_req_parse(S("policy b64:!!!!"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("b64:cG9saWN5 a"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("averyveryveryveryverylongverbname1 a"), &r, &e), -1);
    T_EQ_INT(proto_req_parse(S("v 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16"), &r, &e), 0);
    T_EQ_INT(proto_req_parse(S("v 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"), &r, &e), -1);
    memset(line, 'a', sizeof(line));
    line[1] = ' ';
    T_EQ_INT(proto_req_parse(line, PROTO_LINE_MAX, &r, &e), 0);
    T_EQ_INT(r.argl[0], PROTO_LINE_MAX - 2);
    line[PROTO_LINE_MAX] = '\n';
    T_EQ_INT(proto_req_parse(line, PROTO_LINE_MAX + 1, &r, &e), 0);
    T_EQ_INT(proto_req_parse(line, PROTO_LINE_MAX + 2, &r, &e), -1);
}

/* answers: status, then key=value words, values percent-encoded */
static void answer_build_and_read(void)
{
    buf out, v;
    char status[16];

    buf_init(&out);
    buf_init(&v);
    T_EQ_INT(proto_put_status(&out, "ok"), 0);
    T_EQ_INT(proto_put_kv(&out, "mode", "enforce", 7), 0);
    T_EQ_INT(proto_put_kv(&out, "why", "a b%c\"d\n\xff=", 10), 0);
    T_EQ_INT(proto_put_kvf(&out, "max_age", "%d", 86400), 0);
    T_EQ_INT(proto_put_kv(&out, "empty", "", 0), 0);
    T_EQ_STR(buf_str(&out), "ok mode=enforce why=a%20b%25c%22d%0A%FF= max_age=86400 empty=");
    T_EQ_INT(proto_answer_status(out.data, out.len, status, sizeof(status)), 0);
    T_EQ_STR(status, "ok");
    T_EQ_INT(proto_answer_get(out.data, out.len, "why", &v), 0);
    T_EQ_INT(v.len, 10);
    T_ASSERT(memcmp(v.data, "a b%c\"d\n\xff=", 10) == 0);
    T_EQ_INT(proto_answer_get(out.data, out.len, "max_age", &v), 0);
    T_EQ_STR(buf_str(&v), "86400");
    T_EQ_INT(proto_answer_get(out.data, out.len, "empty", &v), 0);
    T_EQ_INT(v.len, 0);
    T_EQ_INT(proto_answer_get(out.data, out.len, "max", &v), -1);
    T_EQ_INT(proto_answer_get(out.data, out.len, "ok", &v), -1);
    T_EQ_INT(proto_answer_get(S("ok mode=enforce\n"), "mode", &v), 0);
    T_EQ_STR(buf_str(&v), "enforce");
    T_EQ_INT(proto_answer_get(S("ok x=%4"), "x", &v), -1);
    T_EQ_INT(proto_answer_get(S("ok x=%zz"), "x", &v), -1);
    T_EQ_INT(proto_answer_status(S(""), status, sizeof(status)), -1);
    T_EQ_INT(proto_answer_status(S("tempfail\n"), status, sizeof(status)), 0);
    T_EQ_STR(status, "tempfail");
    T_EQ_INT(proto_answer_status(S("averylongstatusword"), status, sizeof(status)), -1);
    buf_free(&out);
    buf_free(&v);
}

/* every byte value survives encoding and decoding */
static void answer_value_round_trip(void)
{
    char all[256];
    buf out, v;
    int i;

    for (i = 0; i < 256; i++)
	all[i] = (char) i;
    buf_init(&out);
    buf_init(&v);
    proto_put_status(&out, "ok");
    T_EQ_INT(proto_put_kv(&out, "v", all, 256), 0);
    for (i = 0; i < (int) out.len; i++)
	T_ASSERT(out.data[i] > 0x20 && out.data[i] < 0x7f ? 1 : out.data[i] == ' ');
    T_ASSERT(strchr(out.data, '"') == NULL);
    T_EQ_INT(proto_answer_get(out.data, out.len, "v", &v), 0);
    T_EQ_INT(v.len, 256);
    T_ASSERT(memcmp(v.data, all, 256) == 0);
    buf_free(&out);
    buf_free(&v);
}

/* what a client writes with proto_put_arg(), the parser reads back unchanged */
static void request_put_arg_round_trip(void)
{
    static const struct {
	const char *key, *val;
	size_t len;
	const char *want;
    } cases[] = {
	{NULL, "example.com", 11, " example.com"},
	{NULL, "mx one", 6, " b64:bXggb25l"},
	{NULL, "", 0, " b64:"},
	{NULL, "b64:x", 5, " b64:YjY0Ong="},
	{NULL, "a=b64:x", 7, " b64:YT1iNjQ6eA=="},
	{NULL, "a=b", 3, " a=b"},
	{"why", "bad\ncert", 8, " why=b64:YmFkCmNlcnQ="},
	{"why", "", 0, " why="},
	{"host", "mx.example", 10, " host=mx.example"},
	{"host", "b64:", 4, " host=b64:YjY0Og=="},
    };
    proto_req r;
    mt_err e;
    buf line;
    size_t i;

    buf_init(&line);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	buf_reset(&line);
	T_EQ_INT(proto_put_status(&line, "verb"), 0);
	T_EQ_INT(proto_put_arg(&line, cases[i].key, cases[i].val, cases[i].len), 0);
	T_EQ_STR(buf_str(&line) + 4, cases[i].want);
	buf_putc(&line, '\n');
	T_EQ_INT(proto_req_parse(line.data, line.len, &r, &e), 0);
	T_EQ_INT(r.argc, 1);
	if (cases[i].key) {
	    size_t k = strlen(cases[i].key);

	    T_ASSERT(strncmp(r.argv[0], cases[i].key, k) == 0 && r.argv[0][k] == '=');
	    T_EQ_INT(r.argl[0], k + 1 + cases[i].len);
	    T_ASSERT(memcmp(r.argv[0] + k + 1, cases[i].val, cases[i].len) == 0);
	} else {
	    T_EQ_INT(r.argl[0], cases[i].len);
	    T_ASSERT(memcmp(r.argv[0], cases[i].val, cases[i].len) == 0);
	}
    }
    buf_free(&line);
}

int main(void)
{
    T_RUN(request_verb_and_words);
    T_RUN(request_b64_argument);
    T_RUN(request_key_b64_argument);
    T_RUN(request_b64_cannot_inject);
    T_RUN(base64_strict);
    T_RUN(request_refused);
    T_RUN(request_put_arg_round_trip);
    T_RUN(answer_build_and_read);
    T_RUN(answer_value_round_trip);
    return t_done();
}
