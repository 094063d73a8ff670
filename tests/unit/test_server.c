/* test_server - the socket server (daemon/server.c): order, one-shot, limits */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evloop.h"
#include "server.h"
#include "t.h"

static char sock_path[108];
static evloop *loop;
static server *srv;

typedef struct later {
    srv_pending *p;
    char text[64];
    ev_timer *t;
} later;

static int cancelled;

static void later_fire(evloop *l, void *arg)
{
    later *x = arg;

    (void) l;
    server_complete(x->p, x->text, strlen(x->text));
    free(x);
}

static void later_cancel(void *arg)
{
    later *x = arg;

    evloop_timer_cancel(loop, x->t);
    free(x);
    cancelled++;
}

/* handler - "echo X" now, "slow MS X" after MS, "quit" closes, "priv" */
static srv_result handler(void *ctx, srv_conn *c, const char *line, size_t len, buf *out)
{
    (void) ctx;
    if (len >= 5 && memcmp(line, "slow ", 5) == 0) {
	later *x = calloc(1, sizeof(*x));
	int ms = atoi(line + 5);
	const char *sp = memchr(line + 5, ' ', len - 5);

	snprintf(x->text, sizeof(x->text), "ok %.*s\n", sp ? (int) (line + len - sp - 1) : 0,
		 sp ? sp + 1 : "");
	x->p = server_defer(c, later_cancel, x);
	x->t = evloop_timer(loop, (uint64_t) ms, later_fire, x);
	return SRV_PENDING;
    }
    if (len == 4 && memcmp(line, "quit", 4) == 0) {
	buf_puts(out, "ok bye\n");
	return SRV_CLOSE;
    }
    if (len == 4 && memcmp(line, "priv", 4) == 0) {
	buf_printf(out, "ok priv=%d\n", server_peer_privileged(c));
	return SRV_DONE;
    }
    buf_puts(out, "ok ");
    buf_append(out, line, len);
    buf_puts(out, "\n");
    return SRV_DONE;
}

static void start(int max_clients, uint64_t idle_ms)
{
    srv_limits lim = {max_clients, 1024, idle_ms, 0, 0};
    mt_err err;
    int fd;

    snprintf(sock_path, sizeof(sock_path), "/tmp/test_server.%d.sock", (int) getpid());
    loop = evloop_new();
    fd = server_bind(sock_path, 0600, (uid_t) -1, (gid_t) -1, &err);
    if (fd < 0)
	printf("# bind: %s\n", err.msg);
    srv = server_new(loop, fd, &lim, handler, NULL);
}

static void stop(void)
{
    server_free(srv);
    evloop_free(loop);
    unlink(sock_path);
}

static int dial(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, sock_path);
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
	close(fd);
	return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* collect - run the loop until fd has want bytes, EOF, or ~2 s */
static int collect(int fd, char *out, size_t outsz, size_t want, int *eof)
{
    size_t got = 0;
    int i;

    *eof = 0;
    for (i = 0; i < 400 && got < want && !*eof; i++) {
	ssize_t n = -1;

	evloop_run_once(loop, 5);
	while (got < outsz - 1 && (n = read(fd, out + got, outsz - 1 - got)) != 0) {
	    if (n < 0)
		break;
	    got += (size_t) n;
	}
	if (n == 0)
	    *eof = 1;
    }
    out[got] = 0;
    return (int) got;
}

static void answers_come_in_request_order(void)
{
    char got[512];
    const char req[] = "slow 50 first\necho second\nslow 10 third\necho fourth\n";
    const char want[] = "ok first\nok echo second\nok third\nok echo fourth\n";
    int fd, eof;

    start(10, 60000);
    fd = dial();
    T_ASSERT(fd >= 0);
    T_EQ_INT(write(fd, req, sizeof(req) - 1), (long) sizeof(req) - 1);
    collect(fd, got, sizeof(got), sizeof(want) - 1, &eof);
    T_EQ_STR(got, want);
    close(fd);
    stop();
}

/* Exim's ${readsocket}: send, shut down the write side, read to the end */
static void one_shot_client_gets_answer_then_close(void)
{
    char got[256];
    int fd, eof;

    start(10, 60000);
    fd = dial();
    T_ASSERT(write(fd, "slow 20 late", 12) == 12);	/* no newline: last line */
    shutdown(fd, SHUT_WR);
    collect(fd, got, sizeof(got), 1000, &eof);
    T_EQ_STR(got, "ok late\n");
    T_ASSERT(eof);
    close(fd);
    stop();
}

static void long_line_is_refused_and_closed(void)
{
    char big[3000], got[256];
    int fd, eof;

    start(10, 60000);
    fd = dial();
    memset(big, 'a', sizeof(big));
    T_ASSERT(write(fd, big, sizeof(big)) == (long) sizeof(big));
    collect(fd, got, sizeof(got), 1000, &eof);
    T_EQ_STR(got, "error reason=line-too-long\n");
    T_ASSERT(eof);
    close(fd);
    stop();
}

static void over_max_clients_is_refused(void)
{
    char got[256];
    int a, b, c, eof;

    start(2, 60000);
    a = dial();
    b = dial();
    evloop_run_once(loop, 10);
    c = dial();
    collect(c, got, sizeof(got), 1000, &eof);
    T_EQ_STR(got, "error reason=too-many-clients\n");
    T_ASSERT(write(a, "echo x\n", 7) == 7);
    collect(a, got, sizeof(got), 9, &eof);
    T_EQ_STR(got, "ok echo x\n");
    close(a);
    close(b);
    close(c);
    stop();
}

static void idle_client_is_closed_and_cancels_nothing_owed(void)
{
    char got[64];
    int fd, eof;

    start(10, 200);
    fd = dial();
    collect(fd, got, sizeof(got), 1000, &eof);	/* about 2 s: the sweep closes it */
    T_ASSERT(eof);
    close(fd);
    stop();
}

static void client_gone_cancels_deferred_answer(void)
{
    char got[64];
    int fd, eof, i;

    start(10, 60000);
    cancelled = 0;
    fd = dial();
    T_ASSERT(write(fd, "slow 5000 x\n", 12) == 12);
    collect(fd, got, sizeof(got), 1, &eof);	/* nothing comes quickly... */
    close(fd);
    for (i = 0; i < 20 && cancelled == 0; i++)
	evloop_run_once(loop, 10);
    T_EQ_INT(cancelled, 1);
    T_EQ_INT(server_clients(srv), 0);
    stop();
}

static void own_uid_is_privileged(void)
{
    char got[64];
    int fd, eof;

    start(10, 60000);
    fd = dial();
    T_ASSERT(write(fd, "priv\n", 5) == 5);
    collect(fd, got, sizeof(got), 9, &eof);
    T_EQ_STR(got, "ok priv=1\n");
    close(fd);
    stop();
}

static void live_socket_is_not_taken_over(void)
{
    mt_err err;

    start(10, 60000);
    T_EQ_INT(server_bind(sock_path, 0600, (uid_t) -1, (gid_t) -1, &err), -1);
    T_ASSERT(strstr(err.msg, "another mtastsd") != NULL);
    stop();
}

static void socket_gets_configured_mode(void)
{
    struct stat st;

    start(10, 60000);
    T_EQ_INT(stat(sock_path, &st), 0);
    T_EQ_INT(st.st_mode & 07777, 0600);
    stop();
}

int main(void)
{
    T_RUN(answers_come_in_request_order);
    T_RUN(one_shot_client_gets_answer_then_close);
    T_RUN(long_line_is_refused_and_closed);
    T_RUN(over_max_clients_is_refused);
    T_RUN(idle_client_is_closed_and_cancels_nothing_owed);
    T_RUN(client_gone_cancels_deferred_answer);
    T_RUN(own_uid_is_privileged);
    T_RUN(live_socket_is_not_taken_over);
    T_RUN(socket_gets_configured_mode);
    return t_done();
}
