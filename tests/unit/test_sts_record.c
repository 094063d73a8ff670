/*
 * NAME
 *	test_sts_record - the _mta-sts TXT record and the TXT set rules
 * DESCRIPTION
 *	One test per rule of RFC 8461 §3.1 (see ../shared/rfc-checklist.md),
 *	plus the RDATA concatenation of txt_set.
 */
#include <stdlib.h>

#include "t.h"
#include "txt_set.h"
#include "sts_record.h"

#define S(lit) lit, sizeof(lit) - 1

/* parses - the record is valid and its id is want */
static int parses(const char *txt, size_t len, const char *want)
{
    sts_record r;
    mt_err e;

    mt_err_clear(&e);
    if (sts_record_parse(txt, len, &r, &e) < 0)
	return 0;
    return strcmp(r.id, want) == 0;
}

/* fails - the record is invalid */
static int fails(const char *txt, size_t len)
{
    sts_record r;
    mt_err e;

    mt_err_clear(&e);
    return sts_record_parse(txt, len, &r, &e) < 0 && e.rule != NULL && e.msg[0] != 0;
}

/* RFC 8461 §3.1: the example record */
static void record_minimal_is_valid(void)
{
    T_ASSERT(parses(S("v=STSv1; id=20160831085700Z;"), "20160831085700Z"));
    T_ASSERT(parses(S("v=STSv1;id=abc"), "abc"));
}

/* RFC 8461 §3.1: sts-version = %s"v=STSv1" comes first */
static void record_must_begin_with_version(void)
{
    T_ASSERT(fails(S("id=abc; v=STSv1;")));
    T_ASSERT(fails(S(" v=STSv1; id=abc")));
    T_ASSERT(fails(S("")));
}

/* RFC 8461 §3.1: field names and "STSv1" are case-sensitive (RFC 7405 %s) */
static void record_version_is_case_sensitive(void)
{
    T_ASSERT(fails(S("v=stsv1; id=abc")));
    T_ASSERT(fails(S("V=STSv1; id=abc")));
    T_ASSERT(fails(S("v=STSv1; ID=abc")));	/* ID is an extension: no id left */
}

/* RFC 8461 §3.1: v=STSv10 is another version, not STSv1 */
static void record_version_prefix_is_not_version(void)
{
    T_ASSERT(fails(S("v=STSv10; id=abc")));
    T_ASSERT(fails(S("v=STSv1x;id=abc")));
}

/* RFC 8461 §3.1: id is required */
static void record_without_id_is_invalid(void)
{
    T_ASSERT(fails(S("v=STSv1;")));
    T_ASSERT(fails(S("v=STSv1; foo=bar")));
    T_ASSERT(fails(S("v=STSv1")));
}

/* RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT) */
static void record_id_is_1_to_32_alnum(void)
{
    T_ASSERT(parses(S("v=STSv1; id=a"), "a"));
    T_ASSERT(parses(S("v=STSv1; id=0123456789abcdefABCDEF0123456789"), "0123456789abcdefABCDEF0123456789"));
    T_ASSERT(fails(S("v=STSv1; id=0123456789abcdefABCDEF01234567890")));	/* 33 */
    T_ASSERT(fails(S("v=STSv1; id=")));
    T_ASSERT(fails(S("v=STSv1; id=abc-def")));
    T_ASSERT(fails(S("v=STSv1; id=abc_def")));
    T_ASSERT(fails(S("v=STSv1; id=abc.def")));
    T_ASSERT(fails(S("v=STSv1; id=abc\xc3\xa9")));
}

/* RFC 8461 §3.1: field-delim = *WSP ";" *WSP, space before ';' accepted (erratum 6285) */
static void record_whitespace_around_semicolon(void)
{
    T_ASSERT(parses(S("v=STSv1 ; id=abc"), "abc"));
    T_ASSERT(parses(S("v=STSv1\t;\tid=abc\t;\t"), "abc"));
    T_ASSERT(parses(S("v=STSv1;    id=abc   ;   ext=1  "), "abc") == 0);	/* WSP at end needs ';' */
    T_ASSERT(parses(S("v=STSv1;    id=abc   ;   ext=1  ;  "), "abc"));
}

/* RFC 8461 §3.1: the final field-delim is optional */
static void record_trailing_semicolon_optional(void)
{
    T_ASSERT(parses(S("v=STSv1; id=abc;"), "abc"));
    T_ASSERT(parses(S("v=STSv1; id=abc"), "abc"));
    T_ASSERT(fails(S("v=STSv1; id=abc;;")));
    T_ASSERT(fails(S("v=STSv1; id=abc ")));	/* WSP with no ';': not in the ABNF */
}

/* RFC 8461 §3.1: extensions name=value are allowed and ignored */
static void record_extensions_ignored(void)
{
    T_ASSERT(parses(S("v=STSv1; id=abc; foo=bar; x.y_z-1=!\"#$%&'()*+,-./0123456789:<>?@[\\]^_`{|}~"), "abc"));
    T_ASSERT(parses(S("v=STSv1; ext=1; id=abc"), "abc"));	/* order is not significant */
}

/* RFC 8461 §3.1: sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static void record_extension_name_syntax(void)
{
    T_ASSERT(parses(S("v=STSv1; id=abc; 9abcdefghijabcdefghijabcdefghij1=x"), "abc"));	/* 32 */
    T_ASSERT(fails(S("v=STSv1; id=abc; 9abcdefghijabcdefghijabcdefghij12=x")));	/* 33 */
    T_ASSERT(fails(S("v=STSv1; id=abc; _foo=x")));
    T_ASSERT(fails(S("v=STSv1; id=abc; -foo=x")));
    T_ASSERT(fails(S("v=STSv1; id=abc; =x")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo bar=x")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo")));
}

/* RFC 8461 §3.1: sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
static void record_extension_value_syntax(void)
{
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=a=b")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=a b")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=\x7f")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=\xc3\xa9")));
    T_ASSERT(fails(S("v=STSv1; id=abc; foo=a\0b")));
}

/* RFC 8461 §3.1: a repeated field counts at its first occurrence */
static void record_repeated_id_first_counts(void)
{
    T_ASSERT(parses(S("v=STSv1; id=first; id=second"), "first"));
    T_ASSERT(parses(S("v=STSv1; id=first; id=not-an-id!"), "first"));
    T_ASSERT(fails(S("v=STSv1; id=bad-one; id=good")));
}

/* the error names the column and the rule */
static void record_error_names_column_and_rule(void)
{
    sts_record r;
    mt_err e;

    T_ASSERT(sts_record_parse(S("v=STSv1; id=ab!c"), &r, &e) < 0);
    T_EQ_INT(e.col, 15);
    T_EQ_STR(e.rule, "RFC 8461 §3.1");
}

/* RFC 8461 §3.1: candidate = "v=STSv1" *WSP ";" */
static void candidate_rule(void)
{
    T_ASSERT(sts_record_is_candidate(S("v=STSv1;")));
    T_ASSERT(sts_record_is_candidate(S("v=STSv1 ;id=x")));
    T_ASSERT(sts_record_is_candidate(S("v=STSv1\t \t;")));
    T_ASSERT(!sts_record_is_candidate(S("v=STSv10;id=x")));
    T_ASSERT(!sts_record_is_candidate(S("v=STSv1")));
    T_ASSERT(!sts_record_is_candidate(S("v=STSv1 id=x")));
    T_ASSERT(!sts_record_is_candidate(S("v=spf1 -all")));
    T_ASSERT(!sts_record_is_candidate(S(" v=STSv1;")));
}

/* select - run the set rule over a list of records */
static sts_set_result select_of(const char **recs, int n, sts_record *r)
{
    txt_set set;
    mt_err e;
    sts_set_result res;
    int i;

    txt_set_init(&set);
    for (i = 0; i < n; i++)
	txt_set_add(&set, recs[i], strlen(recs[i]));
    res = sts_record_select(&set, r, &e);
    txt_set_free(&set);
    return res;
}

/* RFC 8461 §3.1: exactly one record, unrelated TXT records ignored */
static void set_exactly_one_record(void)
{
    const char *recs[] = { "v=spf1 -all", "v=STSv1; id=one", "google-site-verification=xyz" };
    sts_record r;

    T_EQ_INT(select_of(recs, 3, &r), STS_SET_ONE);
    T_EQ_STR(r.id, "one");
}

/* RFC 8461 §3.1: no record → no MTA-STS */
static void set_no_record(void)
{
    const char *recs[] = { "v=spf1 -all" };
    sts_record r;

    T_EQ_INT(select_of(recs, 1, &r), STS_SET_NONE);
    T_EQ_INT(select_of(recs, 0, &r), STS_SET_NONE);
}

/* RFC 8461 §3.1: more than one record → no usable record */
static void set_two_records_is_none(void)
{
    const char *recs[] = { "v=STSv1; id=one", "v=STSv1; id=two" };
    sts_record r;

    T_EQ_INT(select_of(recs, 2, &r), STS_SET_MANY);
}

/* RFC 8461 §3.1: v=STSv10 does not count and cannot disable a valid sibling */
static void set_stsv10_does_not_disable_sibling(void)
{
    const char *recs[] = { "v=STSv10; id=evil", "v=STSv1; id=good" };
    sts_record r;

    T_EQ_INT(select_of(recs, 2, &r), STS_SET_ONE);
    T_EQ_STR(r.id, "good");
}

/* RFC 8461 §3.1: the one record must also be valid */
static void set_one_invalid_record(void)
{
    const char *recs[] = { "v=STSv1; id=toolong0123456789012345678901234567" };
    sts_record r;

    T_EQ_INT(select_of(recs, 1, &r), STS_SET_INVALID);
}

/* RFC 8461 §3.1: an invalid candidate still counts, making two */
static void set_invalid_candidate_counts(void)
{
    const char *recs[] = { "v=STSv1; id=", "v=STSv1; id=good" };
    sts_record r;

    T_EQ_INT(select_of(recs, 2, &r), STS_SET_MANY);
}

/* RFC 8461 §3.1: several strings are concatenated with nothing between them */
static void multi_string_record_concatenated(void)
{
    static const unsigned char rdata[] = "\x08v=STSv1;\x04 id=\x05" "abcde";
    txt_set set;
    sts_record r;
    mt_err e;

    txt_set_init(&set);
    T_EQ_INT(txt_set_add_rdata(&set, rdata, sizeof(rdata) - 1, &e), 0);
    T_EQ_INT(set.n, 1);
    T_EQ_INT(set.rec[0].len, 17);
    T_EQ_STR(set.rec[0].txt, "v=STSv1; id=abcde");
    T_EQ_INT(sts_record_select(&set, &r, &e), STS_SET_ONE);
    T_EQ_STR(r.id, "abcde");
    txt_set_free(&set);
}

/* RFC 1035 §3.3.14: a string length running past the RDATA is an error */
static void rdata_length_past_end_rejected(void)
{
    static const unsigned char rdata[] = "\x08v=STSv1;\x09 id=x";
    txt_set set;
    mt_err e;

    txt_set_init(&set);
    T_EQ_INT(txt_set_add_rdata(&set, rdata, sizeof(rdata) - 1, &e), -1);
    T_EQ_INT(set.n, 0);
    T_EQ_INT(e.col, 10);
    T_EQ_INT(txt_set_add_rdata(&set, (const unsigned char *) "", 0, &e), 0);
    T_EQ_INT(set.n, 1);
    T_EQ_INT(set.rec[0].len, 0);
    T_EQ_INT(txt_set_add_rdata(&set, (const unsigned char *) "\0\0", 2, &e), 0);
    T_EQ_INT(set.rec[1].len, 0);
    txt_set_free(&set);
}

/* our limit: at most TXT_SET_MAX records */
static void txt_set_limit(void)
{
    txt_set set;
    mt_err e;
    int i;

    txt_set_init(&set);
    for (i = 0; i < TXT_SET_MAX; i++)
	T_EQ_INT(txt_set_add(&set, "x", 1), 0);
    T_EQ_INT(txt_set_add(&set, "x", 1), -1);
    T_EQ_INT(txt_set_add_rdata(&set, (const unsigned char *) "\1x", 2, &e), -1);
    txt_set_free(&set);
    T_EQ_INT(set.n, 0);
}

/* records may hold NUL bytes; the length is what counts */
static void record_with_nul_is_invalid(void)
{
    T_ASSERT(fails(S("v=STSv1; id=abc\0")));
    T_ASSERT(sts_record_is_candidate(S("v=STSv1;\0")));
}

int main(void)
{
    T_RUN(record_minimal_is_valid);
    T_RUN(record_must_begin_with_version);
    T_RUN(record_version_is_case_sensitive);
    T_RUN(record_version_prefix_is_not_version);
    T_RUN(record_without_id_is_invalid);
    T_RUN(record_id_is_1_to_32_alnum);
    T_RUN(record_whitespace_around_semicolon);
    T_RUN(record_trailing_semicolon_optional);
    T_RUN(record_extensions_ignored);
    T_RUN(record_extension_name_syntax);
    T_RUN(record_extension_value_syntax);
    T_RUN(record_repeated_id_first_counts);
    T_RUN(record_error_names_column_and_rule);
    T_RUN(candidate_rule);
    T_RUN(set_exactly_one_record);
    T_RUN(set_no_record);
    T_RUN(set_two_records_is_none);
    T_RUN(set_stsv10_does_not_disable_sibling);
    T_RUN(set_one_invalid_record);
    T_RUN(set_invalid_candidate_counts);
    T_RUN(multi_string_record_concatenated);
    T_RUN(rdata_length_past_end_rejected);
    T_RUN(txt_set_limit);
    T_RUN(record_with_nul_is_invalid);
    return t_done();
}
