/* test_tlsrpt_mail - the RFC 8460 §5.3 message and its DKIM signature */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opendkim/dkim.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "t.h"

#include "tlsrpt_mail.h"
#include "tlsrpt_report.h"

#define DAY 19700

static char key_pem[8192];
static char dir[] = "/tmp/test_tlsrpt_mail.XXXXXX";
static char keyfile[128];	/* "selector._domainkey.domain p=..." lines */

/* make_key - an RSA key pair: PEM private key, and the DKIM TXT record file */
static int make_key(void)
{
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    BIO *b = BIO_new(BIO_s_mem());
    unsigned char *der = NULL, *b64;
    int dlen, n;
    char *p;
    FILE *fp;

    if (pk == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL))
	return -1;
    n = BIO_read(b, key_pem, sizeof(key_pem) - 1);
    if (n <= 0)
	return -1;
    key_pem[n] = 0;
    dlen = i2d_PUBKEY(pk, &der);
    b64 = malloc((size_t) (4 * ((dlen + 2) / 3) + 1));
    EVP_EncodeBlock(b64, der, dlen);
    if (mkdtemp(dir) == NULL)
	return -1;
    snprintf(keyfile, sizeof(keyfile), "%s/keys", dir);
    fp = fopen(keyfile, "w");
    if (fp == NULL)
	return -1;
    fprintf(fp, "sel._domainkey.sender.test v=DKIM1; k=rsa; p=%s\n", b64);
    fclose(fp);
    p = NULL;
    (void) p;
    free(b64);
    OPENSSL_free(der);
    BIO_free(b);
    EVP_PKEY_free(pk);
    return 0;
}

static tlsrpt_mail_opts opts(void)
{
    tlsrpt_mail_opts o = {
	.from = "tlsrpt@sender.test", .to = "reports@example.test", .domain = "example.test",
	.submitter = "mail.sender.test", .organization = "Sender Org",
	.report_id = "20231209abcdef0123456789@mail.sender.test", .day = DAY,
	.date = 1702170000, .dkim_key = key_pem, .dkim_selector = "sel",
	.dkim_domain = "sender.test",
    };
    return o;
}

static const char json[] = "{\"organization-name\":\"Sender Org\",\"date-range\":{\"start-datetime\":"
    "\"2023-12-09T00:00:00Z\",\"end-datetime\":\"2023-12-09T23:59:59Z\"},\"contact-info\":"
    "\"postmaster@sender.test\",\"report-id\":\"20231209abcdef0123456789@mail.sender.test\","
    "\"policies\":[{\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":"
    "\"example.test\"},\"summary\":{\"total-successful-session-count\":1,"
    "\"total-failure-session-count\":0}}]}";

/* build - a signed message in m */
static int build(buf *m, const tlsrpt_mail_opts *o)
{
    buf gz = {0};
    int rc;

    if (tlsrpt_gzip(json, strlen(json), &gz, NULL) < 0)
	return -1;
    rc = tlsrpt_mail_build(o, gz.data, gz.len, m, NULL);
    buf_free(&gz);
    return rc;
}

/* dkim_verify_msg - libopendkim's verdict on m, keys from keyfile */
static int dkim_verify_msg(const buf *m)
{
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    DKIM *dk;
    DKIM_STAT st;
    dkim_query_t q = DKIM_QUERY_FILE;
    DKIM_SIGINFO *sig;
    int ok;

    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &q, sizeof(q));
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, keyfile, strlen(keyfile));
    dk = dkim_verify(lib, (const unsigned char *) "t", NULL, &st);
    if (dk == NULL)
	return -1;
    st = dkim_chunk(dk, (unsigned char *) m->data, m->len);
    if (st == DKIM_STAT_OK)
	st = dkim_chunk(dk, NULL, 0);
    if (st == DKIM_STAT_OK)
	st = dkim_eom(dk, NULL);
    sig = dkim_getsignature(dk);
    ok = st == DKIM_STAT_OK && sig && (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PASSED)
	&& dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH;
    dkim_free(dk);
    dkim_close(lib);
    return ok ? 0 : -1;
}

/* RFC 8460 §5.3: headers, subject, multipart/report, the named attachment */
static void message_is_section_5_3(void)
{
    tlsrpt_mail_opts o = opts();
    buf m = {0};

    T_EQ_INT(build(&m, &o), 0);
    T_ASSERT(strncmp(m.data, "DKIM-Signature: ", 16) == 0);
    T_ASSERT(strstr(m.data, "\r\nTLS-Report-Domain: example.test\r\n"));
    T_ASSERT(strstr(m.data, "\r\nTLS-Report-Submitter: mail.sender.test\r\n"));
    T_ASSERT(strstr(m.data, "\r\nSubject: Report Domain: example.test\r\n Submitter: "
		    "mail.sender.test\r\n Report-ID: <20231209abcdef0123456789@mail.sender.test>"));
    T_ASSERT(strstr(m.data, "Content-Type: multipart/report; report-type=\"tlsrpt\";"));
    T_ASSERT(strstr(m.data, "Content-Type: application/tlsrpt+gzip\r\n"));
    T_ASSERT(strstr(m.data, "filename=\"mail.sender.test!example.test!1702080000!1702166399!"
		    "20231209abcdef0123456789.json.gz\""));
    T_ASSERT(strstr(m.data, "TLS-Required: No\r\n"));
    /* no l= (§5.3), and the TLS-Report-* fields are signed */
    T_ASSERT(strstr(m.data, "; l=") == NULL);
    T_ASSERT(strstr(m.data, "tls-report-domain") || strstr(m.data, "TLS-Report-Domain:"));
    buf_free(&m);
}

/* msgid - the Message-ID of message m, or "" */
static void msgid(const buf *m, char *out, size_t outsz)
{
    const char *p = strstr(buf_str(m), "\r\nMessage-ID: <");
    size_t n = p ? strcspn(p + 16, ">") : 0;

    snprintf(out, outsz, "%.*s", (int) n, p ? p + 16 : "");
}

/* RFC 5322 §3.6.4: one Message-ID per message, whatever the recipient or
 * the attempt; RFC 8460 §5.3: the Subject keeps the one Report-ID */
static void message_id_is_unique_per_message(void)
{
    tlsrpt_mail_opts o = opts();
    buf a = {0}, b = {0};
    char ida[TLSRPT_MSGID_MAX], idb[TLSRPT_MSGID_MAX], mid[TLSRPT_MSGID_MAX];

    T_EQ_INT(build(&a, &o), 0);
    T_EQ_INT(build(&b, &o), 0);
    msgid(&a, ida, sizeof(ida));
    msgid(&b, idb, sizeof(idb));
    T_ASSERT(*ida && *idb);
    T_ASSERT(strcmp(ida, idb) != 0);
    T_ASSERT(strcmp(ida, o.report_id) != 0);
    T_ASSERT(strstr(buf_str(&b), "Report-ID: <20231209abcdef0123456789@mail.sender.test>"));
    /* per delivery and attempt, as the sender asks */
    T_EQ_INT(tlsrpt_message_id(o.report_id, 2, 3, mid, sizeof(mid)), 0);
    T_ASSERT(strncmp(mid, "20231209abcdef0123456789.2.3.", 29) == 0);
    T_ASSERT(strstr(mid, "@mail.sender.test") != NULL);
    T_EQ_INT(tlsrpt_message_id(o.report_id, 2, 3, mid, 20), -1);
    buf_free(&a);
    buf_free(&b);
}

/* RFC 8460 §5.3: a valid DKIM signature of the reporting domain */
static void signature_verifies_with_libopendkim(void)
{
    tlsrpt_mail_opts o = opts();
    buf m = {0};

    T_EQ_INT(build(&m, &o), 0);
    T_EQ_INT(dkim_verify_msg(&m), 0);
    /* a changed body no longer verifies */
    {
	char *p = strstr(m.data, "This is an aggregate");

	T_ASSERT(p);
	p[0] = 't';
	T_EQ_INT(dkim_verify_msg(&m), -1);
    }
    buf_free(&m);
}

/* the independent check: python's email parser and python3-dkim */
static void message_passes_the_python_checks(void)
{
    tlsrpt_mail_opts o = opts();
    buf m = {0};
    char path[160], cmd[512];
    int fd, rc;

    T_EQ_INT(build(&m, &o), 0);
    snprintf(path, sizeof(path), "%s/msg", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    T_ASSERT(fd >= 0 && write(fd, m.data, m.len) == (ssize_t) m.len);
    close(fd);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/tlsrpt_mail_check.py %s --dkim-txt %s "
	     "--domain example.test --submitter mail.sender.test", path, keyfile);
    rc = system(cmd);
    T_EQ_INT(rc, 0);
    buf_free(&m);
}

/* unsigned when no key is configured (mtasts report send warns about it) */
static void unsigned_without_a_key(void)
{
    tlsrpt_mail_opts o = opts();
    buf m = {0};

    o.dkim_key = NULL;
    T_EQ_INT(build(&m, &o), 0);
    T_ASSERT(strstr(m.data, "DKIM-Signature") == NULL);
    buf_free(&m);
    o.dkim_key = "not a key";
    T_EQ_INT(build(&m, &o), -1);
    buf_free(&m);
}

/* a header value can never carry a line break: no header injection */
static void no_header_injection(void)
{
    tlsrpt_mail_opts o = opts();
    buf m = {0};

    o.to = "a@example.test\r\nBcc: victim@example.test";
    T_EQ_INT(build(&m, &o), -1);
    buf_free(&m);
}

/* RFC 6068 mailto: URIs from a rua (RFC 8460 §3) */
static void mailto_addresses(void)
{
    char a[TLSRPT_ADDR_MAX];

    T_EQ_INT(tlsrpt_mailto_address("mailto:tlsrpt@example.test", a, sizeof(a)), 0);
    T_EQ_STR(a, "tlsrpt@example.test");
    T_EQ_INT(tlsrpt_mailto_address("MAILTO:tls%2Brpt@example.test?subject=x", a, sizeof(a)), 0);
    T_EQ_STR(a, "tls+rpt@example.test");
    T_EQ_INT(tlsrpt_mailto_address("mailto:no-at-sign", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("mailto:a@b@c", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("mailto:-oQ@example.test", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("mailto:a%0d%0aBcc:x@example.test", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("mailto:a b@example.test", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("https://example.test", a, sizeof(a)), -1);
    T_EQ_INT(tlsrpt_mailto_address("mailto:a@example.test", a, 5), -1);
}

int main(void)
{
    char cmd[160];

    if (make_key() < 0) {
	printf("FAIL: make_key: cannot make an RSA key\n");
	return 1;
    }
    T_RUN(message_is_section_5_3);
    T_RUN(message_id_is_unique_per_message);
    T_RUN(signature_verifies_with_libopendkim);
    T_RUN(message_passes_the_python_checks);
    T_RUN(unsigned_without_a_key);
    T_RUN(no_header_injection);
    T_RUN(mailto_addresses);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
	return 1;
    return t_done();
}
