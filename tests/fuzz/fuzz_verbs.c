/*
 * NAME
 *	fuzz_verbs - libFuzzer target for the daemon's request path
 * DESCRIPTION
 *	A real server (daemon/server.c) with the real verbs, policy cache
 *	and LMDB store (in a temporary directory) serves one client socket;
 *	each input is written to that socket as-is (several lines, binary,
 *	over-long lines, partial lines), and the loop runs until every
 *	answer owed is out. The discovery engine is a stand-in that answers
 *	every flight from the loop with a result chosen by the domain's
 *	first letter (policy, no record, DNS failure, fetch failure), so the
 *	waiting paths run too. Sanitizers catch what goes wrong; the
 *	invariant checked here is that every answer line starts with a
 *	status word.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "server.h"
#include "store.h"
#include "verbs.h"

static evloop *loop;
static mtasts_config cfg;
static store *st;
static policy_cache *pc;
static verbs *vb;
static server *srv;
static char sock_path[108];
static int client = -1;
static char state_dir[64];

/* cleanup - remove the temporary state at exit */
static void cleanup(void)
{
    char cmd[128];

    if (state_dir[0]) {
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
	if (system(cmd) != 0)
	    return;
    }
}

typedef struct job {
    disc_cb cb;
    void *arg;
    disc_result *r;
} job;

static void job_fire(evloop *l, void *arg)
{
    job *j = arg;

    (void) l;
    j->cb(j->r, j->arg);
    free(j);
}

/* fake_start - answer from the loop, by the domain's first letter */
static int fake_start(void *engine, const char *domain, unsigned flags, const char *known_id,
		      disc_cb cb, void *arg)
{
    job *j = calloc(1, sizeof(*j));
    disc_result *r = calloc(1, sizeof(*r));

    (void) engine;
    (void) known_id;
    j->cb = cb;
    j->arg = arg;
    j->r = r;
    snprintf(r->domain, sizeof(r->domain), "%s", domain);
    strcpy(r->id, "fuzz1");
    if (flags & DISC_TXT_ONLY) {
	r->status = DISC_TXT_OK;
	r->mx_outcome = DNS_OK;
	r->n_mx = 1;
	strcpy(r->mx[0].host, "mx.example.com");
	r->mx[0].tlsa_usable = domain[0] & 1;
    } else if (domain[0] < 'h') {
	r->status = DISC_POLICY;
	r->policy.mode = (policy_mode) (domain[0] % 3);
	r->policy.max_age = 86400;
	r->policy.n_mx = 2;
	r->policy.mx = calloc(2, sizeof(char *));
	r->policy.mx[0] = strdup("mx.example.com");
	r->policy.mx[1] = strdup("*.example.net");
	r->policy_text = strdup("version: STSv1\nmode: enforce\nmx: mx.example.com\n");
    } else if (domain[0] < 'p') {
	r->status = DISC_NO_POLICY;
    } else if (domain[0] < 'u') {
	r->status = DISC_TEMPFAIL;
	r->txt_outcome = DNS_SERVFAIL;
    } else {
	r->status = DISC_NO_POLICY;
	r->fetched = 1;
	r->failure = FETCH_FAIL_WEBPKI_INVALID;
    }
    evloop_timer(loop, 0, job_fire, j);
    return 0;
}

/* dial - a fresh client connection */
static void dial(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    if (client >= 0)
	close(client);
    client = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    strcpy(sa.sun_path, sock_path);
    if (connect(client, (struct sockaddr *) &sa, sizeof(sa)) < 0)
	abort();
}

/* setup - the daemon's parts, once */
static void setup(void)
{
    char dir[] = "/tmp/fuzz_verbs.XXXXXX";
    pc_backend be = {fake_start, discovery_result_free, NULL};
    srv_limits lim = {64, 1024, 60000, 0, 0};
    verbs_env env = {0};
    mt_err err;
    int fd;

    log_open("fuzz_verbs", 1, 0);
    config_defaults(&cfg);
    cfg.answer_deadline_ms = 50;
    cfg.failure_recheck_interval_ms = 0;
    if (mkdtemp(dir) == NULL)
	abort();
    snprintf(state_dir, sizeof(state_dir), "%s", dir);
    atexit(cleanup);
    loop = evloop_new();
    if ((st = store_open(dir, 8 << 20, &err)) == NULL)
	abort();
    if ((pc = pc_new(loop, &cfg, st, &be, &err)) == NULL)
	abort();
    env.cfg = &cfg;
    env.pc = pc;
    env.st = st;
    env.loop = loop;
    vb = verbs_new(&env);
    snprintf(sock_path, sizeof(sock_path), "%s/s", dir);
    if ((fd = server_bind(sock_path, 0600, (uid_t) -1, (gid_t) -1, &err)) < 0)
	abort();
    srv = server_new(loop, fd, &lim, verbs_handle, vb);
    verbs_set_server(vb, srv);
    dial();
}

/* check_lines - every complete answer line starts with a status word (or
 * is a "list" line); a partial line waits for the rest, across inputs */
static char line[1 << 16];
static size_t len;
static int overflow;

static void check_lines(const char *data, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
	if (data[i] != '\n') {
	    if (len < sizeof(line) - 1)
		line[len++] = data[i];
	    else
		overflow = 1;
	    continue;
	}
	line[len] = 0;
	if (!overflow && strncmp(line, "ok", 2) && strncmp(line, "none", 4)
	    && strncmp(line, "tempfail", 8) && strncmp(line, "error", 5)
	    && strncmp(line, "domain=", 7))
	    abort();
	len = 0;
	overflow = 0;
    }
}

/* drop_partial - a new connection: a partial line of the old one is gone */
static void drop_partial(void)
{
    len = 0;
    overflow = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char in[1 << 16];
    size_t off = 0;
    int i, quiet = 0;

    if (loop == NULL)
	setup();
    if (size > 8192)
	size = 8192;
    for (i = 0; i < 2000 && quiet < 3; i++) {
	ssize_t n;

	if (off < size) {
	    n = write(client, data + off, size - off);
	    if (n > 0)
		off += (size_t) n;
	}
	if (evloop_run_once(loop, 0) == 0 && off >= size)
	    quiet++;
	else
	    quiet = 0;
	while ((n = read(client, in, sizeof(in))) > 0)
	    check_lines(in, (size_t) n);
	if (n == 0) {			/* closed by the server (e.g. a long line) */
	    drop_partial();
	    dial();
	    break;
	}
    }
    return 0;
}
