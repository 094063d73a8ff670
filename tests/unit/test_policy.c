/*
 * NAME
 *	test_policy - the policy body (RFC 8461 §3.2) and MX matching (§4.1)
 * DESCRIPTION
 *	One test per rule of ../shared/rfc-checklist.md for the policy
 *	file, plus our documented readings where the RFC is silent.
 */
#include <stdlib.h>

#include "t.h"
#include "policy.h"

#define S(lit) lit, sizeof(lit) - 1
#define GOOD "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"

static int n_warnings;

/* count_warning - a policy_warn_fn that counts */
static void count_warning(void *ctx, const mt_err *w)
{
    (void) ctx;
    if (w->line > 0 && w->msg[0])
	n_warnings++;
}

/* parse - parse with warnings counted; 0 or -1 */
static int parse(const char *body, size_t len, policy *p, mt_err *e)
{
    n_warnings = 0;
    mt_err_clear(e);
    return policy_parse_warn(body, len, p, e, count_warning, NULL);
}

/* valid - the body parses (and is freed again) */
static int valid(const char *body, size_t len)
{
    policy p;
    mt_err e;
    int rc = parse(body, len, &p, &e);

    policy_free(&p);
    return rc == 0;
}

/* invalid_at - the body fails at line (0: any), naming a rule */
static int invalid_at(const char *body, size_t len, unsigned line)
{
    policy p;
    mt_err e;

    if (parse(body, len, &p, &e) == 0) {
	policy_free(&p);
	return 0;
    }
    return p.mx == NULL && p.n_mx == 0 && e.rule != NULL && (line == 0 || e.line == line);
}

/* RFC 8461 §3.2: the example policy */
static void policy_example_is_valid(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
		     "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n"), &p, &e), 0);
    T_EQ_INT(p.mode, POLICY_MODE_ENFORCE);
    T_EQ_INT(p.max_age, 604800);
    T_EQ_INT(p.n_mx, 3);
    T_EQ_STR(p.mx[0], "mail.example.com");
    T_EQ_STR(p.mx[1], "*.example.net");
    T_EQ_STR(p.mx[2], "backupmx.example.com");
    T_EQ_INT(n_warnings, 0);
    policy_free(&p);
    T_EQ_INT(p.n_mx, 0);
}

/* RFC 8461 §3.2: sts-policy-term = CRLF / LF */
static void policy_crlf_and_lf(void)
{
    T_ASSERT(valid(S("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n")));
    T_ASSERT(valid(S("version: STSv1\r\nmode: enforce\nmx: mail.example.com\r\nmax_age: 86400")));
}

/* RFC 8461 §3.2: the last line may lack its line end */
static void policy_last_line_without_newline(void)
{
    T_ASSERT(valid(S("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400")));
}

/* RFC 8461 §3.2: field-delim = ":" *WSP */
static void policy_whitespace_after_colon(void)
{
    T_ASSERT(valid(S("version:STSv1\nmode:\t enforce\nmx:   mail.example.com\nmax_age:86400\n")));
}

/* RFC 8461 §3.2: no whitespace before ':' (the field name ends at ':') */
static void policy_space_before_colon_is_no_field(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode : enforce\nmx: mail.example.com\nmax_age: 86400\n"), 0));
}

/* RFC 8461 §3.2: trailing whitespace (*WSP before the term) is ignored */
static void policy_trailing_whitespace(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1  \nmode: testing\t\r\nmx: mail.example.com \t \nmax_age: 86400 \n"), &p, &e), 0);
    T_EQ_INT(p.mode, POLICY_MODE_TESTING);
    T_EQ_STR(p.mx[0], "mail.example.com");
    policy_free(&p);
}

/* RFC 8461 §3.2: fields in any order */
static void policy_fields_any_order(void)
{
    T_ASSERT(valid(S("max_age: 86400\nmx: mail.example.com\nmode: enforce\nversion: STSv1\n")));
}

/* RFC 8461 §3.2: version is required and is STSv1 */
static void policy_version_required(void)
{
    T_ASSERT(invalid_at(S("mode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 0));
    T_ASSERT(invalid_at(S("version: STSv2\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 1));
    T_ASSERT(invalid_at(S("version: stsv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 1));
    T_ASSERT(invalid_at(S("version: STSv1 x\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 1));
}

/* RFC 8461 §3.2: mode is required: enforce, testing or none (case-sensitive) */
static void policy_mode_values(void)
{
    policy p;
    mt_err e;

    T_ASSERT(invalid_at(S("version: STSv1\nmx: mail.example.com\nmax_age: 86400\n"), 0));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: Enforce\nmx: mail.example.com\nmax_age: 86400\n"), 2));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: report\nmx: mail.example.com\nmax_age: 86400\n"), 2));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: \nmx: mail.example.com\nmax_age: 86400\n"), 2));
    T_EQ_INT(parse(S("version: STSv1\nmode: none\nmax_age: 86400\n"), &p, &e), 0);
    T_EQ_INT(p.mode, POLICY_MODE_NONE);
    policy_free(&p);
}

/* RFC 8461 §3.2: field names are case-sensitive ("Mode" is an unknown field) */
static void policy_field_names_case_sensitive(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nMode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 0));
    T_ASSERT(invalid_at(S("VERSION: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n"), 0));
}

/* RFC 8461 §3.2: max_age is required */
static void policy_max_age_required(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: mail.example.com\n"), 0));
}

/* RFC 8461 §3.2: sts-policy-max-age-value = 1*10(DIGIT) */
static void policy_max_age_digits(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0000086400\n"), &p, &e), 0);
    T_EQ_INT(p.max_age, 86400);
    policy_free(&p);
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 00000864000\n"), 4));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n"), 4));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: +5\n"), 4));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1e6\n"), 4));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86 400\n"), 4));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n"), 4));
}

/* RFC 8461 §3.2: max_age 0 is legal by the ABNF */
static void policy_max_age_zero_is_legal(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0\n"), &p, &e), 0);
    T_EQ_INT(p.max_age, 0);
    T_EQ_INT(n_warnings, 1);
    policy_free(&p);
}

/* RFC 8461 §3.2, erratum 7282: max_age above 31557600 is capped */
static void policy_max_age_capped(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n"), &p, &e), 0);
    T_EQ_INT(p.max_age, POLICY_MAX_AGE_CAP);
    policy_free(&p);
    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n"), &p, &e), 0);
    T_EQ_INT(p.max_age, 31557600);
    policy_free(&p);
    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n"), &p, &e), 0);
    T_EQ_INT(p.max_age, 31557600);
    policy_free(&p);
}

/* RFC 8461 §3.2: mx is required unless mode is none */
static void policy_mx_required_unless_none(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmax_age: 86400\n"), 0));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: testing\nmax_age: 86400\n"), 0));
    T_ASSERT(valid(S("version: STSv1\nmode: none\nmax_age: 86400\n")));
    T_ASSERT(valid(S("version: STSv1\nmode: none\nmx: a.example\nmax_age: 86400\n")));
}

/* our reading: a malformed mx makes even a mode none policy invalid (it must not replace an enforce one) */
static void policy_bad_mx_invalid_even_in_mode_none(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode: none\nmx: bad_host.example\nmax_age: 86400\n"), 3));
}

/* RFC 8461 §3.2: every mx line counts */
static void policy_multiple_mx_all_count(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmx: b.example\nmx: A.EXAMPLE\nmax_age: 1\n"), &p, &e), 0);
    T_EQ_INT(p.n_mx, 2);		/* the duplicate (any case) is kept once */
    T_ASSERT(policy_mx_matches(&p, "a.example"));
    T_ASSERT(policy_mx_matches(&p, "b.example"));
    policy_free(&p);
}

/* RFC 8461 §3.2: a repeated non-mx field counts at its first occurrence ("SHALL be ignored") */
static void policy_duplicate_field_first_counts(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 86400\n"
		     "max_age: 1\nversion: STSv2\n"), &p, &e), 0);
    T_EQ_INT(p.mode, POLICY_MODE_ENFORCE);
    T_EQ_INT(p.max_age, 86400);
    T_EQ_INT(n_warnings, 3);
    policy_free(&p);
}

/* RFC 8461 §3.2: a later duplicate is ignored even when malformed */
static void policy_malformed_duplicate_ignored(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmode: Enforce!\nmx: a.example\nmax_age: 86400\n"
		     "max_age: x\n"), &p, &e), 0);
    T_EQ_INT(p.mode, POLICY_MODE_ENFORCE);
    policy_free(&p);
}

/* RFC 8461 §3.2: the first occurrence decides, also when it is malformed */
static void policy_malformed_first_occurrence_invalid(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode: Enforce\nmode: enforce\nmx: a.example\nmax_age: 86400\n"), 2));
}

/* RFC 8461 §3.2: unknown fields are ignored, values may hold UTF-8 and inner spaces */
static void policy_unknown_fields_ignored(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\ncomment: caf\xc3\xa9 au lait \xe2\x98\x95 = ;!\n"
		     "mx: a.example\nx-future.ext_1: \xf0\x9f\x93\xa7 mail\nmax_age: 86400\n"), &p, &e), 0);
    T_EQ_INT(p.n_mx, 1);
    policy_free(&p);
}

/* our reading: a line that is no field at all is ignored, not fatal */
static void policy_line_without_colon_ignored(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nthis is not a field\nmode: enforce\nmx: a.example\nmax_age: 86400\n"),
		   &p, &e), 0);
    T_EQ_INT(n_warnings, 1);
    policy_free(&p);
    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n"
		     "bad name: x\nbad\x01: y\nctl: a\x01" "b\nutf: \xc3\x28\ntab: a\tb\n"), &p, &e), 0);
    T_EQ_INT(n_warnings, 5);
    policy_free(&p);
}

/* our reading: empty lines are ignored */
static void policy_empty_lines_ignored(void)
{
    T_ASSERT(valid(S("\n\r\nversion: STSv1\n\n  \nmode: enforce\nmx: a.example\n\nmax_age: 86400\n\n")));
}

/* RFC 8461 §3.2: an empty body lacks the required fields */
static void policy_empty_body_invalid(void)
{
    T_ASSERT(invalid_at("", 0, 0));
    T_ASSERT(invalid_at(S("\n\n\n"), 0));
}

/* NUL bytes are never part of a valid field */
static void policy_nul_bytes(void)
{
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\0\nmx: a.example\nmax_age: 86400\n"), 2));
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: a.example\0evil.example\nmax_age: 86400\n"), 3));
    T_ASSERT(valid(S("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\nx: \0\n")));
}

/* our reading: a UTF-8 byte order mark at the start is skipped */
static void policy_byte_order_mark_skipped(void)
{
    T_ASSERT(valid(S("\xef\xbb\xbfversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n")));
}

/* RFC 8461 §3.3: a body over 64 KiB is refused */
static void policy_body_limit(void)
{
    size_t n = POLICY_MAX_BODY + 1;
    char *big = malloc(n);

    T_ASSERT(big != NULL);
    memset(big, '\n', n);
    memcpy(big, GOOD, sizeof(GOOD) - 1);
    T_ASSERT(invalid_at(big, n, 0));
    T_ASSERT(valid(big, n - 1));
    free(big);
}

/* a very long line is just a long line: no crash, and a long mx is invalid */
static void policy_long_lines(void)
{
    char *big = malloc(POLICY_MAX_BODY);
    size_t n;

    T_ASSERT(big != NULL);
    n = (size_t) snprintf(big, POLICY_MAX_BODY, "%sx: ", GOOD);
    memset(big + n, 'a', POLICY_MAX_BODY - n);
    T_ASSERT(valid(big, POLICY_MAX_BODY));
    n = (size_t) snprintf(big, POLICY_MAX_BODY, "%smx: ", GOOD);
    memset(big + n, 'a', POLICY_MAX_BODY - n);
    T_ASSERT(invalid_at(big, POLICY_MAX_BODY, 5));
    free(big);
}

/* RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain */
static void mx_pattern_syntax(void)
{
    mt_err e;

    T_EQ_INT(policy_mx_pattern_valid(S("mail.example.com"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("*.example.com"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("localhost"), &e), 0);	/* Domain allows one label */
    T_EQ_INT(policy_mx_pattern_valid(S("MAIL.Example.COM"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("a-b.example.com"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("1mx.example.com"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S(""), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("-a.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("a-.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("a..example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S(".example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("a_b.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("a b.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("mail.example.com:25"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("[192.0.2.1]"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"), &e), -1);
}

/* RFC 8461 §3.2: '*' only as the whole left-most label */
static void mx_wildcard_only_whole_leftmost_label(void)
{
    mt_err e;

    T_EQ_INT(policy_mx_pattern_valid(S("*.example.com"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("*"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("*."), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("*.."), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("*example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("mx*.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("*.*.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("mail.*.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("**.example.com"), &e), -1);
    T_EQ_INT(policy_mx_pattern_valid(S("example.*"), &e), -1);
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: *.\nmax_age: 86400\n"), 3));
}

/* RFC 8461 §3.2: IDNs are written as A-labels */
static void mx_idn_must_be_a_labels(void)
{
    mt_err e;

    T_EQ_INT(policy_mx_pattern_valid(S("xn--bcher-kva.example"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("*.xn--bcher-kva.example"), &e), 0);
    T_EQ_INT(policy_mx_pattern_valid(S("b\xc3\xbc" "cher.example"), &e), -1);	/* U-label */
    T_EQ_INT(policy_mx_pattern_valid(S("xn--bcher-kva-.example"), &e), -1);	/* bad punycode */
    T_EQ_INT(policy_mx_pattern_valid(S("xn--abc.example"), &e), -1);	/* decodes to ASCII */
}

/* our reading: one trailing dot on an mx pattern is accepted and dropped */
static void mx_trailing_dot_dropped(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: mail.example.com.\nmax_age: 86400\n"), &p, &e), 0);
    T_EQ_STR(p.mx[0], "mail.example.com");
    T_EQ_INT(n_warnings, 1);
    policy_free(&p);
    T_ASSERT(invalid_at(S("version: STSv1\nmode: enforce\nmx: mail.example.com..\nmax_age: 86400\n"), 3));
}

/* RFC 8461 §4.1: patterns are stored lower-cased (matching is case-insensitive) */
static void mx_uppercase_pattern_lowered(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx: *.MAIL.Example.COM\nmax_age: 86400\n"), &p, &e), 0);
    T_EQ_STR(p.mx[0], "*.mail.example.com");
    policy_free(&p);
}

/* the error names the line, the column and the rule */
static void policy_error_names_line_and_rule(void)
{
    policy p;
    mt_err e;

    T_EQ_INT(parse(S("version: STSv1\nmode: enforce\nmx:  bad!.example\nmax_age: 86400\n"), &p, &e), -1);
    T_EQ_INT(e.line, 3);
    T_EQ_INT(e.col, 9);
    T_EQ_STR(e.rule, "RFC 8461 §3.2");
}

/* our limit: at most POLICY_MAX_MX patterns count; the rest fail closed */
static void policy_mx_limit(void)
{
    char body[POLICY_MAX_BODY];
    size_t n;
    policy p;
    mt_err e;
    int i;

    n = (size_t) snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\nmax_age: 86400\n");
    for (i = 0; i < POLICY_MAX_MX + 10; i++)
	n += (size_t) snprintf(body + n, sizeof(body) - n, "mx: mx%d.example\n", i);
    T_EQ_INT(parse(body, n, &p, &e), 0);
    T_EQ_INT(p.n_mx, POLICY_MAX_MX);
    T_ASSERT(policy_mx_matches(&p, "mx0.example"));
    T_ASSERT(!policy_mx_matches(&p, "mx260.example"));
    policy_free(&p);
}

/* RFC 8461 §4.1: exact match */
static void match_exact(void)
{
    T_ASSERT(policy_mx_pattern_matches("mail.example.com", "mail.example.com"));
    T_ASSERT(!policy_mx_pattern_matches("mail.example.com", "mail2.example.com"));
    T_ASSERT(!policy_mx_pattern_matches("mail.example.com", "example.com"));
    T_ASSERT(!policy_mx_pattern_matches("mail.example.com", "x.mail.example.com"));
    T_ASSERT(!policy_mx_pattern_matches("mail.example.com", ""));
}

/* RFC 8461 §4.1: a wildcard stands for exactly one left-most label */
static void match_wildcard_one_label(void)
{
    T_ASSERT(policy_mx_pattern_matches("*.example.com", "mx.example.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "example.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "a.b.example.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", ".example.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "mxexample.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "mx.example.com.evil"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "mx.badexample.com"));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "*.example.com"));
}

/* RFC 8461 §4.1: matching is case-insensitive */
static void match_case_insensitive(void)
{
    T_ASSERT(policy_mx_pattern_matches("mail.example.com", "MAIL.Example.COM"));
    T_ASSERT(policy_mx_pattern_matches("*.example.com", "MX.EXAMPLE.COM"));
}

/* our reading (RFC 6125 spirit): a trailing dot on the MX host is ignored */
static void match_trailing_dot_ignored(void)
{
    T_ASSERT(policy_mx_pattern_matches("mail.example.com", "mail.example.com."));
    T_ASSERT(policy_mx_pattern_matches("*.example.com", "mx.example.com."));
    T_ASSERT(!policy_mx_pattern_matches("mail.example.com", "mail.example.com.."));
    T_ASSERT(!policy_mx_pattern_matches("*.example.com", "."));
}

/* mode names both ways */
static void mode_names(void)
{
    policy_mode m;

    T_EQ_STR(policy_mode_name(POLICY_MODE_ENFORCE), "enforce");
    T_EQ_STR(policy_mode_name(POLICY_MODE_TESTING), "testing");
    T_EQ_STR(policy_mode_name(POLICY_MODE_NONE), "none");
    T_EQ_INT(policy_mode_from_name("testing", &m), 0);
    T_EQ_INT(m, POLICY_MODE_TESTING);
    T_EQ_INT(policy_mode_from_name("TESTING", &m), -1);
}

int main(void)
{
    T_RUN(policy_example_is_valid);
    T_RUN(policy_crlf_and_lf);
    T_RUN(policy_last_line_without_newline);
    T_RUN(policy_whitespace_after_colon);
    T_RUN(policy_space_before_colon_is_no_field);
    T_RUN(policy_trailing_whitespace);
    T_RUN(policy_fields_any_order);
    T_RUN(policy_version_required);
    T_RUN(policy_mode_values);
    T_RUN(policy_field_names_case_sensitive);
    T_RUN(policy_max_age_required);
    T_RUN(policy_max_age_digits);
    T_RUN(policy_max_age_zero_is_legal);
    T_RUN(policy_max_age_capped);
    T_RUN(policy_mx_required_unless_none);
    T_RUN(policy_bad_mx_invalid_even_in_mode_none);
    T_RUN(policy_multiple_mx_all_count);
    T_RUN(policy_duplicate_field_first_counts);
    T_RUN(policy_malformed_duplicate_ignored);
    T_RUN(policy_malformed_first_occurrence_invalid);
    T_RUN(policy_unknown_fields_ignored);
    T_RUN(policy_line_without_colon_ignored);
    T_RUN(policy_empty_lines_ignored);
    T_RUN(policy_empty_body_invalid);
    T_RUN(policy_nul_bytes);
    T_RUN(policy_byte_order_mark_skipped);
    T_RUN(policy_body_limit);
    T_RUN(policy_long_lines);
    T_RUN(mx_pattern_syntax);
    T_RUN(mx_wildcard_only_whole_leftmost_label);
    T_RUN(mx_idn_must_be_a_labels);
    T_RUN(mx_trailing_dot_dropped);
    T_RUN(mx_uppercase_pattern_lowered);
    T_RUN(policy_error_names_line_and_rule);
    T_RUN(policy_mx_limit);
    T_RUN(match_exact);
    T_RUN(match_wildcard_one_label);
    T_RUN(match_case_insensitive);
    T_RUN(match_trailing_dot_ignored);
    T_RUN(mode_names);
    return t_done();
}
