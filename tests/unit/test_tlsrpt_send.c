/* test_tlsrpt_send - the outbox, https: POST and mailto: deliveries, retries */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "t.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "tlsrpt_report.h"
#include "tlsrpt_send.h"

static char dir[] = "/tmp/test_tlsrpt_send.XXXXXX";
static pid_t sink_pid = -1;
static int sink_port;
static evloop *loop;
static MDB_env *env;
static mtasts_config cfg;
static discovery *disc;
static int run_done;
static unsigned run_sent, run_failed;

static const char json[] = "{\"organization-name\":\"Org\",\"date-range\":{\"start-datetime\":"
    "\"2023-12-09T00:00:00Z\",\"end-datetime\":\"2023-12-09T23:59:59Z\"},\"contact-info\":"
    "\"postmaster@sender.test\",\"report-id\":\"20231209aa@mail.sender.test\",\"policies\":"
    "[{\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":\"example.test\"},"
    "\"summary\":{\"total-successful-session-count\":4,\"total-failure-session-count\":0}}]}";

static int sh(const char *fmt, const char *a)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), fmt, a, a, a, a);
    return system(cmd);
}

/* start_sink - the HTTPS sink, failing its first fail_first requests */
static int start_sink(int fail_first)
{
    char portfile[128], cert[128], key[128], n[16];
    int i;
    FILE *fp;

    snprintf(portfile, sizeof(portfile), "%s/port", dir);
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    snprintf(n, sizeof(n), "%d", fail_first);
    unlink(portfile);
    sink_pid = fork();
    if (sink_pid == 0) {
	execl("/usr/bin/python3", "python3", "tests/tlsrpt_https_sink.py", portfile, cert, key,
	      dir, n, (char *) NULL);
	_exit(127);
    }
    for (i = 0; i < 600; i++) {		/* up to 30 s: python3 starts slowly on a loaded machine */
	if ((fp = fopen(portfile, "r")) != NULL) {
	    int ok = fscanf(fp, "%d", &sink_port) == 1;

	    fclose(fp);
	    return ok ? 0 : -1;
	}
	usleep(50000);
    }
    return -1;
}

static void stop_sink(void)
{
    if (sink_pid > 0) {
	kill(sink_pid, SIGTERM);
	waitpid(sink_pid, NULL, 0);
	sink_pid = -1;
    }
}

/* clear_connect_to - drop the connect_to entries set so far */
static void clear_connect_to(void)
{
    size_t i;

    for (i = 0; i < cfg.connect_to.n; i++)
	free(cfg.connect_to.v[i]);
    cfg.connect_to.n = 0;
}

static void done_cb(void *arg, unsigned sent, unsigned failed)
{
    (void) arg;
    run_done = 1;
    run_sent = sent;
    run_failed = failed;
}

/* sender_new - a sender over a discovery engine made with the cfg of now */
static tlsrpt_sender *sender_new(void)
{
    mt_err err;

    if ((disc = discovery_new(loop, &cfg, &err)) == NULL) {
	printf("discovery_new: %s\n", err.msg);
	return NULL;
    }
    return tlsrpt_sender_new(loop, &cfg, env, disc, &err);
}

/* sender_free - the sender, then its discovery engine */
static void sender_free(tlsrpt_sender *s)
{
    tlsrpt_sender_free(s);
    discovery_free(disc);
    disc = NULL;
}

/* run - one sender run at now, to its end */
static int run(tlsrpt_sender *s, int64_t now)
{
    int started, i;

    run_done = 0;
    started = tlsrpt_sender_run(s, now, 0, done_cb, NULL);
    for (i = 0; i < 600 && !run_done; i++)
	evloop_run_once(loop, 100);
    return run_done ? started : -1;
}

static int setup(void)
{
    char v[256];

    if (mkdtemp(dir) == NULL)
	return -1;
    if (sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
	   "-days 2 -subj /CN=report.example.test -addext subjectAltName=DNS:report.example.test "
	   ">/dev/null 2>&1 && openssl genrsa -out dkim.pem 2048 >/dev/null 2>&1", dir) != 0)
	return -1;
    /* the sendmail stand-in: keeps the message, and its arguments */
    snprintf(v, sizeof(v), "%s/sendmail", dir);
    {
	FILE *fp = fopen(v, "w");

	if (fp == NULL)
	    return -1;
	fprintf(fp, "#!/bin/sh\necho \"$@\" > %s/mail.args\ncat > %s/mail.msg\n", dir, dir);
	fclose(fp);
	chmod(v, 0755);
    }
    /* report host names resolve in a zone libunbound serves itself:
     * nothing leaves this machine */
    snprintf(v, sizeof(v), "%s/zone", dir);
    {
	FILE *fp = fopen(v, "w");

	if (fp == NULL)
	    return -1;
	fprintf(fp, "$ORIGIN example.test.\n"
		"@ 3600 IN SOA ns.example.test. h.example.test. 1 3600 600 86400 60\n"
		"@ 3600 IN NS ns.example.test.\nns 3600 IN A 127.0.0.1\n"
		"internal 3600 IN A 127.0.0.1\n");
	fclose(fp);
    }
    snprintf(v, sizeof(v), "%s/unbound.conf", dir);
    {
	FILE *fp = fopen(v, "w");

	if (fp == NULL)
	    return -1;
	fprintf(fp, "server:\n do-not-query-localhost: no\n local-zone: \"test.\" nodefault\n"
		"auth-zone:\n name: \"example.test.\"\n zonefile: \"%s/zone\"\n"
		" for-upstream: yes\n for-downstream: no\n fallback-enabled: no\n", dir);
	fclose(fp);
    }
    config_defaults(&cfg);
    config_set(&cfg, "unbound_config", v, NULL);
    config_set(&cfg, "dnssec", "no", NULL);
    snprintf(v, sizeof(v), "%s/sendmail", dir);
    config_set(&cfg, "sendmail_command", v, NULL);
    snprintf(v, sizeof(v), "%s/cert.pem", dir);
    config_set(&cfg, "ca_file", v, NULL);
    config_set(&cfg, "report_from", "tlsrpt@sender.test", NULL);
    config_set(&cfg, "report_submitter", "mail.sender.test", NULL);
    config_set(&cfg, "organization_name", "Org", NULL);
    snprintf(v, sizeof(v), "%s/dkim.pem", dir);
    config_set(&cfg, "dkim_key_file", v, NULL);
    config_set(&cfg, "dkim_selector", "sel", NULL);
    config_set(&cfg, "dkim_domain", "sender.test", NULL);
    if (mdb_env_create(&env) != 0)
	return -1;
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, 16u << 20);
    if (mdb_env_open(env, dir, 0, 0600) != 0)
	return -1;
    loop = evloop_new();
    return loop ? 0 : -1;
}

static void entry(tlsrpt_outbox_entry *e, uint32_t day, const char *domain, int64_t created,
		  const char *uri1, const char *uri2)
{
    memset(e, 0, sizeof(*e));
    e->day = day;
    e->domain = (char *) domain;
    e->report_id = (char *) "20231209aa@mail.sender.test";
    e->json = (char *) json;
    e->created = created;
    e->rua[0].uri = (char *) uri1;
    e->n_rua = 1;
    if (uri2) {
	e->rua[1].uri = (char *) uri2;
	e->n_rua = 2;
    }
}

/* RFC 8460 §5.2: POST, application/tlsrpt+gzip, 2xx; §5.3 by mail */
static void https_and_mailto_deliveries(void)
{
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e, got;
    char ct[128], path[256];
    int64_t now = (int64_t) time(NULL);
    mt_err err;
    FILE *fp;

    snprintf(ct, sizeof(ct), "report.example.test:443:127.0.0.1:%d", sink_port);
    clear_connect_to();
    T_EQ_INT(config_set(&cfg, "connect_to", ct, &err), 0);
    s = sender_new();
    T_ASSERT(s);
    entry(&e, 19700, "example.test", now, "https://report.example.test/tlsrpt",
	  "mailto:rua@example.test");
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 1);	/* built once */
    T_EQ_INT(run(s, now), 2);
    T_EQ_INT(run_sent, 2);
    T_EQ_INT(tlsrpt_outbox_get(s, 19700, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_SENT);
    T_EQ_INT(got.rua[1].state, TLSRPT_SENT);
    T_EQ_INT(got.rua[0].attempts, 1);
    tlsrpt_outbox_entry_free(&got);
    /* the POST: media type, and it inflates to the report text */
    snprintf(path, sizeof(path), "%s/post.1.type", dir);
    fp = fopen(path, "r");
    T_ASSERT(fp && fgets(ct, sizeof(ct), fp));
    fclose(fp);
    T_EQ_STR(ct, "application/tlsrpt+gzip");
    T_EQ_INT(sh("cd %s && gzip -dc < post.1.body > post.json", dir), 0);
    snprintf(path, sizeof(path), "%s/post.json", dir);
    fp = fopen(path, "r");
    {
	char text[2048] = "";
	size_t n = fp ? fread(text, 1, sizeof(text) - 1, fp) : 0;

	if (fp)
	    fclose(fp);
	text[n] = 0;
	T_EQ_STR(text, json);
    }
    /* the mail: §5.3, DKIM-signed; envelope sender given with -f */
    T_EQ_INT(sh("grep -q -- '-f tlsrpt@sender.test' %s/mail.args", dir), 0);
    T_EQ_INT(sh("/usr/bin/python3 tests/tlsrpt_mail_check.py %s/mail.msg --domain example.test "
		"--submitter mail.sender.test >/dev/null", dir), 0);
    /* nothing is sent twice */
    T_EQ_INT(run(s, now + 100000), 0);
    sender_free(s);
}

/* RFC 8460 §5.4: a failed delivery is retried, later, with the same report */
static void failing_endpoint_is_retried(void)
{
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e, got;
    int64_t now = (int64_t) time(NULL);
    mt_err err;

    stop_sink();
    T_EQ_INT(start_sink(1), 0);	/* the first POST gets 500 */
    clear_connect_to();
    {
	char ct[128];

	snprintf(ct, sizeof(ct), "report.example.test:443:127.0.0.1:%d", sink_port);
	T_EQ_INT(config_set(&cfg, "connect_to", ct, &err), 0);
    }
    s = sender_new();
    T_ASSERT(s);
    entry(&e, 19701, "example.test", now, "https://report.example.test/tlsrpt", NULL);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 1);
    T_EQ_INT(run_failed, 1);
    T_EQ_INT(tlsrpt_outbox_get(s, 19701, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_PENDING);
    T_EQ_INT(got.rua[0].attempts, 1);
    T_ASSERT(got.rua[0].next >= now + TLSRPT_RETRY_FIRST);
    T_ASSERT(strstr(got.rua[0].last_error, "500") != NULL);
    tlsrpt_outbox_entry_free(&got);
    /* not yet due: nothing starts */
    T_EQ_INT(run(s, now + 10), 0);
    /* due: the same report goes out */
    T_EQ_INT(run(s, now + TLSRPT_RETRY_FIRST + 1), 1);
    T_EQ_INT(run_sent, 1);
    T_EQ_INT(tlsrpt_outbox_get(s, 19701, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_SENT);
    T_EQ_INT(got.rua[0].attempts, 2);
    T_EQ_STR(got.report_id, "20231209aa@mail.sender.test");
    tlsrpt_outbox_entry_free(&got);
    sender_free(s);
}

/* RFC 8460 §5.4: after report_retry (24 h) the delivery is dropped */
static void given_up_after_report_retry(void)
{
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e, got;
    int64_t now = (int64_t) time(NULL);
    mt_err err;

    /* nobody listens there; the report was built a day ago */
    clear_connect_to();
    T_EQ_INT(config_set(&cfg, "connect_to", "gone.example.test:443:127.0.0.1:1", &err), 0);
    s = sender_new();
    T_ASSERT(s);
    entry(&e, 19702, "example.test", now - 86400 + 60, "https://gone.example.test/", NULL);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 1);
    T_EQ_INT(tlsrpt_outbox_get(s, 19702, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_FAILED);
    tlsrpt_outbox_entry_free(&got);
    T_EQ_INT(run(s, now + 100000), 0);
    sender_free(s);
}

/* a report POST never goes to an internal address unless configured so */
static void internal_addresses_are_refused(void)
{
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e, got;
    int64_t now = (int64_t) time(NULL);
    mt_err err;
    char url[64];

    clear_connect_to();
    s = sender_new();
    T_ASSERT(s);
    /* a name that our resolver finds at a loopback address */
    snprintf(url, sizeof(url), "https://internal.example.test:%d/", sink_port);
    entry(&e, 19703, "example.test", now, url, "mailto:not-an-address");
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 2);
    T_EQ_INT(run_failed, 2);
    T_EQ_INT(tlsrpt_outbox_get(s, 19703, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_PENDING);
    T_ASSERT(got.rua[0].last_error && strstr(got.rua[0].last_error, "loopback") != NULL);
    tlsrpt_outbox_entry_free(&got);
    /* an address literal: the same filter */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/", sink_port);
    entry(&e, 19704, "example.test", now, url, NULL);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 1);
    T_EQ_INT(run_failed, 1);
    T_EQ_INT(tlsrpt_outbox_get(s, 19704, "example.test", &got, &err), 1);
    T_EQ_INT(got.rua[0].state, TLSRPT_PENDING);
    T_ASSERT(got.rua[0].last_error && strstr(got.rua[0].last_error, "loopback") != NULL);
    tlsrpt_outbox_entry_free(&got);
    /* allowed by fetch_allow_address: the POST goes to the name's address */
    T_EQ_INT(config_set(&cfg, "fetch_allow_address", "127.0.0.1", &err), 0);
    sender_free(s);
    s = sender_new();
    T_ASSERT(s);
    snprintf(url, sizeof(url), "https://internal.example.test:%d/ok", sink_port);
    entry(&e, 19705, "example.test", now, url, NULL);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 1);
    T_EQ_INT(run_failed, 1);	/* reached: the sink's certificate is for another name */
    T_EQ_INT(tlsrpt_outbox_get(s, 19705, "example.test", &got, &err), 1);
    T_ASSERT(got.rua[0].last_error && strstr(got.rua[0].last_error, "certificate") != NULL);
    tlsrpt_outbox_entry_free(&got);
    sender_free(s);
}

static int count_cb(const tlsrpt_outbox_entry *e, void *arg)
{
    (void) e;
    (*(int *) arg)++;
    return 0;
}

/* reports_retention_days: old entries with nothing left to send go */
static void prune_keeps_pending(void)
{
    tlsrpt_sender *s = sender_new();
    int n = 0;

    T_ASSERT(s);
    T_EQ_INT(tlsrpt_outbox_list(s, 0, count_cb, &n, NULL), 0);
    T_EQ_INT(n, 6);
    T_EQ_INT(tlsrpt_outbox_prune(s, 19800, NULL), 0);
    n = 0;
    T_EQ_INT(tlsrpt_outbox_list(s, 0, count_cb, &n, NULL), 0);
    T_EQ_INT(n, 3);		/* 19703-19705 still have pending deliveries */
    sender_free(s);
}

/* use_sendmail - a sendmail stand-in named name running body (%s: the test directory) */
static int use_sendmail(const char *name, const char *body)
{
    char v[256];
    FILE *fp;

    snprintf(v, sizeof(v), "%s/%s", dir, name);
    if ((fp = fopen(v, "w")) == NULL)
	return -1;
    fputs("#!/bin/sh\n", fp);
    fprintf(fp, body, dir, dir);
    fclose(fp);
    chmod(v, 0755);
    return config_set(&cfg, "sendmail_command", v, NULL);
}

/* our limit: at most TLSRPT_SEND_PARALLEL deliveries under way, the rest queued */
static void deliveries_are_limited_and_queued(void)
{
    static char uris[20][64];
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e;
    int64_t now = (int64_t) time(NULL);
    char v[256], line[16];
    int k, running = 0, most = 0, starts = 0;
    mt_err err;
    FILE *fp;

    /* a slow sendmail that logs its start and end */
    T_EQ_INT(use_sendmail("slowmail", "echo s >> %s/slow.log\ncat > /dev/null\nsleep 0.2\n"
			  "echo e >> %s/slow.log\n"), 0);
    s = sender_new();
    T_ASSERT(s);
    for (k = 0; k < 20; k++) {
	snprintf(uris[k], sizeof(uris[k]), "mailto:r%d@example.test", k);
	if (k % 10 == 0) {
	    memset(&e, 0, sizeof(e));
	    e.day = 19720 + (uint32_t) k;
	    e.domain = (char *) "example.test";
	    e.report_id = (char *) "20231209aa@mail.sender.test";
	    e.json = (char *) json;
	    e.created = now;
	}
	e.rua[e.n_rua].uri = uris[k];
	e.rua[e.n_rua++].next = now;
	if (k % 10 == 9)
	    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    }
    T_EQ_INT(run(s, now), 20);
    T_EQ_INT(run_sent, 20);
    snprintf(v, sizeof(v), "%s/slow.log", dir);
    fp = fopen(v, "r");
    T_ASSERT(fp != NULL);
    while (fgets(line, sizeof(line), fp)) {
	running += line[0] == 's' ? 1 : -1;
	starts += line[0] == 's';
	if (running > most)
	    most = running;
    }
    fclose(fp);
    T_EQ_INT(starts, 20);
    T_ASSERT(most <= TLSRPT_SEND_PARALLEL);
    T_ASSERT(most > 1);
    snprintf(v, sizeof(v), "%s/sendmail", dir);
    config_set(&cfg, "sendmail_command", v, NULL);
    sender_free(s);
}

/* sendmail does not inherit the daemon's blocked signals nor its ignored SIGPIPE */
static void sendmail_starts_with_default_signals(void)
{
    tlsrpt_sender *s;
    tlsrpt_outbox_entry e;
    int64_t now = (int64_t) time(NULL);
    sigset_t block, old;
    char v[256], line[128];
    unsigned long long blk = 1, ign = 1;
    mt_err err;
    FILE *fp;

    T_EQ_INT(use_sendmail("sigmail", "grep -E '^Sig(Blk|Ign)' /proc/$$/status > %s/sig.txt\n"
			  "cat > /dev/null\n"), 0);
    /* as the daemon: SIGTERM, SIGHUP, SIGCHLD blocked for its signalfd, SIGPIPE ignored */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    signal(SIGPIPE, SIG_IGN);
    s = sender_new();
    T_ASSERT(s);
    entry(&e, 19740, "example.test", now, "mailto:sig@example.test", NULL);
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(run(s, now), 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGPIPE, SIG_DFL);
    T_EQ_INT(run_sent, 1);
    snprintf(v, sizeof(v), "%s/sig.txt", dir);
    fp = fopen(v, "r");
    T_ASSERT(fp != NULL);
    while (fgets(line, sizeof(line), fp)) {
	if (strncmp(line, "SigBlk:", 7) == 0)
	    blk = strtoull(line + 7, NULL, 16);
	if (strncmp(line, "SigIgn:", 7) == 0)
	    ign = strtoull(line + 7, NULL, 16);
    }
    fclose(fp);
    T_EQ_INT(blk, 0);
    T_EQ_INT(ign & (1ull << (SIGPIPE - 1)), 0);
    snprintf(v, sizeof(v), "%s/sendmail", dir);
    config_set(&cfg, "sendmail_command", v, NULL);
    sender_free(s);
}

/* due_index - the keys of the due index (the marker left out); drop: empty it first */
static int due_index(int drop)
{
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    int n = 0, op;

    if (mdb_txn_begin(env, NULL, 0, &txn) != 0)
	return -1;
    if (mdb_dbi_open(txn, "tlsrpt_outbox_due", 0, &dbi) != 0) {
	mdb_txn_abort(txn);
	return -1;
    }
    if (drop) {
	mdb_drop(txn, dbi, 0);
    } else if (mdb_cursor_open(txn, dbi, &cur) == 0) {
	for (op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT)
	    n += k.mv_size >= 4;
	mdb_cursor_close(cur);
    }
    return mdb_txn_commit(txn) == 0 ? n : -1;
}

/* the minute's retry check reads no entry when nothing is due, sent ones least of all */
static void retry_scan_reads_nothing_when_nothing_is_due(void)
{
    tlsrpt_sender *s = sender_new();
    tlsrpt_outbox_entry e;
    int64_t now = (int64_t) time(NULL);
    char domain[32];
    int k, before;
    mt_err err;

    T_ASSERT(s);
    before = due_index(0);
    for (k = 0; k < 100; k++) {
	snprintf(domain, sizeof(domain), "sent%d.test", k);
	entry(&e, 19750, domain, now, "mailto:x@example.test", NULL);
	e.rua[0].state = TLSRPT_SENT;
	T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    }
    entry(&e, 19751, "later.test", now, "mailto:x@example.test", NULL);
    e.rua[0].next = now + 3600;
    T_EQ_INT(tlsrpt_outbox_add(s, &e, &err), 0);
    T_EQ_INT(due_index(0), before + 1);	/* sent entries are not indexed */
    T_EQ_INT(run(s, now), 0);
    T_EQ_INT(tlsrpt_sender_scanned(s), 0);
    /* an outbox from before the index is indexed when the sender opens it */
    sender_free(s);
    T_EQ_INT(due_index(1), 0);
    s = sender_new();
    T_ASSERT(s);
    T_EQ_INT(due_index(0), before + 1);
    sender_free(s);
}

int main(void)
{
    atexit(stop_sink);		/* even when a check aborts */
    if (setup() < 0 || start_sink(0) < 0) {
	printf("FAIL: setup: cannot make the test directory, keys or HTTPS sink\n");
	stop_sink();
	return 1;
    }
    T_RUN(https_and_mailto_deliveries);
    T_RUN(failing_endpoint_is_retried);
    T_RUN(given_up_after_report_retry);
    T_RUN(internal_addresses_are_refused);
    T_RUN(prune_keeps_pending);
    T_RUN(deliveries_are_limited_and_queued);
    T_RUN(sendmail_starts_with_default_signals);
    T_RUN(retry_scan_reads_nothing_when_nothing_is_due);
    stop_sink();
    evloop_free(loop);
    mdb_env_close(env);
    config_free(&cfg);
    sh("rm -rf %s", dir);
    return t_done();
}
