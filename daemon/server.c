/*
 * NAME
 *	server - the Unix stream socket: clients, lines, answers in order
 * SUMMARY
 *	many requests per connection, pipelining, one-shot clients, limits
 * SYNOPSIS
 *	#include "server.h"
 *
 *	int     server_bind(const char *path, unsigned mode, uid_t uid, gid_t gid,
 *	                    mt_err *err);
 *	server *server_new(evloop *loop, int listen_fd, const srv_limits *lim,
 *	                   srv_handler handler, void *ctx);
 *	void    server_free(server *s);
 *	void    server_drain(server *s);
 *	size_t  server_clients(const server *s);
 *	void    server_get_stats(const server *s, srv_stats *st);
 *	srv_pending *server_defer(srv_conn *c, srv_cancel_fn cancel, void *arg);
 *	void    server_complete(srv_pending *p, const char *answer, size_t len);
 *	int     server_peer_privileged(srv_conn *c);
 *	const srv_peer *server_peer(srv_conn *c);
 * DESCRIPTION
 *	See server.h. Per readiness event a client is read once, every
 *	complete line in its buffer is handled, and everything answered at
 *	once leaves in one write(): a cached answer costs one read() and one
 *	write() and no allocation once the connection's buffers exist.
 *
 *	Deferred answers sit in a FIFO of slots per connection; a slot that
 *	completes out of order waits for those before it. Completion never
 *	writes from inside the caller (it may be walking its own lists);
 *	it asks the loop for a write event instead.
 *
 *	Idle connections are found by a sweep once a second over a list
 *	kept in order of last activity (moved to the tail on each event).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "mt_err.h"

#include "evloop.h"
#include "log.h"
#include "server.h"

#define SRV_SWEEP_MS 1000
#define SRV_PEER_GROUPS_MAX 256

struct srv_pending {
    srv_pending *next;
    srv_conn *conn;
    int done;
    buf answer;
    srv_cancel_fn cancel;
    void *arg;
};

struct srv_conn {
    server *srv;
    int fd;
    unsigned watching;			/* EV_READ / EV_WRITE now asked for */
    int registered;			/* known to the loop */
    int eof;				/* the client shut down its write side */
    int closing;			/* close once out is written */
    buf in;
    buf out;
    buf scratch;			/* sync answers while slots are pending */
    srv_pending *head, *tail;
    size_t npending;
    uint64_t last_active;
    srv_conn *prev, *next;		/* activity order */
    srv_peer peer;
    int peer_read;
    int privileged;			/* -1 unknown */
};

struct server {
    evloop *loop;
    int fd;
    srv_limits lim;
    srv_handler handler;
    void *ctx;
    srv_conn *first, *last;
    size_t nconns;
    ev_timer *sweep;
    int draining;
    srv_stats st;
};

static void conn_close(srv_conn *c);
static void conn_update_watch(srv_conn *c);
static void conn_on_event(evloop *loop, int fd, unsigned events, void *arg);

/* server_bind - create, own and listen on the socket */
int server_bind(const char *path, unsigned mode, uid_t uid, gid_t gid, mt_err *err)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
	mt_err_set(err, 0, 0, NULL, "socket path %s is longer than %zu bytes", path,
		   sizeof(sa.sun_path) - 1);
	return -1;
    }
    strcpy(sa.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
	mt_err_set(err, 0, 0, NULL, "socket: %s", strerror(errno));
	return -1;
    }
    /* A socket file that nobody answers on is a leftover: remove it. */
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 || errno == EAGAIN) {
	close(fd);
	mt_err_set(err, 0, 0, NULL, "%s: another mtastsd is answering there", path);
	return -1;
    }
    close(fd);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
	mt_err_set(err, 0, 0, NULL, "socket: %s", strerror(errno));
	return -1;
    }
    (void) unlink(path);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
	mt_err_set(err, 0, 0, NULL, "bind %s: %s", path, strerror(errno));
	close(fd);
	return -1;
    }
    if (chmod(path, mode) < 0 || ((uid != (uid_t) -1 || gid != (gid_t) -1)
				  && chown(path, uid, gid) < 0)) {
	mt_err_set(err, 0, 0, NULL, "%s: cannot set mode or owner: %s", path, strerror(errno));
	close(fd);
	(void) unlink(path);
	return -1;
    }
    if (listen(fd, SOMAXCONN) < 0) {
	mt_err_set(err, 0, 0, NULL, "listen %s: %s", path, strerror(errno));
	close(fd);
	(void) unlink(path);
	return -1;
    }
    return fd;
}

/* list_unlink - take c out of the activity list */
static void list_unlink(server *s, srv_conn *c)
{
    if (c->prev)
	c->prev->next = c->next;
    else
	s->first = c->next;
    if (c->next)
	c->next->prev = c->prev;
    else
	s->last = c->prev;
    c->prev = c->next = NULL;
}

/* list_append - put c at the tail (most recently active) */
static void list_append(server *s, srv_conn *c)
{
    c->prev = s->last;
    c->next = NULL;
    if (s->last)
	s->last->next = c;
    else
	s->first = c;
    s->last = c;
}

/* conn_touch - c was active now */
static void conn_touch(srv_conn *c)
{
    server *s = c->srv;

    c->last_active = evloop_now_ms(s->loop);
    if (s->last != c) {
	list_unlink(s, c);
	list_append(s, c);
    }
}

/* conn_close - free a connection; deferred answers are cancelled */
static void conn_close(srv_conn *c)
{
    server *s = c->srv;
    srv_pending *p, *n;

    evloop_unwatch(s->loop, c->fd);
    close(c->fd);
    list_unlink(s, c);
    s->nconns--;
    for (p = c->head; p; p = n) {
	n = p->next;
	if (!p->done && p->cancel)
	    p->cancel(p->arg);
	buf_free(&p->answer);
	free(p);
    }
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->scratch);
    free(c);
}

/* conn_write - send what is in out; 0, or -1 when the connection is dead */
static int conn_write(srv_conn *c)
{
    while (c->out.len > 0) {
	ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);

	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	    return -1;
	}
	buf_consume(&c->out, (size_t) n);
    }
    return 0;
}

/* conn_finished - nothing more will happen on c: close it */
static int conn_finished(const srv_conn *c)
{
    return c->out.len == 0 && c->head == NULL && (c->eof || c->closing || c->srv->draining);
}

/* conn_update_watch - ask the loop for what c needs now */
static void conn_update_watch(srv_conn *c)
{
    unsigned want = 0;

    if (!c->eof && !c->closing && !c->srv->draining
	&& c->out.len < SRV_OUT_HIGH && c->npending < SRV_PENDING_MAX)
	want |= EV_READ;
    if (c->out.len > 0)
	want |= EV_WRITE;
    /*
     * Registered even with nothing wanted: epoll still reports a hang-up,
     * which is how we learn that a client that closed (rather than shut
     * down its write side) no longer waits for a deferred answer.
     */
    if (want == c->watching && c->registered)
	return;
    if (evloop_watch(c->srv->loop, c->fd, want, conn_on_event, c) < 0) {
	c->closing = 1;			/* cannot be served: drop it */
	c->out.len = 0;
	return;
    }
    c->watching = want;
    c->registered = 1;
}

/* flush_done_slots - move completed answers at the head of the FIFO to out */
static void flush_done_slots(srv_conn *c)
{
    while (c->head && c->head->done) {
	srv_pending *p = c->head;

	(void) buf_append(&c->out, p->answer.data ? p->answer.data : "", p->answer.len);
	c->head = p->next;
	if (c->head == NULL)
	    c->tail = NULL;
	c->npending--;
	buf_free(&p->answer);
	free(p);
    }
}

/* slot_new - an empty slot at the tail of c's FIFO */
static srv_pending *slot_new(srv_conn *c)
{
    srv_pending *p = calloc(1, sizeof(*p));

    if (p == NULL)
	return NULL;
    p->conn = c;
    if (c->tail)
	c->tail->next = p;
    else
	c->head = p;
    c->tail = p;
    c->npending++;
    return p;
}

/* answer_now - queue a complete answer behind any deferred ones */
static void answer_now(srv_conn *c, const char *text, size_t len)
{
    srv_pending *p;

    if (c->head == NULL) {
	(void) buf_append(&c->out, text, len);
	return;
    }
    if ((p = slot_new(c)) == NULL) {
	c->closing = 1;
	return;
    }
    p->done = 1;
    (void) buf_append(&p->answer, text, len);
}

/* handle_line - one request */
static void handle_line(srv_conn *c, const char *line, size_t len)
{
    server *s = c->srv;
    buf *out = c->head ? &c->scratch : &c->out;
    size_t before = out->len;
    srv_result r;

    if (len > 0 && line[len - 1] == '\r')
	len--;
    s->st.requests++;
    r = s->handler(s->ctx, c, line, len, out);
    if (out == &c->scratch && r != SRV_PENDING) {
	answer_now(c, c->scratch.data + before, c->scratch.len - before);
	buf_reset(&c->scratch);
    }
    if (r == SRV_CLOSE)
	c->closing = 1;
}

/* refuse_long_line - answer and close a client whose line is too long */
static void refuse_long_line(srv_conn *c)
{
    static const char msg[] = "error reason=line-too-long\n";

    c->srv->st.too_long++;
    answer_now(c, msg, sizeof(msg) - 1);
    c->closing = 1;
    buf_reset(&c->in);
}

/* process_input - every complete line in c->in; at EOF the rest too */
static void process_input(srv_conn *c)
{
    size_t max = c->srv->lim.max_line;
    size_t off = 0;

    while (!c->closing && off < c->in.len && c->npending < SRV_PENDING_MAX
	   && c->out.len < SRV_OUT_HIGH) {
	const char *p = c->in.data + off;
	const char *nl = memchr(p, '\n', c->in.len - off);
	size_t len;

	if (nl == NULL) {
	    len = c->in.len - off;
	    if (len > max + 1) {	/* + 1: room for a "\r" */
		refuse_long_line(c);
		return;
	    }
	    if (!c->eof)
		break;
	    handle_line(c, p, len);	/* the last line of a one-shot client */
	    off = c->in.len;
	    break;
	}
	len = (size_t) (nl - p);
	if (len > max + (len > 0 && p[len - 1] == '\r')) {
	    refuse_long_line(c);
	    return;
	}
	handle_line(c, p, len);
	off += len + 1;
    }
    buf_consume(&c->in, off);
}

/* conn_read - one read(); 0 data or EOF handled, -1 the connection is dead */
static int conn_read(srv_conn *c)
{
    ssize_t n;

    if (buf_reserve(&c->in, SRV_READ_CHUNK) < 0)
	return -1;
    n = read(c->fd, c->in.data + c->in.len, SRV_READ_CHUNK);
    if (n < 0)
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0) {
	c->eof = 1;
	return 0;
    }
    c->in.len += (size_t) n;
    c->in.data[c->in.len] = 0;
    return 0;
}

/* conn_on_event - readable and/or writable */
static void conn_on_event(evloop *loop, int fd, unsigned events, void *arg)
{
    srv_conn *c = arg;

    (void) loop;
    (void) fd;
    conn_touch(c);
    if ((events & EV_ERROR) && c->eof && c->out.len == 0) {
	conn_close(c);			/* hung up: nobody reads what we owe */
	return;
    }
    if ((events & EV_READ) && !c->eof && !c->closing) {
	if (conn_read(c) < 0) {
	    conn_close(c);
	    return;
	}
	process_input(c);
    } else if (c->in.len && !c->closing) {
	process_input(c);		/* lines held back by a full output */
    }
    flush_done_slots(c);
    if (conn_write(c) < 0) {
	conn_close(c);
	return;
    }
    if (c->out.len == 0 && c->in.len && !c->closing && c->npending < SRV_PENDING_MAX)
	process_input(c);
    if (conn_finished(c)) {
	conn_close(c);
	return;
    }
    conn_update_watch(c);
}

/* on_accept - new clients */
static void on_accept(evloop *loop, int fd, unsigned events, void *arg)
{
    static const char busy[] = "error reason=too-many-clients\n";
    server *s = arg;
    int i;

    (void) loop;
    (void) events;
    for (i = 0; i < SRV_ACCEPT_BATCH; i++) {
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	srv_conn *c;

	if (cfd < 0) {
	    if (errno == EMFILE || errno == ENFILE)
		log_msg(LOG_WARNING, "accept: %s (raise the file limit or lower max_clients)",
			strerror(errno));
	    return;
	}
	if (s->nconns >= (size_t) s->lim.max_clients) {
	    s->st.refused++;
	    (void) !send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	    close(cfd);
	    continue;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
	    close(cfd);
	    continue;
	}
	c->srv = s;
	c->fd = cfd;
	c->privileged = -1;
	s->nconns++;
	s->st.accepted++;
	c->last_active = evloop_now_ms(s->loop);
	list_append(s, c);
	conn_update_watch(c);
	if (c->closing) {
	    conn_close(c);
	    continue;
	}
    }
}

/* on_sweep - close idle clients; once a second */
static void on_sweep(evloop *loop, void *arg)
{
    server *s = arg;
    uint64_t now = evloop_now_ms(loop);
    srv_conn *c, *n;

    s->sweep = evloop_timer(loop, SRV_SWEEP_MS, on_sweep, s);
    for (c = s->first; c; c = n) {
	n = c->next;
	if (now - c->last_active < s->lim.idle_timeout_ms)
	    break;			/* the rest are more recent */
	if (c->head != NULL) {
	    conn_touch(c);		/* we owe it an answer: not idle */
	    continue;
	}
	s->st.idle_closed++;
	conn_close(c);
    }
}

/* server_new - serve listen_fd on loop */
server *server_new(evloop *loop, int listen_fd, const srv_limits *lim,
		   srv_handler handler, void *ctx)
{
    server *s = calloc(1, sizeof(*s));

    if (s == NULL)
	return NULL;
    s->loop = loop;
    s->fd = listen_fd;
    s->lim = *lim;
    if (s->lim.max_clients <= 0)
	s->lim.max_clients = 1;
    s->handler = handler;
    s->ctx = ctx;
    if (evloop_watch(loop, listen_fd, EV_READ, on_accept, s) < 0
	|| (s->sweep = evloop_timer(loop, SRV_SWEEP_MS, on_sweep, s)) == NULL) {
	evloop_unwatch(loop, listen_fd);
	free(s);
	return NULL;
    }
    return s;
}

/* server_drain - stop accepting and reading; finish what is owed */
void server_drain(server *s)
{
    srv_conn *c, *n;
    struct sockaddr_un sa;
    socklen_t sl = sizeof(sa);

    if (s->draining)
	return;
    s->draining = 1;
    if (s->fd >= 0) {
	if (getsockname(s->fd, (struct sockaddr *) &sa, &sl) == 0 && sa.sun_path[0])
	    (void) unlink(sa.sun_path);
	evloop_unwatch(s->loop, s->fd);
	close(s->fd);
	s->fd = -1;
    }
    for (c = s->first; c; c = n) {
	n = c->next;
	if (conn_finished(c))
	    conn_close(c);
	else
	    conn_update_watch(c);
    }
}

/* server_free - close every client and the socket */
void server_free(server *s)
{
    if (s == NULL)
	return;
    server_drain(s);
    while (s->first)
	conn_close(s->first);
    if (s->sweep)
	evloop_timer_cancel(s->loop, s->sweep);
    free(s);
}

/* server_clients - connections open now */
size_t server_clients(const server *s)
{
    return s->nconns;
}

/* server_get_stats - counters since start */
void server_get_stats(const server *s, srv_stats *st)
{
    *st = s->st;
    st->clients = s->nconns;
}

/* server_defer - a handle for an answer given later */
srv_pending *server_defer(srv_conn *c, srv_cancel_fn cancel, void *arg)
{
    srv_pending *p = slot_new(c);

    if (p == NULL)
	return NULL;
    p->cancel = cancel;
    p->arg = arg;
    return p;
}

/* server_complete - the deferred answer; written from the loop */
void server_complete(srv_pending *p, const char *answer, size_t len)
{
    srv_conn *c = p->conn;

    (void) buf_append(&p->answer, answer, len);
    p->done = 1;
    p->cancel = NULL;
    if (c->head == p) {
	flush_done_slots(c);
	conn_update_watch(c);		/* EV_WRITE: the loop writes it */
    }
}

/* server_peer - the client's credentials, read once */
const srv_peer *server_peer(srv_conn *c)
{
    struct ucred uc;
    socklen_t l = sizeof(uc);

    if (!c->peer_read) {
	c->peer_read = 1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == 0) {
	    c->peer.known = 1;
	    c->peer.pid = uc.pid;
	    c->peer.uid = uc.uid;
	    c->peer.gid = uc.gid;
	}
    }
    return &c->peer;
}

/* in_group - whether the peer has gid among its groups */
static int in_group(srv_conn *c, gid_t gid)
{
#ifdef SO_PEERGROUPS
    gid_t groups[SRV_PEER_GROUPS_MAX];
    socklen_t l = sizeof(groups);
    size_t i;

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &l) == 0)
	for (i = 0; i < l / sizeof(gid_t); i++)
	    if (groups[i] == gid)
		return 1;
#else
    (void) c;
    (void) gid;
#endif
    return 0;
}

/* server_peer_privileged - root, ourselves, or socket_group */
int server_peer_privileged(srv_conn *c)
{
    const srv_peer *p;

    if (c->privileged >= 0)
	return c->privileged;
    p = server_peer(c);
    c->privileged = p->known
	&& (p->uid == 0 || p->uid == geteuid()
	    || (c->srv->lim.have_group && (p->gid == c->srv->lim.group
					   || in_group(c, c->srv->lim.group))));
    return c->privileged;
}
