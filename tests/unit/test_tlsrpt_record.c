/*
 * NAME
 *	test_tlsrpt_record - the _smtp._tls TXT record (RFC 8460 §3)
 */
#include <stdlib.h>

#include "t.h"
#include "txt_set.h"
#include "tlsrpt_record.h"

#define S(lit) lit, sizeof(lit) - 1

/* n_rua - the number of kept URIs, -1 when the record is invalid */
static int n_rua(const char *txt, size_t len)
{
    tlsrpt_record r;
    mt_err e;
    int n;

    mt_err_clear(&e);
    if (tlsrpt_record_parse(txt, len, &r, &e) < 0)
	return r.n_rua == 0 && e.msg[0] ? -1 : -2;
    n = (int) r.n_rua;
    tlsrpt_record_free(&r);
    return n;
}

/* RFC 8460 §3: the examples */
static void tlsrpt_examples_valid(void)
{
    tlsrpt_record r;
    mt_err e;

    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1;rua=mailto:reports@example.com"), &r, &e), 0);
    T_EQ_INT(r.n_rua, 1);
    T_EQ_STR(r.rua[0], "mailto:reports@example.com");
    tlsrpt_record_free(&r);
    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"), &r, &e), 0);
    T_EQ_STR(r.rua[0], "https://reporting.example.com/v1/tlsrpt");
    tlsrpt_record_free(&r);
}

/* RFC 8460 §3: tlsrpt-version = %s"v=TLSRPTv1" first, case-sensitive */
static void tlsrpt_version_first_case_sensitive(void)
{
    T_EQ_INT(n_rua(S("rua=mailto:a@example.com; v=TLSRPTv1")), -1);
    T_EQ_INT(n_rua(S("v=tlsrptv1; rua=mailto:a@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv10; rua=mailto:a@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1 rua=mailto:a@example.com")), -1);
}

/* RFC 8460 §3: rua is required */
static void tlsrpt_rua_required(void)
{
    T_EQ_INT(n_rua(S("v=TLSRPTv1;")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; foo=bar")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; RUA=mailto:a@example.com")), -1);
}

/* RFC 8460 §3: rua is a comma-separated list, *WSP "," *WSP */
static void tlsrpt_rua_list(void)
{
    tlsrpt_record r;
    mt_err e;

    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1; rua=mailto:a@example.com, https://r.example.net/x ,mailto:b@example.org"),
			     &r, &e), 0);
    T_EQ_INT(r.n_rua, 3);
    T_EQ_STR(r.rua[1], "https://r.example.net/x");
    T_EQ_STR(r.rua[2], "mailto:b@example.org");
    tlsrpt_record_free(&r);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com,")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=,mailto:a@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com")), -1);
}

/* RFC 8460 §3: mailto: and https: are the schemes; others are ignored */
static void tlsrpt_rua_schemes(void)
{
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=ftp://x.example/r,mailto:a@example.com")), 1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=MAILTO:a@example.com,HTTPS://r.example")), 2);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=http://r.example/")), -1);	/* no usable URI */
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:nobody")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=https:r.example")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=https:///path")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com?subject=tls%20report")), 1);
}

/* RFC 6068 mailto: one addr-spec; the parser refuses what the sender could
 * not use (the same check), naming the URI, rather than 24 h of retries */
static void tlsrpt_mailto_the_sender_cannot_use_is_refused(void)
{
    tlsrpt_record r;
    mt_err e;

    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1; rua=mailto:a@b@c"), &r, &e), -1);
    T_ASSERT(strstr(e.msg, "\"mailto:a@b@c\"") != NULL);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a%2Cb@example.com")), -1);	/* two for -t */
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:-oQ@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a%0d%0aBcc:x@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com%40x")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com?cc=b@example.org")), 1);
}

/* RFC 8460 §3: tlsrpt-uri = URI with ',', '!' and ';' encoded */
static void tlsrpt_uri_syntax(void)
{
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a%2Bb@example.com")), 1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a!b@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a%2@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a\"b@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a\xc3\xa9@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=1mailto:a@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=reports@example.com")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:")), -1);
}

/* RFC 8460 §3: field-delim = *WSP ";" *WSP, final delimiter optional */
static void tlsrpt_field_delimiters(void)
{
    T_EQ_INT(n_rua(S("v=TLSRPTv1 ;\trua=mailto:a@example.com ; ")), 1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1;rua=mailto:a@example.com;;")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1;rua=mailto:a@example.com ")), -1);
}

/* RFC 8460 §3: unknown fields are ignored but must be well formed */
static void tlsrpt_extensions(void)
{
    T_EQ_INT(n_rua(S("v=TLSRPTv1; ext=val; rua=mailto:a@example.com; x.y=z")), 1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com; bad=a=b")), -1);
    T_EQ_INT(n_rua(S("v=TLSRPTv1; rua=mailto:a@example.com; _x=1")), -1);
}

/* our reading (as RFC 8461): a repeated rua counts at its first occurrence */
static void tlsrpt_repeated_rua_first_counts(void)
{
    tlsrpt_record r;
    mt_err e;

    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"), &r, &e), 0);
    T_EQ_INT(r.n_rua, 1);
    T_EQ_STR(r.rua[0], "mailto:a@example.com");
    tlsrpt_record_free(&r);
}

/* our limit: more than TLSRPT_MAX_RUA URIs is an error, without a leak */
static void tlsrpt_rua_limit(void)
{
    char txt[2048];
    size_t n;
    int i;

    n = (size_t) snprintf(txt, sizeof(txt), "v=TLSRPTv1; rua=mailto:a0@example.com");
    for (i = 1; i < TLSRPT_MAX_RUA; i++)
	n += (size_t) snprintf(txt + n, sizeof(txt) - n, ",mailto:a%d@example.com", i);
    T_EQ_INT(n_rua(txt, n), TLSRPT_MAX_RUA);
    n += (size_t) snprintf(txt + n, sizeof(txt) - n, ",mailto:one-too-many@example.com");
    T_EQ_INT(n_rua(txt, n), -1);
}

/* RFC 8460 §3: candidate "v=TLSRPTv1" *WSP ";" and exactly one record */
static void tlsrpt_set_rule(void)
{
    txt_set set;
    tlsrpt_record r;
    mt_err e;

    T_ASSERT(tlsrpt_record_is_candidate(S("v=TLSRPTv1;")));
    T_ASSERT(tlsrpt_record_is_candidate(S("v=TLSRPTv1 ;")));
    T_ASSERT(!tlsrpt_record_is_candidate(S("v=TLSRPTv10;")));
    txt_set_init(&set);
    T_EQ_INT(tlsrpt_record_select(&set, &r, &e), TLSRPT_SET_NONE);
    txt_set_add(&set, S("v=TLSRPTv10; rua=mailto:evil@example.com"));
    txt_set_add(&set, S("v=spf1 -all"));
    T_EQ_INT(tlsrpt_record_select(&set, &r, &e), TLSRPT_SET_NONE);
    txt_set_add(&set, S("v=TLSRPTv1; rua=mailto:a@example.com"));
    T_EQ_INT(tlsrpt_record_select(&set, &r, &e), TLSRPT_SET_ONE);
    T_EQ_STR(r.rua[0], "mailto:a@example.com");
    tlsrpt_record_free(&r);
    txt_set_add(&set, S("v=TLSRPTv1; rua=mailto:b@example.com"));
    T_EQ_INT(tlsrpt_record_select(&set, &r, &e), TLSRPT_SET_MANY);
    txt_set_free(&set);
    txt_set_add(&set, S("v=TLSRPTv1; rua=gopher://x"));
    T_EQ_INT(tlsrpt_record_select(&set, &r, &e), TLSRPT_SET_INVALID);
    txt_set_free(&set);
}

/* the error names the column and the rule */
static void tlsrpt_error_names_column_and_rule(void)
{
    tlsrpt_record r;
    mt_err e;

    T_EQ_INT(tlsrpt_record_parse(S("v=TLSRPTv1; rua=mailto:a;b@example.com"), &r, &e), -1);
    T_EQ_STR(e.rule, "RFC 8460 §3");
    T_ASSERT(e.col > 0);
}

int main(void)
{
    T_RUN(tlsrpt_examples_valid);
    T_RUN(tlsrpt_version_first_case_sensitive);
    T_RUN(tlsrpt_rua_required);
    T_RUN(tlsrpt_rua_list);
    T_RUN(tlsrpt_rua_schemes);
    T_RUN(tlsrpt_mailto_the_sender_cannot_use_is_refused);
    T_RUN(tlsrpt_uri_syntax);
    T_RUN(tlsrpt_field_delimiters);
    T_RUN(tlsrpt_extensions);
    T_RUN(tlsrpt_repeated_rua_first_counts);
    T_RUN(tlsrpt_rua_limit);
    T_RUN(tlsrpt_set_rule);
    T_RUN(tlsrpt_error_names_column_and_rule);
    return t_done();
}
