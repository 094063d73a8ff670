/*
 * NAME
 *	client - talk to mtastsd over its socket (the CLI's side)
 * SUMMARY
 *	connect, send a request line, read answer lines, with a timeout
 * SYNOPSIS
 *	#include "client.h"
 *
 *	int  client_socket_path(const char *socket_opt, const char *config_opt,
 *	                        char *out, size_t outsz, mt_err *err);
 *	mt_client *client_connect(const char *path, int timeout_ms, mt_err *err);
 *	int  client_send(mt_client *c, const char *line, mt_err *err);
 *	int  client_read_line(mt_client *c, buf *line, mt_err *err);
 *	int  client_request(mt_client *c, const char *line, buf *answer, mt_err *err);
 *	int  client_put_arg(buf *req, const char *arg);
 *	void client_close(mt_client *c);
 * DESCRIPTION
 *	See client.h. Blocking use of a non-blocking socket with poll(), so
 *	every step has the same deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mt_err.h"

#include "client.h"
#include "config.h"

#define CLIENT_LINE_MAX (64u * 1024u * 1024u)	/* a "list" line is short; this is a guard */

struct mt_client {
    int fd;
    int timeout_ms;
    char path[108];
    buf in;
};

/* client_socket_path - which socket to ask (client.h gives the order) */
int client_socket_path(const char *socket_opt, const char *config_opt, char *out,
		       size_t outsz, mt_err *err)
{
    mtasts_config cfg;
    const char *path = config_opt ? config_opt : CONFIG_DEFAULT_PATH;
    const char *env = getenv("MTASTS_SOCKET");
    struct stat sb;

    if (socket_opt || (env && *env && !config_opt)) {
	snprintf(out, outsz, "%s", socket_opt ? socket_opt : env);
	return 0;
    }
    config_defaults(&cfg);
    if (config_opt || access(path, R_OK) == 0) {
	if (config_load(&cfg, path, err) < 0) {
	    config_free(&cfg);
	    return -1;
	}
    } else if (stat(CLIENT_DEV_SOCKET, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
	snprintf(out, outsz, "%s", CLIENT_DEV_SOCKET);	/* make run in this checkout */
	config_free(&cfg);
	return 0;
    }
    snprintf(out, outsz, "%s", cfg.socket);
    config_free(&cfg);
    return 0;
}

/* now_ms - monotonic milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_fd - poll for events until the deadline; 1 ready, 0 timeout */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p = {fd, events, 0};
    long long left;
    int r;

    for (;;) {
	left = deadline - now_ms();
	if (left < 0)
	    left = 0;
	r = poll(&p, 1, (int) left);
	if (r < 0 && errno == EINTR)
	    continue;
	return r > 0;
    }
}

/* client_connect - connect with a clear message when that is impossible */
mt_client *client_connect(const char *path, int timeout_ms, mt_err *err)
{
    struct sockaddr_un sa;
    mt_client *c;
    int fd, e;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
	mt_err_set(err, 0, 0, NULL, "socket path %s is too long", path);
	return NULL;
    }
    strcpy(sa.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
	mt_err_set(err, 0, 0, NULL, "socket: %s", strerror(errno));
	return NULL;
    }
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
	e = errno;
	close(fd);
	if (e == ENOENT)
	    mt_err_set(err, 0, 0, NULL, "mtastsd is not running: no socket at %s"
		       " (start it, or give the socket with -s or the configuration with -c)",
		       path);
	else if (e == ECONNREFUSED)
	    mt_err_set(err, 0, 0, NULL, "mtastsd is not running: nobody answers on %s", path);
	else if (e == EACCES || e == EPERM)
	    mt_err_set(err, 0, 0, NULL, "cannot use %s: permission denied (run as root, as"
		       " the daemon's user, or as a member of its socket_group)", path);
	else if (e == EAGAIN)
	    mt_err_set(err, 0, 0, NULL, "mtastsd at %s is too busy to accept a connection",
		       path);
	else
	    mt_err_set(err, 0, 0, NULL, "cannot connect to %s: %s", path, strerror(e));
	return NULL;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL) {
	close(fd);
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    c->fd = fd;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    snprintf(c->path, sizeof(c->path), "%s", path);
    return c;
}

/* client_send - one request line */
int client_send(mt_client *c, const char *line, mt_err *err)
{
    long long deadline = now_ms() + c->timeout_ms;
    buf b = {0};
    size_t off = 0;

    if (buf_puts(&b, line) < 0 || buf_putc(&b, '\n') < 0) {
	buf_free(&b);
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return -1;
    }
    while (off < b.len) {
	ssize_t n = send(c->fd, b.data + off, b.len - off, MSG_NOSIGNAL);

	if (n > 0) {
	    off += (size_t) n;
	    continue;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
	    mt_err_set(err, 0, 0, NULL, "%s: send: %s", c->path, strerror(errno));
	    buf_free(&b);
	    return -1;
	}
	if (!wait_fd(c->fd, POLLOUT, deadline)) {
	    mt_err_set(err, 0, 0, NULL, "%s: mtastsd did not take the request within %d ms",
		       c->path, c->timeout_ms);
	    buf_free(&b);
	    return -1;
	}
    }
    buf_free(&b);
    return 0;
}

/* client_read_line - one answer line, without its newline */
int client_read_line(mt_client *c, buf *line, mt_err *err)
{
    long long deadline = now_ms() + c->timeout_ms;

    buf_reset(line);
    for (;;) {
	char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL;
	ssize_t n;

	if (nl) {
	    size_t l = (size_t) (nl - c->in.data);

	    if (buf_append(line, c->in.data, l) < 0) {
		mt_err_set(err, 0, 0, NULL, "out of memory");
		return -1;
	    }
	    buf_consume(&c->in, l + 1);
	    return 0;
	}
	if (c->in.len > CLIENT_LINE_MAX || buf_reserve(&c->in, 65536) < 0) {
	    mt_err_set(err, 0, 0, NULL, "%s: answer line too long", c->path);
	    return -1;
	}
	n = read(c->fd, c->in.data + c->in.len, 65536);
	if (n > 0) {
	    c->in.len += (size_t) n;
	    c->in.data[c->in.len] = 0;
	    continue;
	}
	if (n == 0) {
	    mt_err_set(err, 0, 0, NULL, "%s: mtastsd closed the connection without an answer",
		       c->path);
	    return -1;
	}
	if (errno != EAGAIN && errno != EINTR) {
	    mt_err_set(err, 0, 0, NULL, "%s: read: %s", c->path, strerror(errno));
	    return -1;
	}
	if (!wait_fd(c->fd, POLLIN, deadline)) {
	    mt_err_set(err, 0, 0, NULL, "%s: no answer from mtastsd within %d ms", c->path,
		       c->timeout_ms);
	    return -1;
	}
    }
}

/* client_request - send a line, read the answer line */
int client_request(mt_client *c, const char *line, buf *answer, mt_err *err)
{
    if (client_send(c, line, err) < 0)
	return -1;
    return client_read_line(c, answer, err);
}

/* client_put_arg - " ARG", base64-encoded unless a plain printable word */
int client_put_arg(buf *req, const char *arg)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *) arg;
    size_t n = strlen(arg), i;
    int plain = n > 0 && strncmp(arg, "b64:", 4) != 0;

    for (i = 0; i < n && plain; i++)
	if (p[i] < 0x21 || p[i] > 0x7e)
	    plain = 0;
    if (buf_putc(req, ' ') < 0)
	return -1;
    if (plain)
	return buf_puts(req, arg);
    if (buf_puts(req, "b64:") < 0)
	return -1;
    for (i = 0; i < n; i += 3) {
	unsigned v = (unsigned) p[i] << 16 | (i + 1 < n ? (unsigned) p[i + 1] << 8 : 0)
	    | (i + 2 < n ? p[i + 2] : 0);
	char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63],
		     i + 1 < n ? b64[v >> 6 & 63] : '=', i + 2 < n ? b64[v & 63] : '='};

	if (buf_append(req, q, 4) < 0)
	    return -1;
    }
    return 0;
}

/* client_close - hang up */
void client_close(mt_client *c)
{
    if (c == NULL)
	return;
    close(c->fd);
    buf_free(&c->in);
    free(c);
}
