/* test_tlsrpt_build - Exim's lines counted, a restart, the report built once */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "t.h"

#include "proto.h"
#include "tlsrpt_record.h"

#include "config.h"
#include "evloop.h"
#include "tlsrpt_build.h"

static char dir[] = "/tmp/test_tlsrpt_build.XXXXXX";
static mtasts_config cfg;
#define NOW ((int64_t) 19700 * 86400 + 7200)

static MDB_env *env_open(void)
{
    MDB_env *env;

    if (mdb_env_create(&env) != 0)
	return NULL;
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, 16u << 20);
    if (mdb_env_open(env, dir, 0, 0600) != 0)
	return NULL;
    return env;
}

/* line - one request as Exim's event_action sends it, counted */
static int line(tlsrpt_counters *c, const char *l, const tlsrpt_applied *pol)
{
    proto_req req;
    tlsrpt_verb_args a;
    int rc;

    if (proto_req_parse(l, strlen(l), &req, NULL) < 0)
	return -2;
    rc = tlsrpt_verb_parse(&req, NOW, &a, NULL);
    if (rc != 0)
	return rc;
    return tlsrpt_count_verb(c, &a, pol, NOW);
}

static json_t *jget(json_t *o, const char *path)
{
    char buf[256], *p, *save;

    snprintf(buf, sizeof(buf), "%s", path);
    for (p = strtok_r(buf, "/", &save); p && o; p = strtok_r(NULL, "/", &save))
	o = (*p >= '0' && *p <= '9') ? json_array_get(o, (size_t) atoi(p)) : json_object_get(o, p);
    return o;
}

/* end to end without the network: lines -> counts -> restart -> report */
static void lines_to_report_across_a_restart(void)
{
    static const tlsrpt_applied testing = {
	POLICY_MODE_TESTING, "version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 86400\n",
	"*.example.test"
    };
    MDB_env *env = env_open();
    evloop *loop = evloop_new();
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    tlsrpt_sender *s;
    tlsrpt_record rec;
    tlsrpt_outbox_entry e;
    char *json = NULL, cmd[256], path[128];
    const char *rr = "v=TLSRPTv1; rua=mailto:rua@example.test,https://r.example.test/x,ftp://no";
    json_t *root;
    int built, i;
    mt_err err;
    FILE *fp;

    T_ASSERT(env && loop && c);
    for (i = 0; i < 5; i++)
	T_EQ_INT(line(c, "report example.test result=success mx=mx1.example.test ip=127.0.0.21 "
		      "sip=127.0.0.1", &testing), 0);
    /* "TLS session: (certificate verification failed)": GnuTLS host mismatch */
    for (i = 0; i < 2; i++)
	T_EQ_INT(line(c, "report example.test errno=-37 msg=b64:VExTIHNlc3Npb246IChjZXJ0aWZpY2F0"
		      "ZSB2ZXJpZmljYXRpb24gZmFpbGVkKQ== mx=mx2.example.test ip=127.0.0.22 "
		      "sip=127.0.0.1", &testing), 0);
    T_EQ_INT(line(c, "report example.test errno=111 msg=b64:eA==", &testing), 1);
    T_EQ_INT(line(c, "report example.test result=dnssec-invalid policy=tlsa mx=mx3.example.test "
		  "tlsa=b64:MyAxIDEgYWI7MyAxIDEgY2Q=", NULL), 0);
    /* a clean shutdown commits; the restart finds everything */
    tlsrpt_counters_close(c);
    mdb_env_close(env);
    env = env_open();
    c = tlsrpt_counters_open(env, NULL);
    s = tlsrpt_sender_new(loop, &cfg, env, /* disc= */ NULL, &err);
    T_ASSERT(c && s);
    /* before the build: show computes it */
    T_EQ_INT(tlsrpt_show(c, s, &cfg, 19700, "example.test", &json, &built, &err), 0);
    T_EQ_INT(built, 0);
    free(json);
    T_EQ_INT(tlsrpt_record_parse(rr, strlen(rr), &rec, &err), 0);
    T_EQ_INT(tlsrpt_build(c, s, &cfg, 19700, "example.test", &rec, NOW + 86400, &err), 0);
    T_EQ_INT(tlsrpt_build(c, s, &cfg, 19700, "example.test", &rec, NOW + 86400, &err), 2);
    T_EQ_INT(tlsrpt_build(c, s, &cfg, 19700, "other.test", &rec, NOW + 86400, &err), 1);
    T_EQ_INT(tlsrpt_outbox_get(s, 19700, "example.test", &e, &err), 1);
    T_EQ_INT(e.n_rua, 2);	/* ftp: is no report URI */
    T_EQ_STR(e.rua[0].uri, "mailto:rua@example.test");
    T_EQ_STR(e.rua[1].uri, "https://r.example.test/x");
    T_EQ_INT(tlsrpt_show(c, s, &cfg, 19700, "example.test", &json, &built, &err), 0);
    T_EQ_INT(built, 1);
    T_EQ_STR(json, e.json);
    tlsrpt_outbox_entry_free(&e);
    root = json_loads(json, 0, NULL);
    T_ASSERT(root);
    T_EQ_STR(json_string_value(jget(root, "policies/0/policy/policy-type")), "sts");
    T_EQ_STR(json_string_value(jget(root, "policies/0/policy/policy-string/1")), "mode: testing");
    T_EQ_INT(json_integer_value(jget(root, "policies/0/summary/total-successful-session-count")), 5);
    T_EQ_INT(json_integer_value(jget(root, "policies/0/summary/total-failure-session-count")), 2);
    T_EQ_STR(json_string_value(jget(root, "policies/0/failure-details/0/result-type")),
	     "certificate-host-mismatch");
    T_EQ_STR(json_string_value(jget(root, "policies/0/failure-details/0/receiving-mx-hostname")),
	     "mx2.example.test");
    T_EQ_STR(json_string_value(jget(root, "policies/0/failure-details/0/receiving-ip")),
	     "127.0.0.22");
    T_EQ_STR(json_string_value(jget(root, "policies/0/failure-details/0/sending-mta-ip")),
	     "127.0.0.1");
    T_EQ_STR(json_string_value(jget(root, "policies/1/policy/policy-type")), "tlsa");
    T_EQ_STR(json_string_value(jget(root, "policies/1/policy/policy-string/0")), "3 1 1 ab");
    T_EQ_STR(json_string_value(jget(root, "policies/1/policy/mx-host/0")), "mx3.example.test");
    T_EQ_STR(json_string_value(jget(root, "policies/1/failure-details/0/result-type")),
	     "dnssec-invalid");
    T_EQ_STR(json_string_value(jget(root, "organization-name")), "Sender Org");
    T_ASSERT(strstr(json_string_value(jget(root, "report-id")), "@mail.sender.test"));
    json_decref(root);
    snprintf(path, sizeof(path), "%s/report.json", dir);
    fp = fopen(path, "w");
    T_ASSERT(fp);
    fputs(json, fp);
    fclose(fp);
    free(json);
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/tlsrpt_schema.py %s >/dev/null", path);
    T_EQ_INT(system(cmd), 0);
    tlsrpt_record_free(&rec);
    tlsrpt_sender_free(s);
    tlsrpt_counters_close(c);
    evloop_free(loop);
    mdb_env_close(env);
}

/* a URI listed twice in rua gets one delivery, not two reports */
static void duplicate_rua_is_sent_once(void)
{
    MDB_env *env = env_open();
    evloop *loop = evloop_new();
    tlsrpt_counters *c = tlsrpt_counters_open(env, NULL);
    tlsrpt_sender *s = tlsrpt_sender_new(loop, &cfg, env, NULL, NULL);
    const char *rr = "v=TLSRPTv1; rua=mailto:r@dup.test,https://r.dup.test/x,"
	"MAILTO:R@Dup.Test,https://r.dup.test/x,mailto:r%40dup.test";
    tlsrpt_record rec;
    tlsrpt_outbox_entry e;
    mt_err err;

    T_ASSERT(env && loop && c && s);
    T_EQ_INT(line(c, "report dup.test result=success mx=mx1.dup.test", NULL), 0);
    T_EQ_INT(tlsrpt_record_parse(rr, strlen(rr), &rec, &err), 0);
    T_EQ_INT(rec.n_rua, 5);
    T_EQ_INT(tlsrpt_build(c, s, &cfg, 19700, "dup.test", &rec, NOW + 86400, &err), 0);
    T_EQ_INT(tlsrpt_outbox_get(s, 19700, "dup.test", &e, &err), 1);
    T_EQ_INT(e.n_rua, 2);
    T_EQ_STR(e.rua[0].uri, "mailto:r@dup.test");
    T_EQ_STR(e.rua[1].uri, "https://r.dup.test/x");
    tlsrpt_outbox_entry_free(&e);
    tlsrpt_record_free(&rec);
    tlsrpt_sender_free(s);
    tlsrpt_counters_close(c);
    evloop_free(loop);
    mdb_env_close(env);
}

int main(void)
{
    char cmd[128];

    if (mkdtemp(dir) == NULL)
	return 1;
    config_defaults(&cfg);
    config_set(&cfg, "organization_name", "Sender Org", NULL);
    config_set(&cfg, "report_submitter", "mail.sender.test", NULL);
    config_set(&cfg, "contact_info", "postmaster@sender.test", NULL);
    T_RUN(lines_to_report_across_a_restart);
    T_RUN(duplicate_rua_is_sent_once);
    config_free(&cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? t_done() : 1;
}
