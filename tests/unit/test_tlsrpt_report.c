/* test_tlsrpt_report - the RFC 8460 §4.4 JSON, §5.1 file name, §5.2 gzip */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#include "t.h"

#include "tlsrpt_report.h"

#define DAY 19700		/* 2023-12-09 */

static tlsrpt_failure fails[2];
static tlsrpt_policy_counts pols[2];

/* sample - a report's data: one sts policy with failures, one no-policy-found */
static tlsrpt_data sample(void)
{
    tlsrpt_data d = {.day = DAY, .domain = (char *) "example.test", .n_policies = 2,
	.policies = pols};

    memset(fails, 0, sizeof(fails));
    memset(pols, 0, sizeof(pols));
    fails[0].result = TLSRPT_CERTIFICATE_EXPIRED;
    fails[0].sending_ip = (char *) "192.0.2.1";
    fails[0].mx_host = (char *) "mx1.example.test";
    fails[0].receiving_ip = (char *) "2001:db8::25";
    fails[0].helo = (char *) "mx1.example.test";
    fails[0].reason = (char *) "TLS session: (certificate verification failed): certificate invalid";
    fails[0].count = 3;
    fails[1].result = TLSRPT_STARTTLS_NOT_SUPPORTED;
    fails[1].mx_host = (char *) "mx2.example.test";
    fails[1].count = 2;
    pols[0].type = TLSRPT_POLICY_STS;
    pols[0].policy_string = (char *) "version: STSv1\r\nmode: testing\r\nmx: *.example.test\r\nmax_age: 86400\r\n";
    pols[0].mx_host = (char *) "*.example.test";
    pols[0].success = 100;
    pols[0].failure = 5;
    pols[0].n_fail = 2;
    pols[0].fail = fails;
    pols[1].type = TLSRPT_POLICY_NONE;
    pols[1].success = 7;
    return d;
}

static const tlsrpt_report_meta meta = {
    .organization_name = "Example Sender Inc.",
    .contact_info = "postmaster@sender.test",
    .report_id = "20231209abcdef0123456789@mail.sender.test",
};

/* RFC 8460 §4.4: every field, spelt letter by letter */
static void json_fields_are_rfc8460_section_4_4(void)
{
    tlsrpt_data d = sample();
    char *text = tlsrpt_report_json(&d, &meta, NULL);
    json_t *root, *p, *f;
    json_error_t je;

    T_ASSERT(text);
    root = json_loads(text, 0, &je);
    T_ASSERT(root);
    T_EQ_STR(json_string_value(json_object_get(root, "organization-name")), "Example Sender Inc.");
    T_EQ_STR(json_string_value(json_object_get(json_object_get(root, "date-range"),
					       "start-datetime")), "2023-12-09T00:00:00Z");
    T_EQ_STR(json_string_value(json_object_get(json_object_get(root, "date-range"),
					       "end-datetime")), "2023-12-09T23:59:59Z");
    T_EQ_STR(json_string_value(json_object_get(root, "contact-info")), "postmaster@sender.test");
    T_EQ_STR(json_string_value(json_object_get(root, "report-id")), meta.report_id);
    T_EQ_INT(json_array_size(json_object_get(root, "policies")), 2);
    p = json_array_get(json_object_get(root, "policies"), 0);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(p, "policy"), "policy-type")), "sts");
    T_EQ_STR(json_string_value(json_object_get(json_object_get(p, "policy"), "policy-domain")),
	     "example.test");
    /* policy-string: one array element per policy line, CRLF dropped */
    T_EQ_INT(json_array_size(json_object_get(json_object_get(p, "policy"), "policy-string")), 4);
    T_EQ_STR(json_string_value(json_array_get(json_object_get(json_object_get(p, "policy"),
							      "policy-string"), 1)), "mode: testing");
    T_EQ_STR(json_string_value(json_array_get(json_object_get(json_object_get(p, "policy"),
							      "mx-host"), 0)), "*.example.test");
    T_EQ_INT(json_integer_value(json_object_get(json_object_get(p, "summary"),
						"total-successful-session-count")), 100);
    T_EQ_INT(json_integer_value(json_object_get(json_object_get(p, "summary"),
						"total-failure-session-count")), 5);
    f = json_array_get(json_object_get(p, "failure-details"), 0);
    T_EQ_STR(json_string_value(json_object_get(f, "result-type")), "certificate-expired");
    T_EQ_STR(json_string_value(json_object_get(f, "sending-mta-ip")), "192.0.2.1");
    T_EQ_STR(json_string_value(json_object_get(f, "receiving-mx-hostname")), "mx1.example.test");
    T_EQ_STR(json_string_value(json_object_get(f, "receiving-mx-helo")), "mx1.example.test");
    T_EQ_STR(json_string_value(json_object_get(f, "receiving-ip")), "2001:db8::25");
    T_EQ_INT(json_integer_value(json_object_get(f, "failed-session-count")), 3);
    T_ASSERT(json_object_get(f, "failure-reason-code") != NULL);
    /* not observed: left out, not sent empty */
    f = json_array_get(json_object_get(p, "failure-details"), 1);
    T_ASSERT(json_object_get(f, "sending-mta-ip") == NULL);
    T_ASSERT(json_object_get(f, "receiving-ip") == NULL);
    /* no-policy-found: no policy-string, no mx-host, no failure-details */
    p = json_array_get(json_object_get(root, "policies"), 1);
    T_EQ_STR(json_string_value(json_object_get(json_object_get(p, "policy"), "policy-type")),
	     "no-policy-found");
    T_ASSERT(json_object_get(json_object_get(p, "policy"), "policy-string") == NULL);
    T_ASSERT(json_object_get(json_object_get(p, "policy"), "mx-host") == NULL);
    T_ASSERT(json_object_get(p, "failure-details") == NULL);
    /* the RFC's order of fields, so a person reads it as the RFC prints it */
    T_ASSERT(strncmp(text, "{\"organization-name\":", 21) == 0);
    json_decref(root);
    free(text);
}

/* the same report, through the independent checker of tests/tlsrpt_schema.py */
static void json_passes_the_schema_check(void)
{
    tlsrpt_data d = sample();
    char *text = tlsrpt_report_json(&d, &meta, NULL);
    char path[] = "/tmp/test_tlsrpt_report.XXXXXX", cmd[256];
    int fd, rc;

    T_ASSERT(text);
    fd = mkstemp(path);
    T_ASSERT(fd >= 0);
    T_ASSERT(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/tlsrpt_schema.py %s >/dev/null", path);
    rc = system(cmd);
    /* and the checker does catch a misspelt field */
    {
	char *bad = strstr(text, "receiving-mx-hostname");

	T_ASSERT(bad);
	memcpy(bad, "receiving-mx-hostnamE", 21);
	fd = open(path, O_WRONLY | O_TRUNC);
	T_ASSERT(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t) strlen(text));
	close(fd);
    }
    T_EQ_INT(rc, 0);
    rc = system(cmd);
    unlink(path);
    free(text);
    T_ASSERT(rc != 0);
}

/* JSON strings are escaped: a reason with quotes and controls stays one string */
static void reason_text_is_escaped(void)
{
    tlsrpt_data d = sample();
    char *text;
    json_t *root;

    fails[0].reason = (char *) "a \"quoted\"\nline\tand \\ back";
    text = tlsrpt_report_json(&d, &meta, NULL);
    T_ASSERT(text);
    root = json_loads(text, 0, NULL);
    T_ASSERT(root);
    T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(root, "policies"), 0), "failure-details"), 0),
		"failure-reason-code")), "a \"quoted\"\nline\tand \\ back");
    json_decref(root);
    free(text);
    /* not UTF-8: refused, not sent garbled */
    fails[0].reason = (char *) "\xff\xfe";
    T_ASSERT(tlsrpt_report_json(&d, &meta, NULL) == NULL);
}

/* RFC 8460 §5.1: submitter!policy-domain!begin!end!unique-id.json.gz */
static void filename_is_section_5_1(void)
{
    char id[TLSRPT_REPORT_ID_MAX], name[TLSRPT_FILENAME_MAX], *at;
    size_t i;

    T_EQ_INT(tlsrpt_report_id(DAY, "example.test", "mail.sender.test", id, sizeof(id)), 0);
    T_ASSERT(strncmp(id, "20231209", 8) == 0);
    at = strchr(id, '@');
    T_ASSERT(at && at - id == 24);
    T_EQ_STR(at + 1, "mail.sender.test");
    for (i = 0; id + i < at; i++)	/* unique-id = 1*(ALPHA / DIGIT) */
	T_ASSERT((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'));
    T_EQ_INT(tlsrpt_report_filename("mail.sender.test", "example.test", DAY,
				    "20231209abcdef0123456789@mail.sender.test", name,
				    sizeof(name)), 0);
    T_EQ_STR(name, "mail.sender.test!example.test!1702080000!1702166399!"
	     "20231209abcdef0123456789.json.gz");
    T_EQ_INT(tlsrpt_report_filename("s", "d", DAY, "x", name, 10), -1);
    /* another domain or day: another id; the same: the same id (§4.4) */
    {
	char id2[TLSRPT_REPORT_ID_MAX];

	T_EQ_INT(tlsrpt_report_id(DAY, "example.tesu", "mail.sender.test", id2, sizeof(id2)), 0);
	T_ASSERT(strcmp(id, id2) != 0);
	T_EQ_INT(tlsrpt_report_id(DAY + 1, "example.test", "mail.sender.test", id2, sizeof(id2)), 0);
	T_ASSERT(strcmp(id + 8, id2 + 8) != 0);
	T_EQ_INT(tlsrpt_report_id(DAY, "example.test", "mail.sender.test", id2, sizeof(id2)), 0);
	T_EQ_STR(id, id2);
    }
}

/* RFC 8460 §5.2: gzip, and back */
static void gzip_round_trip(void)
{
    tlsrpt_data d = sample();
    char *text = tlsrpt_report_json(&d, &meta, NULL);
    buf z = {0}, back = {0};

    T_ASSERT(text);
    T_EQ_INT(tlsrpt_gzip(text, strlen(text), &z, NULL), 0);
    T_ASSERT(z.len > 18);
    T_ASSERT((unsigned char) z.data[0] == 0x1f && (unsigned char) z.data[1] == 0x8b);
    T_EQ_INT(tlsrpt_gunzip(z.data, z.len, &back, NULL), 0);
    T_EQ_STR(back.data, text);
    buf_reset(&back);
    T_EQ_INT(tlsrpt_gunzip(z.data, z.len - 4, &back, NULL), -1);
    buf_free(&z);
    buf_free(&back);
    free(text);
}

int main(void)
{
    T_RUN(json_fields_are_rfc8460_section_4_4);
    T_RUN(json_passes_the_schema_check);
    T_RUN(reason_text_is_escaped);
    T_RUN(filename_is_section_5_1);
    T_RUN(gzip_round_trip);
    return t_done();
}
