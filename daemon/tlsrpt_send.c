/*
 * NAME
 *	tlsrpt_send - the report outbox and its deliveries: https: POST and mailto:
 * DESCRIPTION
 *	See tlsrpt_send.h. An outbox entry is stored as a small JSON
 *	document (jansson), so `mtasts report show` and a person with
 *	mdb_dump can read it. An https: delivery resolves its host and
 *	POSTs with discovery's resolver and libcurl client (below); sendmail runs as a child whose
 *	stdin we feed without blocking and whose exit a pidfd tells us.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <lmdb.h>

#include "buf.h"
#include "mt_err.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "fetch.h"
#include "log.h"
#include "store.h"
#include "tlsrpt_mail.h"
#include "tlsrpt_report.h"
#include "tlsrpt_send.h"

extern char **environ;

#define DB_OUTBOX "tlsrpt_outbox"
#define DB_DUE "tlsrpt_outbox_due"	/* key: an outbox key; value: its earliest pending next */
#define DUE_MARKER "v1"		/* in DB_DUE once it indexes the whole outbox (3 bytes) */
#define ERROR_MAX 300		/* last_error kept */

typedef struct job job;

struct tlsrpt_sender {
    evloop *loop;
    const mtasts_config *cfg;
    MDB_env *env;
    MDB_dbi outbox, due;
    discovery *disc;
    unsigned scanned;		/* entries the last run read */
    job *jobs;			/* under way or queued */
    job *qhead, *qtail;		/* queued, waiting for a free place (FIFO) */
    unsigned active;		/* started, at most TLSRPT_SEND_PARALLEL */
    int starting;		/* pump() is on the stack */
    unsigned run_sent, run_failed, run_open;
    tlsrpt_run_cb done;
    void *done_arg;
};

/* One delivery under way */
struct job {
    job *next;
    job *qnext;			/* in the queue */
    int active;			/* started (counts in s->active) */
    tlsrpt_sender *s;
    uint32_t day;
    char domain[256];
    char uri[1024];
    /* https */
    char host[256];
    int port;
    int resolving;		/* waiting for discovery's answer */
    fetch_req *post;
    /* mailto */
    pid_t pid;
    int pidfd, in_fd;
    ev_timer *kill_timer;
    size_t off;
    buf body;			/* gzipped report, or the mail message */
};

/* ---------------------------------------------------------------- outbox */

/* outbox_key - day (big-endian) then the domain */
static size_t outbox_key(uint32_t day, const char *domain, unsigned char *k, size_t ksz)
{
    size_t n = strlen(domain);

    if (n + 4 > ksz)
	n = ksz - 4;
    k[0] = (unsigned char) (day >> 24), k[1] = (unsigned char) (day >> 16);
    k[2] = (unsigned char) (day >> 8), k[3] = (unsigned char) day;
    memcpy(k + 4, domain, n);
    return n + 4;
}

static const char *const state_names[] = {"pending", "sent", "failed"};

/* entry_encode - an outbox entry as JSON text */
static char *entry_encode(const tlsrpt_outbox_entry *e)
{
    json_t *o = json_object(), *a = json_array();
    char *text;
    size_t i;

    for (i = 0; i < e->n_rua; i++) {
	const tlsrpt_delivery *d = &e->rua[i];

	json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "uri", d->uri,
					   "state", state_names[d->state],
					   "attempts", (json_int_t) d->attempts,
					   "next", (json_int_t) d->next, "done", (json_int_t) d->done,
					   "last-error", d->last_error ? d->last_error : ""));
    }
    json_object_set_new(o, "day", json_integer(e->day));
    json_object_set_new(o, "domain", json_string(e->domain));
    json_object_set_new(o, "report-id", json_string(e->report_id));
    json_object_set_new(o, "created", json_integer(e->created));
    json_object_set_new(o, "json", json_string(e->json));
    json_object_set_new(o, "rua", a);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* sdup - strdup of a JSON string member, NULL when absent */
static char *sdup(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? strdup(s) : NULL;
}

/* entry_decode - an outbox entry from its JSON text */
static int entry_decode(const char *text, size_t len, tlsrpt_outbox_entry *e)
{
    json_t *o = json_loadb(text, len, 0, NULL), *a, *d;
    size_t i;

    memset(e, 0, sizeof(*e));
    if (o == NULL)
	return -1;
    e->day = (uint32_t) json_integer_value(json_object_get(o, "day"));
    e->domain = sdup(o, "domain");
    e->report_id = sdup(o, "report-id");
    e->json = sdup(o, "json");
    e->created = json_integer_value(json_object_get(o, "created"));
    a = json_object_get(o, "rua");
    json_array_foreach(a, i, d) {
	tlsrpt_delivery *r;
	const char *st = json_string_value(json_object_get(d, "state"));

	if (e->n_rua >= TLSRPT_MAX_RUA)
	    break;
	r = &e->rua[e->n_rua++];
	r->uri = sdup(d, "uri");
	r->state = st && strcmp(st, "sent") == 0 ? TLSRPT_SENT
	    : st && strcmp(st, "failed") == 0 ? TLSRPT_FAILED : TLSRPT_PENDING;
	r->attempts = (unsigned) json_integer_value(json_object_get(d, "attempts"));
	r->next = json_integer_value(json_object_get(d, "next"));
	r->done = json_integer_value(json_object_get(d, "done"));
	r->last_error = sdup(d, "last-error");
    }
    json_decref(o);
    if (e->domain == NULL || e->report_id == NULL || e->json == NULL) {
	tlsrpt_outbox_entry_free(e);
	return -1;
    }
    return 0;
}

/* tlsrpt_outbox_entry_free - release an entry's strings */
void tlsrpt_outbox_entry_free(tlsrpt_outbox_entry *e)
{
    size_t i;

    for (i = 0; i < e->n_rua; i++) {
	free(e->rua[i].uri);
	free(e->rua[i].last_error);
    }
    free(e->domain);
    free(e->report_id);
    free(e->json);
    memset(e, 0, sizeof(*e));
}

/* entry_next_due - the earliest next of an entry's pending deliveries; -1: none pending */
static int64_t entry_next_due(const tlsrpt_outbox_entry *e)
{
    int64_t next = -1;
    size_t i;

    for (i = 0; i < e->n_rua; i++)
	if (e->rua[i].state == TLSRPT_PENDING && (next < 0 || e->rua[i].next < next))
	    next = e->rua[i].next;
    return next;
}

/* due_put - index an outbox key by its earliest pending next, or drop it (next < 0) */
static int due_put(MDB_txn *txn, MDB_dbi due, MDB_val *k, int64_t next)
{
    MDB_val v = {sizeof(next), &next};
    int rc;

    if (next >= 0)
	return mdb_put(txn, due, k, &v, 0);
    rc = mdb_del(txn, due, k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

typedef struct put_job {
    MDB_dbi dbi, due;
    MDB_val k, v;
    unsigned flags;
    int64_t next;		/* entry_next_due() */
} put_job;

/* put_one - the entry and its index line, in one transaction */
static int put_one(MDB_txn *txn, void *arg)
{
    put_job *j = arg;
    int rc;

    if ((rc = mdb_put(txn, j->dbi, &j->k, &j->v, j->flags)) != 0)
	return rc;
    return due_put(txn, j->due, &j->k, j->next);
}

/* put_entry - write an entry (noover: only when new); 0, 1 exists, -1 */
static int put_entry(tlsrpt_sender *s, const tlsrpt_outbox_entry *e, int noover, mt_err *err)
{
    unsigned char k[4 + 256];
    char *text = entry_encode(e), what[STORE_WHAT_MAX];
    put_job j;
    int rc;

    if (text == NULL) {
	mt_err_set(err, 0, 0, NULL, "outbox %s: cannot encode", e->domain);
	return -1;
    }
    j.dbi = s->outbox;
    j.due = s->due;
    j.next = entry_next_due(e);
    j.k.mv_size = outbox_key(e->day, e->domain, k, sizeof(k)), j.k.mv_data = k;
    j.v.mv_size = strlen(text), j.v.mv_data = text;
    j.flags = noover ? MDB_NOOVERWRITE : 0;
    snprintf(what, sizeof(what), "the TLS-RPT report of %s", e->domain);
    rc = store_write(s->env, what, j.k.mv_size + j.v.mv_size, put_one, &j, err);
    free(text);
    if (rc == MDB_KEYEXIST)
	return 1;
    if (rc != 0) {
	if (rc != MDB_MAP_FULL)		/* full: the store's err names the report */
	    mt_err_set(err, 0, 0, NULL, "outbox %s: %s", e->domain, mdb_strerror(rc));
	return -1;
    }
    return 0;
}

/* tlsrpt_outbox_add - store a newly built report */
int tlsrpt_outbox_add(tlsrpt_sender *s, const tlsrpt_outbox_entry *e, mt_err *err)
{
    return put_entry(s, e, 1, err);
}

/* tlsrpt_outbox_get - one entry by day and domain */
int tlsrpt_outbox_get(tlsrpt_sender *s, uint32_t day, const char *domain,
		      tlsrpt_outbox_entry *out, mt_err *err)
{
    unsigned char k[4 + 256];
    MDB_txn *txn;
    MDB_val kv, vv;
    int rc, found = 0;

    kv.mv_size = outbox_key(day, domain, k, sizeof(k)), kv.mv_data = k;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
	mt_err_set(err, 0, 0, NULL, "outbox: %s", mdb_strerror(rc));
	return -1;
    }
    if (mdb_get(txn, s->outbox, &kv, &vv) == 0) {
	found = entry_decode(vv.mv_data, vv.mv_size, out) == 0 ? 1 : -1;
	if (found < 0)
	    mt_err_set(err, 0, 0, NULL, "outbox %s: unreadable entry", domain);
    }
    mdb_txn_abort(txn);
    return found;
}

/* tlsrpt_outbox_has - is (day, domain) in the outbox? No decoding */
int tlsrpt_outbox_has(tlsrpt_sender *s, uint32_t day, const char *domain, mt_err *err)
{
    unsigned char k[4 + 256];
    MDB_txn *txn;
    MDB_val kv, vv;
    int rc;

    kv.mv_size = outbox_key(day, domain, k, sizeof(k)), kv.mv_data = k;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0) {
	mt_err_set(err, 0, 0, NULL, "outbox: %s", mdb_strerror(rc));
	return -1;
    }
    rc = mdb_get(txn, s->outbox, &kv, &vv);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND) {
	mt_err_set(err, 0, 0, NULL, "outbox %s: %s", domain, mdb_strerror(rc));
	return -1;
    }
    return rc == 0;
}

/* tlsrpt_outbox_list - each entry of a day (0: all days) */
int tlsrpt_outbox_list(tlsrpt_sender *s, uint32_t day, tlsrpt_outbox_cb cb, void *arg,
		       mt_err *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val kv, vv;
    unsigned char k[4];
    int rc, op = day ? MDB_SET_RANGE : MDB_FIRST;

    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0
	|| (rc = mdb_cursor_open(txn, s->outbox, &cur)) != 0) {
	if (rc != 0 && txn)
	    mdb_txn_abort(txn);
	mt_err_set(err, 0, 0, NULL, "outbox: %s", mdb_strerror(rc));
	return -1;
    }
    outbox_key(day, "", k, sizeof(k));
    kv.mv_size = 4, kv.mv_data = k;
    for (; mdb_cursor_get(cur, &kv, &vv, op) == 0; op = MDB_NEXT) {
	tlsrpt_outbox_entry e;
	int stop;

	if (day && (kv.mv_size < 4 || memcmp(kv.mv_data, k, 4) != 0))
	    break;
	if (entry_decode(vv.mv_data, vv.mv_size, &e) < 0)
	    continue;
	stop = cb(&e, arg);
	tlsrpt_outbox_entry_free(&e);
	if (stop)
	    break;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}

typedef struct prune_job {
    tlsrpt_sender *s;
    uint32_t first_kept_day;
} prune_job;

/* prune_txn - tlsrpt_outbox_prune()'s transaction */
static int prune_txn(MDB_txn *txn, void *arg)
{
    prune_job *j = arg;
    MDB_cursor *cur;
    MDB_val kv, vv;
    int rc;

    if ((rc = mdb_cursor_open(txn, j->s->outbox, &cur)) != 0)
	return rc;
    rc = mdb_cursor_get(cur, &kv, &vv, MDB_FIRST);
    while (rc == 0) {
	const unsigned char *kb = kv.mv_data;
	uint32_t d = (uint32_t) kb[0] << 24 | (uint32_t) kb[1] << 16 | (uint32_t) kb[2] << 8 | kb[3];
	tlsrpt_outbox_entry e;
	size_t i;
	int open = 0;

	if (d >= j->first_kept_day)
	    break;
	if (entry_decode(vv.mv_data, vv.mv_size, &e) == 0) {
	    for (i = 0; i < e.n_rua; i++)
		open |= e.rua[i].state == TLSRPT_PENDING;
	    tlsrpt_outbox_entry_free(&e);
	}
	if (!open) {
	    unsigned char kb2[4 + 256];
	    MDB_val k2 = {kv.mv_size < sizeof(kb2) ? kv.mv_size : sizeof(kb2), kb2};

	    memcpy(kb2, kv.mv_data, k2.mv_size);
	    if ((rc = mdb_cursor_del(cur, 0)) != 0 || (rc = due_put(txn, j->s->due, &k2, -1)) != 0)
		break;
	}
	rc = mdb_cursor_get(cur, &kv, &vv, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* tlsrpt_outbox_prune - drop old entries that have nothing left to send */
int tlsrpt_outbox_prune(tlsrpt_sender *s, uint32_t first_kept_day, mt_err *err)
{
    prune_job j = {s, first_kept_day};
    int rc;

    if ((rc = store_write(s->env, "the TLS-RPT outbox prune", 0, prune_txn, &j, err)) != 0) {
	if (rc != MDB_MAP_FULL)
	    mt_err_set(err, 0, 0, NULL, "outbox prune: %s", mdb_strerror(rc));
	return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- results */

static void pump(tlsrpt_sender *s);

/* job_end - record a delivery's outcome in the outbox and free the job */
static void job_end(job *j, int ok, const char *why)
{
    tlsrpt_sender *s = j->s;
    tlsrpt_outbox_entry e;
    int64_t now = (int64_t) time(NULL);
    job **pp;
    mt_err err;
    size_t i;

    if (tlsrpt_outbox_get(s, j->day, j->domain, &e, &err) == 1) {
	for (i = 0; i < e.n_rua; i++) {
	    tlsrpt_delivery *d = &e.rua[i];
	    int64_t wait;

	    if (strcmp(d->uri, j->uri) != 0 || d->state != TLSRPT_PENDING)
		continue;
	    d->attempts++;
	    free(d->last_error);
	    d->last_error = why ? strndup(why, ERROR_MAX) : NULL;
	    if (ok) {
		d->state = TLSRPT_SENT;
		d->done = now;
		log_msg(LOG_INFO, "tlsrpt: report %s for %s sent to %s", e.report_id, e.domain,
			d->uri);
		break;
	    }
	    wait = TLSRPT_RETRY_FIRST;
	    for (unsigned a = 1; a < d->attempts && wait < TLSRPT_RETRY_MAX; a++)
		wait *= 2;
	    if (wait > TLSRPT_RETRY_MAX)
		wait = TLSRPT_RETRY_MAX;
	    d->next = now + wait;
	    if (d->next > e.created + (int64_t) (s->cfg->report_retry_ms / 1000)) {
		d->state = TLSRPT_FAILED;
		d->done = now;
		log_msg(LOG_WARNING, "tlsrpt: report %s for %s to %s: giving up after %u "
			"attempts (RFC 8460 §5.4): %s", e.report_id, e.domain, d->uri,
			d->attempts, why ? why : "failed");
	    } else
		log_msg(LOG_NOTICE, "tlsrpt: report %s for %s to %s failed (attempt %u), "
			"retry in %llds: %s", e.report_id, e.domain, d->uri, d->attempts,
			(long long) wait, why ? why : "failed");
	    break;
	}
	if (put_entry(s, &e, 0, &err) < 0)
	    log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
	tlsrpt_outbox_entry_free(&e);
    }
    if (ok)
	s->run_sent++;
    else
	s->run_failed++;
    for (pp = &s->jobs; *pp; pp = &(*pp)->next)
	if (*pp == j) {
	    *pp = j->next;
	    break;
	}
    if (j->active)
	s->active--;
    buf_free(&j->body);
    free(j);
    if (--s->run_open == 0) {	/* nothing queued either */
	if (s->done) {
	    tlsrpt_run_cb cb = s->done;

	    s->done = NULL;
	    cb(s->done_arg, s->run_sent, s->run_failed);
	}
	return;
    }
    pump(s);			/* a place is free */
}

/* ---------------------------------------------------------------- https */

/*
 * An https: delivery is two steps on the daemon's own machinery: the
 * report host's addresses through discovery (libunbound, DNSSEC-aware,
 * the address filter of policy fetches: DISC_ADDRESSES), then the POST
 * through discovery's libcurl client with those addresses handed over by
 * CURLOPT_RESOLVE (fetch_post()), so libcurl never resolves a name itself.
 */

/* posted - the POST's outcome */
static void posted(fetch_result *res, void *arg)
{
    job *j = arg;

    j->post = NULL;
    if (res->failure == FETCH_FAIL_NONE)
	job_end(j, 1, NULL);
    else
	job_end(j, 0, res->reason);
}

/* on_addresses - the report host's addresses are known: POST */
static void on_addresses(disc_result *r, void *arg)
{
    job *j = arg;
    tlsrpt_sender *s = j->s;
    const char *addrs[DISC_MAX_ADDR];
    char why[DISC_REASON_MAX + 32];
    size_t i;

    j->resolving = 0;
    if (r->status != DISC_TXT_OK) {
	snprintf(why, sizeof(why), "%s", r->reason);
	discovery_result_free(r);
	job_end(j, 0, why);
	return;
    }
    for (i = 0; i < r->n_policy_addr; i++)
	addrs[i] = r->policy_addr[i];
    j->post = fetch_post(discovery_fetcher(s->disc), j->uri, j->host, j->port,
			 "application/tlsrpt+gzip", j->body.data, j->body.len, addrs,
			 r->n_policy_addr, posted, j);
    discovery_result_free(r);
    if (j->post == NULL)
	job_end(j, 0, "out of memory starting the POST");
}

/* start_https - POST the gzipped report (RFC 8460 §5.2) */
static int start_https(tlsrpt_sender *s, job *j, const tlsrpt_outbox_entry *e)
{
    CURLU *u;
    char *host = NULL, *port = NULL;
    mt_err err;
    int rc = -1;

    if (s->disc == NULL || tlsrpt_gzip(e->json, strlen(e->json), &j->body, &err) < 0)
	return -1;
    if ((u = curl_url()) == NULL)
	return -1;
    if (curl_url_set(u, CURLUPART_URL, j->uri, 0) == CURLUE_OK
	&& curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
	&& curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK
	&& strlen(host) < sizeof(j->host)) {
	snprintf(j->host, sizeof(j->host), "%s", host);
	j->port = atoi(port);
	j->resolving = 1;
	rc = discovery_start(s->disc, j->host, DISC_ADDRESSES | DISC_PORT(j->port), NULL,
			     on_addresses, j);
	if (rc < 0)
	    j->resolving = 0;
    } else
	log_msg(LOG_WARNING, "tlsrpt: %s: unusable https: URI %s", e->domain, j->uri);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* -------------------------------------------------------------- mailto */

/* child_exited - the pidfd is readable: sendmail has ended */
static void child_exited(evloop *loop, int fd, unsigned ev, void *arg)
{
    job *j = arg;
    int status = 0;
    char why[64];

    (void) ev;
    evloop_unwatch(loop, fd);
    close(fd);
    j->pidfd = -1;
    if (j->in_fd >= 0) {
	evloop_unwatch(loop, j->in_fd);
	close(j->in_fd);
	j->in_fd = -1;
    }
    if (j->kill_timer)
	evloop_timer_cancel(loop, j->kill_timer);
    j->kill_timer = NULL;
    if (waitpid(j->pid, &status, 0) < 0)
	status = -1;
    if (WIFEXITED(status))
	snprintf(why, sizeof(why), "sendmail exit status %d", WEXITSTATUS(status));
    else
	snprintf(why, sizeof(why), "sendmail killed by signal %d",
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    job_end(j, WIFEXITED(status) && WEXITSTATUS(status) == 0 && j->off == j->body.len, why);
}

/* child_timeout - sendmail takes too long */
static void child_timeout(evloop *loop, void *arg)
{
    job *j = arg;

    (void) loop;
    j->kill_timer = NULL;
    kill(j->pid, SIGKILL);	/* the pidfd then says it ended */
}

/* child_writable - feed sendmail the message without blocking */
static void child_writable(evloop *loop, int fd, unsigned ev, void *arg)
{
    job *j = arg;
    ssize_t n;

    (void) ev;
    while (j->off < j->body.len) {
	n = write(fd, j->body.data + j->off, j->body.len - j->off);
	if (n < 0 && errno == EAGAIN)
	    return;
	if (n <= 0)
	    break;		/* EPIPE: its exit status will tell */
	j->off += (size_t) n;
    }
    evloop_unwatch(loop, fd);
    close(fd);
    j->in_fd = -1;
}

/* start_mail - build the §5.3 message and hand it to sendmail_command */
static int start_mail(tlsrpt_sender *s, job *j, const tlsrpt_outbox_entry *e)
{
    const mtasts_config *cfg = s->cfg;
    char addr[TLSRPT_ADDR_MAX], *key = NULL, *cmd = NULL, *argv[40], *tok, *save;
    char msgid[TLSRPT_MSGID_MAX];
    tlsrpt_mail_opts o;
    buf gz = {0}, msg = {0};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t sa;
    sigset_t none, dfl;
    int pfd[2] = {-1, -1}, argc = 0, rc = -1, devnull;
    mt_err err;
    size_t i;

    if (tlsrpt_mailto_address(j->uri, addr, sizeof(addr)) < 0) {
	log_msg(LOG_WARNING, "tlsrpt: %s: unusable mailto: URI %s", e->domain, j->uri);
	return -1;
    }
    if (cfg->report_from == NULL || cfg->report_submitter == NULL) {
	log_msg(LOG_ERR, "tlsrpt: %s: report_from and report_submitter must be set to mail "
		"reports", e->domain);
	return -1;
    }
    if (cfg->dkim_key_file && (key = tlsrpt_dkim_key_load(cfg->dkim_key_file, &err)) == NULL) {
	log_msg(LOG_ERR, "tlsrpt: %s: %s", e->domain, err.msg);
	return -1;
    }
    memset(&o, 0, sizeof(o));
    o.from = cfg->report_from;
    o.to = addr;
    o.domain = e->domain;
    o.submitter = cfg->report_submitter;
    o.organization = cfg->organization_name;
    o.report_id = e->report_id;
    /* one Message-ID per recipient and per attempt; Report-ID stays in the Subject */
    for (i = 0; i < e->n_rua && strcmp(e->rua[i].uri, j->uri) != 0; i++)
	;
    if (tlsrpt_message_id(e->report_id, (unsigned) i, i < e->n_rua ? e->rua[i].attempts + 1 : 0,
			  msgid, sizeof(msgid)) == 0)
	o.message_id = msgid;
    o.day = e->day;
    o.date = (int64_t) time(NULL);
    o.dkim_key = key;
    o.dkim_selector = cfg->dkim_selector;
    o.dkim_domain = cfg->dkim_domain;
    if (tlsrpt_gzip(e->json, strlen(e->json), &gz, &err) < 0
	|| tlsrpt_mail_build(&o, gz.data, gz.len, &msg, &err) < 0) {
	log_msg(LOG_ERR, "tlsrpt: %s: %s", e->domain, err.msg);
	goto out;
    }
    /* sendmail reads local line ends: CRLF -> LF */
    for (i = 0; i < msg.len; i++)
	if (!(msg.data[i] == '\r' && i + 1 < msg.len && msg.data[i + 1] == '\n'))
	    buf_putc(&j->body, msg.data[i]);
    if ((cmd = strdup(cfg->sendmail_command)) == NULL)
	goto out;
    for (tok = strtok_r(cmd, " \t", &save); tok && argc < 36; tok = strtok_r(NULL, " \t", &save))
	argv[argc++] = tok;
    if (argc == 0)
	goto out;
    argv[argc++] = (char *) "-f";
    argv[argc++] = (char *) cfg->report_from;
    argv[argc] = NULL;
    if (pipe2(pfd, O_CLOEXEC) < 0)
	goto out;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0)
	posix_spawn_file_actions_adddup2(&fa, devnull, 1);
    /* sendmail starts as from a shell: no signal blocked (the daemon
     * blocks those it reads through its signalfd), and the ones the
     * daemon ignores or handles (SIGPIPE above all) at their default */
    posix_spawnattr_init(&sa);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGCHLD);
    posix_spawnattr_setsigmask(&sa, &none);
    posix_spawnattr_setsigdefault(&sa, &dfl);
    posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&j->pid, argv[0], &fa, &sa, argv, environ);
    posix_spawnattr_destroy(&sa);
    posix_spawn_file_actions_destroy(&fa);
    if (devnull >= 0)
	close(devnull);
    close(pfd[0]);
    if (rc != 0) {
	log_msg(LOG_ERR, "tlsrpt: %s: cannot run %s: %s", e->domain, argv[0], strerror(rc));
	close(pfd[1]);
	rc = -1;
	goto out;
    }
    j->in_fd = pfd[1];
    fcntl(j->in_fd, F_SETFL, O_NONBLOCK);
    j->pidfd = (int) syscall(SYS_pidfd_open, j->pid, 0);
    if (j->pidfd < 0) {
	/* no pidfd (Linux < 5.3): the child must not be lost; wait for it */
	kill(j->pid, SIGKILL);
	waitpid(j->pid, NULL, 0);
	close(j->in_fd);
	log_msg(LOG_ERR, "tlsrpt: pidfd_open: %s", strerror(errno));
	rc = -1;
	goto out;
    }
    evloop_watch(s->loop, j->in_fd, EV_WRITE, child_writable, j);
    evloop_watch(s->loop, j->pidfd, EV_READ, child_exited, j);
    j->kill_timer = evloop_timer(s->loop, TLSRPT_SEND_TIMEOUT_MS, child_timeout, j);
    rc = 0;
  out:
    if (key) {
	memset(key, 0, strlen(key));
	free(key);
    }
    free(cmd);
    buf_free(&gz);
    buf_free(&msg);
    return rc;
}

/* ---------------------------------------------------------------- runs */

/* under_way - is this delivery already running? */
static int under_way(const tlsrpt_sender *s, uint32_t day, const char *domain, const char *uri)
{
    const job *j;

    for (j = s->jobs; j; j = j->next)
	if (j->day == day && strcmp(j->domain, domain) == 0 && strcmp(j->uri, uri) == 0)
	    return 1;
    return 0;
}

typedef struct run_ctx {
    tlsrpt_sender *s;
    int64_t now;
    uint32_t force_day;		/* deliveries of this day are due now (0: none) */
    int started;
    size_t n;
    struct run_key {
	uint32_t day;
	char *domain;
    } *keys;
} run_ctx;

/* run_entry - start the due deliveries of one entry */
static int run_entry(const tlsrpt_outbox_entry *e, void *arg)
{
    run_ctx *r = arg;
    tlsrpt_sender *s = r->s;
    size_t i;

    for (i = 0; i < e->n_rua; i++) {
	const tlsrpt_delivery *d = &e->rua[i];
	job *j;

	if (d->state != TLSRPT_PENDING || (d->next > r->now && e->day != r->force_day)
	    || under_way(s, e->day, e->domain, d->uri) || strlen(d->uri) >= sizeof(j->uri))
	    continue;
	if ((j = calloc(1, sizeof(*j))) == NULL)
	    return 1;
	j->s = s;
	j->day = e->day;
	j->pidfd = j->in_fd = -1;
	snprintf(j->domain, sizeof(j->domain), "%s", e->domain);
	snprintf(j->uri, sizeof(j->uri), "%s", d->uri);
	j->next = s->jobs;
	s->jobs = j;
	s->run_open++;
	r->started++;
	if (s->qtail)
	    s->qtail->qnext = j;
	else
	    s->qhead = j;
	s->qtail = j;
    }
    return 0;
}

/* start_job - start a queued delivery from its outbox entry as it is now */
static int start_job(tlsrpt_sender *s, job *j)
{
    tlsrpt_outbox_entry e;
    mt_err err;
    size_t i;
    int rc = -1;

    if (tlsrpt_outbox_get(s, j->day, j->domain, &e, &err) != 1)
	return -1;
    for (i = 0; i < e.n_rua; i++)
	if (strcmp(e.rua[i].uri, j->uri) == 0 && e.rua[i].state == TLSRPT_PENDING)
	    break;
    if (i < e.n_rua) {
	if (strncasecmp(j->uri, "https:", 6) == 0)
	    rc = start_https(s, j, &e);
	else if (strncasecmp(j->uri, "mailto:", 7) == 0)
	    rc = start_mail(s, j, &e);
    }
    tlsrpt_outbox_entry_free(&e);
    return rc;
}

/*
 * pump - start queued deliveries while fewer than TLSRPT_SEND_PARALLEL
 * are under way: a run with hundreds of due deliveries neither forks
 * hundreds of sendmail children nor opens hundreds of connections at once.
 */
static void pump(tlsrpt_sender *s)
{
    job *j;

    if (s->starting)
	return;			/* a job_end() inside start_job(): the loop below goes on */
    s->starting = 1;
    while (s->active < TLSRPT_SEND_PARALLEL && (j = s->qhead) != NULL) {
	s->qhead = j->qnext;
	if (s->qhead == NULL)
	    s->qtail = NULL;
	j->qnext = NULL;
	j->active = 1;
	s->active++;
	if (start_job(s, j) < 0)
	    job_end(j, 0, "could not start the delivery");
    }
    s->starting = 0;
}

/*
 * due_keys - the outbox keys with a due delivery, from the index: only
 * entries with a pending delivery are in it, each with its earliest next
 * time, so a scan with nothing due reads no entry and decodes no JSON.
 */
static int due_keys(run_ctx *r, mt_err *err)
{
    tlsrpt_sender *s = r->s;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val kv, vv;
    int rc, op;

    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0
	|| (rc = mdb_cursor_open(txn, s->due, &cur)) != 0) {
	if (rc != 0 && txn)
	    mdb_txn_abort(txn);
	mt_err_set(err, 0, 0, NULL, "outbox index: %s", mdb_strerror(rc));
	return -1;
    }
    for (op = MDB_FIRST; mdb_cursor_get(cur, &kv, &vv, op) == 0; op = MDB_NEXT) {
	const unsigned char *kb = kv.mv_data;
	struct run_key *nk;
	uint32_t day;
	int64_t next;

	if (kv.mv_size < 4 || vv.mv_size != sizeof(next))
	    continue;		/* the marker */
	day = (uint32_t) kb[0] << 24 | (uint32_t) kb[1] << 16 | (uint32_t) kb[2] << 8 | kb[3];
	memcpy(&next, vv.mv_data, sizeof(next));
	if (next > r->now && day != r->force_day)
	    continue;
	if ((nk = realloc(r->keys, (r->n + 1) * sizeof(*nk))) == NULL
	    || (nk[r->n].domain = strndup((const char *) kb + 4, kv.mv_size - 4)) == NULL) {
	    if (nk)
		r->keys = nk;
	    break;
	}
	r->keys = nk;
	nk[r->n++].day = day;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}

/* tlsrpt_sender_run - start every due delivery */
int tlsrpt_sender_run(tlsrpt_sender *s, int64_t now, uint32_t force_day, tlsrpt_run_cb done,
		      void *arg)
{
    run_ctx r = {s, now, force_day, 0, 0, NULL};
    tlsrpt_outbox_entry e;
    mt_err err;
    size_t i;

    s->run_sent = s->run_failed = 0;
    s->done = NULL;
    s->run_open++;		/* a guard: job_end() may run inside */
    /* LMDB: one transaction per thread at a time, so first the keys, then
     * each entry in its own read, and the deliveries with none open */
    if (due_keys(&r, &err) < 0)
	log_msg(LOG_ERR, "tlsrpt: %s", err.msg);
    s->scanned = 0;
    for (i = 0; i < r.n; i++) {
	if (tlsrpt_outbox_get(s, r.keys[i].day, r.keys[i].domain, &e, &err) == 1) {
	    s->scanned++;
	    run_entry(&e, &r);
	    tlsrpt_outbox_entry_free(&e);
	}
	free(r.keys[i].domain);
    }
    free(r.keys);
    pump(s);
    s->run_open--;
    if (s->run_open == 0) {
	if (done)
	    done(arg, s->run_sent, s->run_failed);
    } else {
	s->done = done;
	s->done_arg = arg;
    }
    return r.started;
}

/* tlsrpt_sender_active - deliveries started and not ended */
unsigned tlsrpt_sender_active(const tlsrpt_sender *s)
{
    return s->active;
}

/* tlsrpt_sender_scanned - outbox entries the last run read */
unsigned tlsrpt_sender_scanned(const tlsrpt_sender *s)
{
    return s->scanned;
}

/* tlsrpt_sender_busy - deliveries under way? */
int tlsrpt_sender_busy(const tlsrpt_sender *s)
{
    return s->jobs != NULL;
}

/* open_outbox - tlsrpt_sender_new()'s transaction */
static int open_outbox(MDB_txn *txn, void *arg)
{
    tlsrpt_sender *s = arg;

    int rc = mdb_dbi_open(txn, DB_OUTBOX, MDB_CREATE, &s->outbox);

    return rc ? rc : mdb_dbi_open(txn, DB_DUE, MDB_CREATE, &s->due);
}

/* index_outbox - build the due index of an outbox written before it existed */
static int index_outbox(MDB_txn *txn, void *arg)
{
    tlsrpt_sender *s = arg;
    MDB_cursor *cur;
    MDB_val kv, vv, mk = {3, (void *) DUE_MARKER}, mv = {1, (void *) "1"};
    int rc;

    if (mdb_get(txn, s->due, &mk, &vv) == 0)
	return 0;		/* indexed already */
    if ((rc = mdb_cursor_open(txn, s->outbox, &cur)) != 0)
	return rc;
    for (rc = mdb_cursor_get(cur, &kv, &vv, MDB_FIRST); rc == 0;
	 rc = mdb_cursor_get(cur, &kv, &vv, MDB_NEXT)) {
	tlsrpt_outbox_entry e;
	int64_t next;

	if (entry_decode(vv.mv_data, vv.mv_size, &e) < 0)
	    continue;
	next = entry_next_due(&e);
	tlsrpt_outbox_entry_free(&e);
	if (next >= 0 && (rc = due_put(txn, s->due, &kv, next)) != 0)
	    break;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
	return rc;
    return mdb_put(txn, s->due, &mk, &mv, 0);
}

/* tlsrpt_sender_new - the outbox database; https: through disc */
tlsrpt_sender *tlsrpt_sender_new(evloop *loop, const mtasts_config *cfg, MDB_env *env,
				 discovery *disc, mt_err *err)
{
    tlsrpt_sender *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
	mt_err_set(err, 0, 0, NULL, "tlsrpt sender: out of memory");
	return NULL;
    }
    s->loop = loop;
    s->cfg = cfg;
    s->env = env;
    s->disc = disc;
    if ((rc = store_write(env, "the TLS-RPT outbox database", 0, open_outbox, s, err)) != 0
	|| (rc = store_write(env, "the TLS-RPT outbox index", 0, index_outbox, s, err)) != 0) {
	if (rc != MDB_MAP_FULL)
	    mt_err_set(err, 0, 0, NULL, "tlsrpt outbox: %s", mdb_strerror(rc));
	free(s);
	return NULL;
    }
    return s;
}

/* tlsrpt_sender_free - abandon deliveries under way (they stay pending) */
void tlsrpt_sender_free(tlsrpt_sender *s)
{
    job *j, *next;

    if (s == NULL)
	return;
    for (j = s->jobs; j; j = next) {
	next = j->next;
	if (j->post)
	    fetch_cancel(discovery_fetcher(s->disc), j->post);
	/* a lookup under way (j->resolving) ends with discovery_free(),
	 * which the caller runs after this, the loop stopped: no callback */
	if (j->in_fd >= 0) {
	    evloop_unwatch(s->loop, j->in_fd);
	    close(j->in_fd);
	}
	if (j->pidfd >= 0) {
	    evloop_unwatch(s->loop, j->pidfd);
	    close(j->pidfd);
	    waitpid(j->pid, NULL, 0);
	}
	if (j->kill_timer)
	    evloop_timer_cancel(s->loop, j->kill_timer);
	buf_free(&j->body);
	free(j);
    }
    free(s);
}
