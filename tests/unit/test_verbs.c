/* test_verbs - answer formats of daemon/verbs.c that Exim's configuration reads */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"
#include "server.h"
#include "stats_table.h"
#include "store.h"
#include "verbs.h"
#include "t.h"

/* design.md "How": our pattern -> anchored, case-insensitive regex for
 * ignore_target_hosts, negated so that the host is kept */
static void allowed_item_for_a_name(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "mx1.example.com"), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)mx1\\.example\\.com$");
    buf_free(&b);
}

/* RFC 8461 §4.1: "*.example.com" matches exactly one left-most label */
static void allowed_item_for_a_wildcard_is_one_label(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "*.example.com"), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)[^.]+\\.example\\.com$");
    buf_free(&b);
}

static void allowed_item_drops_a_trailing_dot(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "mx.example.com."), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)mx\\.example\\.com$");
    buf_free(&b);
}

/* the items need no percent-encoding: no space, '%' or '"' */
static void allowed_items_need_no_encoding(void)
{
    buf b = {0};
    size_t i;

    verbs_allowed_item(&b, "*.a-b.example.com");
    for (i = 0; i < b.len; i++)
	T_ASSERT(b.data[i] > 0x20 && b.data[i] < 0x7f && b.data[i] != '%' && b.data[i] != '"');
    buf_free(&b);
}

/* ---- a whole request path: server, verbs, cache, store; no network ---- */

static int never_start(void *engine, const char *domain, unsigned flags, const char *known_id,
		       disc_cb cb, void *arg)
{
    (void) engine, (void) domain, (void) flags, (void) known_id, (void) cb, (void) arg;
    return -1;				/* no network in this test */
}

static void never_free(disc_result *r)
{
    free(r);
}

static srv_result ext_echo(void *arg, srv_conn *c, struct proto_req *req, buf *out)
{
    (void) arg;
    (void) c;
    buf_puts(out, "ok");
    proto_put_kv(out, "echo", req->argv[0], req->argl[0]);
    buf_putc(out, '\n');
    return SRV_DONE;
}

static void other_modules_add_verbs(void)
{
    char dir[] = "/tmp/test_verbs.XXXXXX", sock[128], got[8192];
    pc_backend be = {never_start, never_free, NULL};
    srv_limits lim = {16, 1024, 60000, 0, 0};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    mtasts_config cfg;
    verbs_env env = {0};	/* fields this test does not set (rf) stay NULL */
    mt_err err;
    evloop *loop;
    store *st;
    policy_cache *pc;
    verbs *v;
    server *srv;
    int fd, cl, i;
    size_t n = 0, k;
    const char req[] = "echo b64:aGVsbG8gd29ybGQ=\nsecret x\necho\nstats\n";

    T_ASSERT(mkdtemp(dir) != NULL);
    config_defaults(&cfg);
    loop = evloop_new();
    st = store_open(dir, 8 << 20, &err);
    pc = pc_new(loop, &cfg, st, &be, &err);
    env.cfg = &cfg;
    env.pc = pc;
    env.st = st;
    env.loop = loop;
    v = verbs_new(&env);
    T_EQ_INT(verbs_add(v, "echo", 1, 1, 0, ext_echo, NULL), 0);
    T_EQ_INT(verbs_add(v, "echo", 1, 1, 0, ext_echo, NULL), -1);	/* taken */
    T_EQ_INT(verbs_add(v, "policy", 1, 1, 0, ext_echo, NULL), -1);	/* built in */
    T_EQ_INT(verbs_add(v, "secret", 1, 1, 1, ext_echo, NULL), 0);
    snprintf(sock, sizeof(sock), "%s/s", dir);
    fd = server_bind(sock, 0600, (uid_t) -1, (gid_t) -1, &err);
    srv = server_new(loop, fd, &lim, verbs_handle, v);
    verbs_set_server(v, srv);
    strcpy(sa.sun_path, sock);
    cl = socket(AF_UNIX, SOCK_STREAM, 0);
    T_EQ_INT(connect(cl, (struct sockaddr *) &sa, sizeof(sa)), 0);
    fcntl(cl, F_SETFL, O_NONBLOCK);
    T_EQ_INT(write(cl, req, sizeof(req) - 1), (long) sizeof(req) - 1);
    for (i = 0; i < 200; i++) {
	ssize_t r;

	evloop_run_once(loop, 5);
	if ((r = read(cl, got + n, sizeof(got) - 1 - n)) > 0)
	    n += (size_t) r;
	got[n] = 0;
	if (strstr(got, "requests_echo=") && got[n - 1] == '\n')
	    break;
    }
    T_ASSERT(strncmp(got, "ok echo=hello%20world\nok echo=x\nerror reason=usage\nok ", 53) == 0);
    T_ASSERT(strstr(got, " requests_echo=2 ") != NULL);
    T_ASSERT(strstr(got, " requests_secret=1 ") != NULL);
    /* stats_table.c is the whole answer: every value of it, none without
     * a kind (the refresh and TLS-RPT values only with those modules) */
    for (k = 0; k < stats_count; k++) {
	char want[64];

	snprintf(want, sizeof(want), " %s=", stats_table[k].name);
	T_ASSERT((strstr(got, want) != NULL)
		 == (stats_table[k].src != STATS_REFRESH && stats_table[k].src != STATS_TLSRPT));
    }
    close(cl);
    server_free(srv);
    pc_free(pc);
    verbs_free(v);
    store_close(st);
    evloop_free(loop);
    config_free(&cfg);
    T_EQ_INT(t_rmtree(dir), 0);
}

int main(void)
{
    T_RUN(other_modules_add_verbs);
    T_RUN(allowed_item_for_a_name);
    T_RUN(allowed_item_for_a_wildcard_is_one_label);
    T_RUN(allowed_item_drops_a_trailing_dot);
    T_RUN(allowed_items_need_no_encoding);
    return t_done();
}
