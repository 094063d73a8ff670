/*
 * NAME
 *	nullserver - the do-nothing reference server for the benchmarks
 * SUMMARY
 *	one epoll loop that answers every request with a fixed answer
 * SYNOPSIS
 *	nullserver (-u PATH | -t HOST:PORT) [-m line|socketmap] [-a ANSWER]
 * DESCRIPTION
 *	The practical limit of the machine for a lookup server: it accepts
 *	connections, reads requests and writes one fixed answer for each,
 *	and does nothing else. A real server measured by the same client
 *	(bench/loadgen.c) can at best match it.
 *
 *	-m line (default) answers every "\n"-ended request line with ANSWER
 *	and a "\n" (the mtastsd protocol); -m socketmap answers every
 *	netstring request with ANSWER as a netstring (Postfix socketmap,
 *	as postfix-mta-sts-resolver speaks it). Give ANSWER the length of
 *	the real server's answer so both write the same bytes.
 *
 *	It prints "ready" on standard output once it listens, and runs
 *	until SIGTERM or SIGINT; it removes a Unix socket it created.
 *	The program is self-contained and shares no code with the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NS_REQ_MAX 2048		/* the longest request, as mtastsd allows (PROTO_LINE_MAX) */
#define NS_IN_MAX (4 * NS_REQ_MAX)
#define NS_BACKLOG 1024

typedef enum framing { FRAME_LINE, FRAME_SOCKETMAP } framing;

typedef struct client {
    int fd;
    size_t inlen;
    char in[NS_IN_MAX];
    char *out;			/* answers not yet written */
    size_t outlen, outcap;
    int eof;			/* the client shut down its write side */
} client;

static volatile sig_atomic_t stopping;
static framing frame = FRAME_LINE;
static char *answer;		/* the framed answer bytes */
static size_t answer_len;

/* on_signal - ask the loop to end */
static void on_signal(int sig)
{
    (void) sig;
    stopping = 1;
}

/* die - report a fatal error and exit */
static void die(const char *what)
{
    fprintf(stderr, "nullserver: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* listen_on - bind and listen on a Unix path or HOST:PORT */
static int listen_on(const char *unix_path, const char *tcp)
{
    int fd, one = 1;

    if (unix_path) {
	struct sockaddr_un sun = {0};

	if (strlen(unix_path) >= sizeof(sun.sun_path)) {
	    errno = ENAMETOOLONG;
	    die(unix_path);
	}
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, unix_path);
	unlink(unix_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
	    die("socket");
	if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0)
	    die(unix_path);
    } else {
	char host[256];
	const char *colon = strrchr(tcp, ':');
	struct addrinfo hints = {0}, *ai;
	size_t hl = 0;

	if (colon == NULL || (hl = (size_t) (colon - tcp)) >= sizeof(host)) {
	    errno = EINVAL;
	    die("-t wants HOST:PORT");
	}
	memcpy(host, tcp, hl);
	host[hl] = 0;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
	    errno = EINVAL;
	    die("-t wants a numeric address and port");
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
	    die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
	    die(tcp);
	freeaddrinfo(ai);
    }
    if (listen(fd, NS_BACKLOG) != 0)
	die("listen");
    return fd;
}

/* client_close - forget a client */
static void client_close(int epfd, client *c)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

/* client_queue - append one answer to the client's output */
static int client_queue(client *c)
{
    if (c->outlen + answer_len > c->outcap) {
	size_t cap = c->outcap ? c->outcap * 2 : 4096;
	char *n;

	while (cap < c->outlen + answer_len)
	    cap *= 2;
	if ((n = realloc(c->out, cap)) == NULL)
	    return -1;
	c->out = n;
	c->outcap = cap;
    }
    memcpy(c->out + c->outlen, answer, answer_len);
    c->outlen += answer_len;
    return 0;
}

/* client_requests - queue an answer per complete request; -1 on a bad one */
static int client_requests(client *c)
{
    size_t pos = 0;

    for (;;) {
	if (frame == FRAME_LINE) {
	    char *nl = memchr(c->in + pos, '\n', c->inlen - pos);

	    if (nl == NULL) {
		if (c->inlen - pos > NS_REQ_MAX)
		    return -1;
		break;
	    }
	    pos = (size_t) (nl - c->in) + 1;
	} else {
	    size_t i = pos, len = 0;

	    while (i < c->inlen && c->in[i] >= '0' && c->in[i] <= '9' && i - pos < 6)
		len = len * 10 + (size_t) (c->in[i++] - '0');
	    if (i == c->inlen)
		break;
	    if (c->in[i] != ':' || i == pos || len > NS_REQ_MAX)
		return -1;
	    if (c->inlen < i + 1 + len + 1)
		break;
	    if (c->in[i + 1 + len] != ',')
		return -1;
	    pos = i + 1 + len + 1;
	}
	if (client_queue(c) != 0)
	    return -1;
    }
    memmove(c->in, c->in + pos, c->inlen - pos);
    c->inlen -= pos;
    return 0;
}

/* client_flush - write what is queued; 1 when all written, 0 when blocked, -1 on error */
static int client_flush(client *c)
{
    size_t off = 0;
    ssize_t n;

    while (off < c->outlen) {
	n = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
	    break;
	if (n < 0)
	    return -1;
	off += (size_t) n;
    }
    memmove(c->out, c->out + off, c->outlen - off);
    c->outlen -= off;
    return c->outlen == 0;
}

/* client_event - read, answer, write; close at the end or on error */
static void client_event(int epfd, client *c, unsigned events)
{
    struct epoll_event ev = {0};
    int was_blocked = c->outlen > 0, r;
    ssize_t n;

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
	while (!c->eof && c->inlen < sizeof(c->in)) {
	    size_t room = sizeof(c->in) - c->inlen;

	    n = recv(c->fd, c->in + c->inlen, room, 0);
	    if (n < 0 && errno == EINTR)
		continue;
	    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		break;
	    if (n < 0) {
		client_close(epfd, c);
		return;
	    }
	    if (n == 0) {
		c->eof = 1;
		break;
	    }
	    c->inlen += (size_t) n;
	    if (client_requests(c) != 0) {
		client_close(epfd, c);
		return;
	    }
	    if ((size_t) n < room)
		break;	/* level-triggered: the rest is reported again */
	}
    }
    if ((r = client_flush(c)) < 0 || (r == 1 && c->eof)) {
	client_close(epfd, c);
	return;
    }
    if ((r == 0) != was_blocked) {
	ev.events = EPOLLIN | (r == 0 ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

int main(int argc, char **argv)
{
    const char *unix_path = NULL, *tcp = NULL, *text = "ok";
    struct epoll_event ev = {0}, evs[256];
    struct sigaction sa = {0};
    int ch, lfd, epfd, n, one = 1;
    size_t tl;

    while ((ch = getopt(argc, argv, "u:t:m:a:")) != -1) {
	switch (ch) {
	case 'u': unix_path = optarg; break;
	case 't': tcp = optarg; break;
	case 'a': text = optarg; break;
	case 'm':
	    if (strcmp(optarg, "line") == 0)
		frame = FRAME_LINE;
	    else if (strcmp(optarg, "socketmap") == 0)
		frame = FRAME_SOCKETMAP;
	    else
		goto usage;
	    break;
	default:
	    goto usage;
	}
    }
    if (optind != argc || !unix_path == !tcp)
	goto usage;

    tl = strlen(text);
    if ((answer = malloc(tl + 32)) == NULL)
	die("malloc");
    if (frame == FRAME_LINE)
	answer_len = (size_t) snprintf(answer, tl + 32, "%s\n", text);
    else
	answer_len = (size_t) snprintf(answer, tl + 32, "%zu:%s,", tl, text);

    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = listen_on(unix_path, tcp);
    if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
	die("epoll_create1");
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;		/* NULL: the listening socket */
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    printf("ready\n");
    fflush(stdout);

    while (!stopping) {
	n = epoll_wait(epfd, evs, 256, -1);
	if (n < 0 && errno != EINTR)
	    die("epoll_wait");
	for (int k = 0; k < n; k++) {
	    if (evs[k].data.ptr == NULL) {
		int fd;

		while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		    client *c = calloc(1, sizeof(*c));

		    if (c == NULL) {
			close(fd);
			continue;
		    }
		    if (tcp)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		    c->fd = fd;
		    ev.events = EPOLLIN;
		    ev.data.ptr = c;
		    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		}
		continue;
	    }
	    client_event(epfd, evs[k].data.ptr, evs[k].events);
	}
    }
    if (unix_path)
	unlink(unix_path);
    return 0;

  usage:
    fprintf(stderr, "usage: nullserver (-u PATH | -t HOST:PORT) [-m line|socketmap] [-a ANSWER]\n");
    return 2;
}
