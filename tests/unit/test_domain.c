/*
 * NAME
 *	test_domain - domain name normalisation
 */
#include "t.h"
#include "domain.h"

/* norm - normalise s; the result, or "ERR" */
static const char *norm(const char *s)
{
    static char out[DOMAIN_BUF];
    mt_err e;

    mt_err_clear(&e);
    if (domain_normalise(s, strlen(s), out, sizeof(out), &e) < 0)
	return e.msg[0] ? "ERR" : "ERR-without-message";
    return out;
}

/* lower case, one trailing dot removed */
static void domain_lowercase_and_trailing_dot(void)
{
    T_EQ_STR(norm("Example.COM"), "example.com");
    T_EQ_STR(norm("mail.example.com."), "mail.example.com");
    T_EQ_STR(norm("mail.example.com.."), "ERR");
    T_EQ_STR(norm("."), "ERR");
    T_EQ_STR(norm(""), "ERR");
}

/* RFC 5890: U-labels become A-labels (libidn2, UTS #46 non-transitional) */
static void domain_ulabels_to_alabels(void)
{
    T_EQ_STR(norm("B\xc3\xbc" "cher.Example"), "xn--bcher-kva.example");
    T_EQ_STR(norm("stra\xc3\x9f" "e.de"), "xn--strae-oqa.de");
    T_EQ_STR(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
    T_EQ_STR(norm("XN--BCHER-KVA.example"), "xn--bcher-kva.example");
    T_EQ_STR(norm("b\xc3\xbc" "cher.example."), "xn--bcher-kva.example");
}

/* RFC 5890 §2.3.2.1: an "xn--" label must be a valid A-label */
static void domain_bad_alabel_rejected(void)
{
    T_EQ_STR(norm("xn--bcher-kva-.example"), "ERR");
    T_EQ_STR(norm("xn--abc.example"), "ERR");
    T_EQ_STR(norm("xn--.example"), "ERR");
}

/* invalid UTF-8 and disallowed code points are rejected */
static void domain_bad_unicode_rejected(void)
{
    T_EQ_STR(norm("b\xc3" ".example"), "ERR");
    T_EQ_STR(norm("\xe2\x98\x83\xe2\x80\x8d.example"), "ERR");
}

/* RFC 5321 §4.1.2: LDH labels of 1..63, no '-' at either end */
static void domain_label_rules(void)
{
    T_EQ_STR(norm("a-b.example"), "a-b.example");
    T_EQ_STR(norm("-ab.example"), "ERR");
    T_EQ_STR(norm("ab-.example"), "ERR");
    T_EQ_STR(norm("a..example"), "ERR");
    T_EQ_STR(norm(".example.com"), "ERR");
    T_EQ_STR(norm("a_b.example"), "ERR");
    T_EQ_STR(norm("a b.example"), "ERR");
    T_EQ_STR(norm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"),
	     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example");
    T_EQ_STR(norm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"), "ERR");
}

/* RFC 1035 §2.3.4: at most 253 octets (without the root dot) */
static void domain_length_limit(void)
{
    char name[300];
    int i;

    for (i = 0; i < 63 * 4; i += 2) {
	name[i] = 'a';
	name[i + 1] = '.';
    }
    memcpy(name + 250, "com", 4);	/* 253 octets */
    T_EQ_INT(strlen(norm(name)), 253);
    memcpy(name + 250, "comx", 5);	/* 254 */
    T_EQ_STR(norm(name), "ERR");
}

/* MTA-STS has no policy for address literals or single-label names */
static void domain_literals_and_single_labels_rejected(void)
{
    T_EQ_STR(norm("[192.0.2.1]"), "ERR");
    T_EQ_STR(norm("[IPv6:2001:db8::1]"), "ERR");
    T_EQ_STR(norm("192.0.2.1"), "ERR");
    T_EQ_STR(norm("localhost"), "ERR");
    T_EQ_STR(norm("com."), "ERR");
    T_EQ_STR(norm("1.example"), "1.example");
    T_EQ_STR(norm("example.123x"), "example.123x");
}

/* NUL bytes never pass */
static void domain_nul_rejected(void)
{
    char out[DOMAIN_BUF];
    mt_err e;

    T_EQ_INT(domain_normalise("a.example\0.evil", 15, out, sizeof(out), &e), -1);
    T_EQ_INT(e.col, 10);
}

/* a small output buffer is an error, not an overflow */
static void domain_small_output(void)
{
    char out[5];
    mt_err e;

    T_EQ_INT(domain_normalise("example.com", 11, out, sizeof(out), &e), -1);
    T_EQ_STR(out, "");
}

/* domain_is_valid_ldh: the syntax of a normalised name */
static void domain_is_valid_ldh_checks(void)
{
    T_ASSERT(domain_is_valid_ldh("mail.example.com"));
    T_ASSERT(domain_is_valid_ldh("xn--bcher-kva.example"));
    T_ASSERT(!domain_is_valid_ldh("Mail.example.com"));
    T_ASSERT(!domain_is_valid_ldh("mail.example.com."));
    T_ASSERT(!domain_is_valid_ldh("localhost"));
    T_ASSERT(!domain_is_valid_ldh(""));
    T_ASSERT(!domain_is_valid_ldh(NULL));
    T_ASSERT(!domain_is_valid_ldh("a..b"));
    T_ASSERT(!domain_is_valid_ldh("-a.b"));
    T_ASSERT(!domain_is_valid_ldh("192.0.2.1"));
}

int main(void)
{
    T_RUN(domain_lowercase_and_trailing_dot);
    T_RUN(domain_ulabels_to_alabels);
    T_RUN(domain_bad_alabel_rejected);
    T_RUN(domain_bad_unicode_rejected);
    T_RUN(domain_label_rules);
    T_RUN(domain_length_limit);
    T_RUN(domain_literals_and_single_labels_rejected);
    T_RUN(domain_nul_rejected);
    T_RUN(domain_small_output);
    T_RUN(domain_is_valid_ldh_checks);
    return t_done();
}
