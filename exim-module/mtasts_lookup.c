/*
 * NAME
 *	mtasts_lookup - the Exim lookup module: ${lookup mtasts{...}}
 * SUMMARY
 *	a thin, bounded client of mtastsd for Exim's expansions
 * SYNOPSIS
 *	${lookup mtasts{policy $domain}}
 *	${lookup mtasts{allowed $domain}}
 *	${lookup mtasts{mx $domain $host}}
 *	${lookup mtasts{report KEY=VALUE ...}}
 *	${lookup mtasts{ping}}
 *	${lookup mtasts,socket=/path,timeout=10s{...}}
 *
 *	make EXIM_ABI=4.96	(or 4.97, 4.98, 4.99) -> mtasts_lookup.so
 * DESCRIPTION
 *	One query-style lookup type, "mtasts". The query is one request
 *	line of the mtastsd protocol (shared/proto.h): a verb and its
 *	arguments, free text already encoded by the configuration as
 *	"b64:${base64:...}". The module checks that the query is one line
 *	of printable ASCII no longer than PROTO_LINE_MAX, sends it, reads
 *	one answer line and returns that line as the lookup's value. It
 *	holds no policy logic.
 *
 *	Fail-closed: the lookup always returns OK, never DEFER or FAIL,
 *	with the daemon's status word first (ok, none, tempfail, error).
 *	When the daemon cannot be asked the module answers itself:
 *	  tempfail reason=daemon-unreachable	connect, send or receive
 *						failed, or the time ran out
 *	  error reason=bad-answer		the daemon's line is not an
 *						answer (wrong status word,
 *						bytes outside ASCII, too long)
 *	  error reason=bad-query		the query is empty, too long
 *						or holds a control byte
 *	  error reason=bad-option		an unknown lookup option
 *	A DEFER inside a host list would make Exim treat the list as not
 *	matching; an explicit status lets the shipped configuration
 *	decide, closed (packaging/exim/).
 *
 *	Options (after the lookup type, comma-separated): socket=PATH (the
 *	daemon's socket, default MTASTS_SOCKET) and timeout=TIME (N, Ns,
 *	Nms or Nm; the whole exchange, connect to answer; default
 *	MTASTS_TIMEOUT_MS, at most MTASTS_TIMEOUT_MAX_MS).
 *
 *	One connection per Exim process: opened on first use, reused by
 *	every later lookup, closed on any error (the next lookup
 *	reconnects; a request on a reused connection that finds it closed
 *	is retried once on a fresh one) and closed in tidy(). A process
 *	forked by Exim that inherits the connection leaves it to its parent
 *	and opens its own.
 *
 *	Exim caches each answer until its next tidy-up, so every option
 *	expanded for one host in one delivery sees the same answer; verbs
 *	that change state (report, flush, prefetch) set the cache TTL to 0.
 *
 *	Exim's debug output (-d+lookup) shows each request and answer.
 *	exim -d -bV lists the module with its version and ABI.
 *
 *	The Exim structures and the few Exim functions used are declared
 *	here, from Exim's src/lookupapi.h, src/local_scan.h and src/store.h
 *	(see exim-module/README.md): building needs no Exim source tree.
 *	Only functions that local_scan.h declares are called, so the module
 *	also loads into Exim builds that export only those.
 */

/* System library. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Project shared code. */
#include "buf.h"
#include "mt_err.h"
#include "proto.h"

/*
 * The Exim lookup ABI, chosen at build time (Makefile: EXIM_ABI=4.96 gives
 * -DEXIM_ABI_4_96). 4.96 through 4.99 share magic 0x4c4d4935; 4.98 added
 * "unsigned acq_num" after "type", which on LP64 sits in what was padding.
 */
#if defined(EXIM_ABI_4_96) || defined(EXIM_ABI_4_97)
#define MTASTS_EXIM_ABI "4.96-4.97"
#define MTASTS_HAVE_ACQ_NUM 0
#elif defined(EXIM_ABI_4_98) || defined(EXIM_ABI_4_99)
#define MTASTS_EXIM_ABI "4.98-4.99"
#define MTASTS_HAVE_ACQ_NUM 1
#else
#error "unknown Exim lookup ABI: build with EXIM_ABI=4.96, 4.97, 4.98 or 4.99 (e.g. make EXIM_ABI=4.96)"
#define MTASTS_EXIM_ABI "none"	/* only to keep the one error above alone */
#define MTASTS_HAVE_ACQ_NUM 0
#endif

#define EXIM_LOOKUP_MODULE_INFO_MAGIC 0x4c4d4935	/* lookupapi.h, 4.96-4.99 */

/* Types from Exim's mytypes.h and structs.h. */
typedef unsigned char uschar;
typedef unsigned BOOL;

typedef struct gstring {
    int size;			/* capacity of s */
    int ptr;			/* offset of the next byte to append */
    uschar *s;
} gstring;

/* lookup_info and lookup_module_info from Exim's lookupapi.h. */
typedef struct lookup_info {
    uschar *name;
    int type;
#if MTASTS_HAVE_ACQ_NUM
    unsigned acq_num;		/* set by Exim */
#endif
    void *(*open)(const uschar *filename, uschar **errmsg);
    BOOL (*check)(void *handle, const uschar *filename, int modemask,
		  uid_t *owners, gid_t *owngroups, uschar **errmsg);
    int (*find)(void *handle, const uschar *filename, const uschar *query,
		int length, uschar **result, uschar **errmsg,
		unsigned *cache_ttl, const uschar *opts);
    void (*close)(void *handle);
    void (*tidy)(void);
    uschar *(*quote)(uschar *s, uschar *opt, unsigned idx);
    gstring *(*version_report)(gstring *g);
} lookup_info;

typedef struct lookup_module_info {
    unsigned magic;
    lookup_info **lookups;
    unsigned lookupcount;
} lookup_module_info;

#if defined(__LP64__)
/* Both layouts put open() at 16 on LP64; Exim reads it there. */
_Static_assert(offsetof(lookup_info, open) == 16, "lookup_info layout");
_Static_assert(offsetof(lookup_info, version_report) == 64, "lookup_info layout");
#endif

#define lookup_querystyle 1	/* macros.h */
#define EXIM_OK 0		/* local_scan.h: OK */
#define EXIM_LOG_MAIN 1		/* local_scan.h: LOG_MAIN */
#define EXIM_GET_UNTAINTED ((const void *) 0)	/* store.h */

/*
 * Exim's lookup debug bit: Di_lookup is bit 16 in 4.96's macros.h. Later
 * releases may number their debug bits differently, so there any debugging
 * at all shows the module's lines.
 */
#if defined(EXIM_ABI_4_96) || defined(EXIM_ABI_4_97)
#define MTASTS_D_LOOKUP (1u << 16)
#else
#define MTASTS_D_LOOKUP (~0u)
#endif

/* The Exim functions and variable used, as local_scan.h declares them. */
extern unsigned int debug_selector;
extern void debug_printf(const char *, ...) __attribute__((format(printf, 1, 2)));
extern void log_write(unsigned int, int, const char *, ...) __attribute__((format(printf, 3, 4)));
extern void *store_get_3(int, const void *, const char *, int);

#define exim_store_get(n) store_get_3((n), EXIM_GET_UNTAINTED, __func__, __LINE__)
#define DEBUG_LOOKUP (debug_selector & MTASTS_D_LOOKUP)

/* Defaults, overridable at build time (MODULE_CFLAGS=-DMTASTS_SOCKET=...). */
#ifndef MTASTS_SOCKET
#define MTASTS_SOCKET "/run/mtasts/mtastsd.sock"	/* mtastsd.conf(5) socket */
#endif
#ifndef MTASTS_TIMEOUT_MS
#define MTASTS_TIMEOUT_MS 10000	/* above mtastsd's answer_deadline (5 s) */
#endif
#define MTASTS_TIMEOUT_MAX_MS 120000	/* a lookup never waits longer */
#define MTASTS_ANSWER_MAX 65536	/* longest answer line accepted */

#ifndef MTASTS_VERSION
#define MTASTS_VERSION "unknown"
#endif

/* The one connection of this process. */
static int conn_fd = -1;
static pid_t conn_pid;		/* the process that opened conn_fd */
static char conn_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];

/* Exchange results. */
typedef enum {
    ASK_OK,			/* an answer line is in the buffer */
    ASK_UNREACHABLE,		/* no answer: connect/send/receive/time */
    ASK_BAD_ANSWER,		/* something came back that is not an answer */
} ask_result;

/* now_ms - a monotonic clock in milliseconds */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * conn_close - close this process's descriptor of the connection. In a
 * process forked by Exim that is its own copy: the parent's connection
 * stays open (no shutdown() here, which would end it for both).
 */
static void conn_close(void)
{
    if (conn_fd >= 0)
	close(conn_fd);
    conn_fd = -1;
}

/* wait_fd - poll fd for events until deadline: 1 ready, 0 timeout, -1 error */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd p;
    long long left;
    int n;

    for (;;) {
	left = deadline - now_ms();
	if (left <= 0)
	    return 0;
	p.fd = fd;
	p.events = events;
	p.revents = 0;
	n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int) left);
	if (n > 0)
	    return 1;
	if (n == 0)
	    return 0;
	if (errno != EINTR)	/* Exim's own alarms may interrupt us */
	    return -1;
    }
}

/* conn_open - connect to path before deadline; 0, or -1 with why */
static int conn_open(const char *path, long long deadline, const char **why)
{
    struct sockaddr_un sa;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
	*why = "socket path too long";
	return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
	*why = strerror(errno);
	return -1;
    }
    /* A full listen queue says EAGAIN on a Unix socket: retry until the deadline. */
    while (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
	if (errno == EINTR)
	    continue;
	if (errno == EAGAIN && now_ms() < deadline) {
	    poll(NULL, 0, 5);
	    continue;
	}
	if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 1) {
	    int soerr = 0;
	    socklen_t sl = sizeof(soerr);

	    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
		break;
	    errno = soerr ? soerr : ETIMEDOUT;
	}
	*why = errno == EAGAIN ? "timed out connecting" : strerror(errno);
	close(fd);
	return -1;
    }
    conn_fd = fd;
    conn_pid = getpid();
    memcpy(conn_path, path, strlen(path) + 1);
    return 0;
}

/* conn_send - write all of data before deadline; 0 or -1 with why */
static int conn_send(const char *data, size_t len, long long deadline, const char **why)
{
    ssize_t n;

    while (len > 0) {
	n = send(conn_fd, data, len, MSG_NOSIGNAL);
	if (n > 0) {
	    data += n;
	    len -= (size_t) n;
	    continue;
	}
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && errno == EAGAIN) {
	    int w = wait_fd(conn_fd, POLLOUT, deadline);

	    if (w == 1)
		continue;
	    *why = w == 0 ? "timed out sending" : strerror(errno);
	    return -1;
	}
	*why = n == 0 ? "connection closed" : strerror(errno);
	return -1;
    }
    return 0;
}

/*
 * conn_recv_line - read one "\n"-ended line into ans (without the "\n").
 * Returns ASK_OK, ASK_UNREACHABLE (closed, error or time ran out; *got_any
 * says whether any byte came) or ASK_BAD_ANSWER (too long, or bytes after
 * the line: the daemon answers one line per request).
 */
static ask_result conn_recv_line(buf *ans, long long deadline, int *got_any, const char **why)
{
    char chunk[4096];
    char *nl;
    ssize_t n;
    int w;

    *got_any = 0;
    for (;;) {
	n = recv(conn_fd, chunk, sizeof(chunk), 0);
	if (n > 0) {
	    *got_any = 1;
	    if (buf_append(ans, chunk, (size_t) n) < 0 || ans->len > MTASTS_ANSWER_MAX + 1) {
		*why = "answer too long";
		return ASK_BAD_ANSWER;
	    }
	    if ((nl = memchr(ans->data, '\n', ans->len)) != NULL) {
		if ((size_t) (nl - ans->data) + 1 != ans->len) {
		    *why = "data after the answer line";
		    return ASK_BAD_ANSWER;
		}
		ans->len--;
		ans->data[ans->len] = 0;
		if (ans->len > 0 && ans->data[ans->len - 1] == '\r')
		    ans->data[--ans->len] = 0;
		return ASK_OK;
	    }
	    continue;
	}
	if (n == 0) {
	    *why = ans->len ? "connection closed inside the answer" : "connection closed";
	    return ans->len ? ASK_BAD_ANSWER : ASK_UNREACHABLE;
	}
	if (errno == EINTR)
	    continue;
	if (errno != EAGAIN) {
	    *why = strerror(errno);
	    return ASK_UNREACHABLE;
	}
	if ((w = wait_fd(conn_fd, POLLIN, deadline)) != 1) {
	    *why = w == 0 ? "timed out waiting for the answer" : strerror(errno);
	    return ASK_UNREACHABLE;
	}
    }
}

/* answer_is_valid - a status word of the protocol, then printable ASCII */
static int answer_is_valid(const buf *ans)
{
    static const char *const status[] = {"ok", "none", "tempfail", "error"};
    char word[16];
    size_t i;

    for (i = 0; i < ans->len; i++)
	if ((unsigned char) ans->data[i] < 0x20 || (unsigned char) ans->data[i] > 0x7e)
	    return 0;
    if (ans->len == 0 || ans->data[0] == ' '
	|| proto_answer_status(ans->data, ans->len, word, sizeof(word)) < 0)
	return 0;
    for (i = 0; i < sizeof(status) / sizeof(status[0]); i++)
	if (strcmp(word, status[i]) == 0)
	    return 1;
    return 0;
}

/*
 * ask - send one request line (with its "\n") and read the answer line.
 * A reused connection that turns out closed before any answer byte (the
 * daemon dropped an idle client) is retried once on a fresh connection.
 */
static ask_result ask(const char *path, const char *req, size_t len, long long deadline,
		      buf *ans, const char **why)
{
    ask_result r;
    int attempt, reused, got_any;

    for (attempt = 0; attempt < 2; attempt++) {
	buf_reset(ans);
	if (conn_fd >= 0 && (conn_pid != getpid() || strcmp(conn_path, path) != 0)) {
	    if (DEBUG_LOOKUP)
		debug_printf("mtasts: not reusing connection fd %d (%s)\n", conn_fd,
			     conn_pid != getpid() ? "inherited from the parent process" : "other socket");
	    conn_close();
	}
	reused = conn_fd >= 0;
	if (!reused) {
	    if (conn_open(path, deadline, why) < 0)
		return ASK_UNREACHABLE;
	    if (DEBUG_LOOKUP)
		debug_printf("mtasts: connected to %s (fd %d)\n", path, conn_fd);
	} else if (DEBUG_LOOKUP)
	    debug_printf("mtasts: reusing connection to %s (fd %d)\n", path, conn_fd);

	if (conn_send(req, len, deadline, why) < 0) {
	    conn_close();
	    if (reused && now_ms() < deadline)
		continue;
	    return ASK_UNREACHABLE;
	}
	r = conn_recv_line(ans, deadline, &got_any, why);
	if (r == ASK_OK && !answer_is_valid(ans)) {
	    *why = "not an mtastsd answer";
	    r = ASK_BAD_ANSWER;
	}
	if (r != ASK_OK)
	    conn_close();
	if (r == ASK_UNREACHABLE && reused && !got_any && now_ms() < deadline)
	    continue;
	return r;
    }
    return ASK_UNREACHABLE;
}

/* parse_timeout - "N", "Ns", "Nms" or "Nm" into milliseconds; -1 if bad */
static long long parse_timeout(const char *s, size_t len)
{
    long long v = 0;
    size_t i = 0;

    if (len == 0)
	return -1;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
	v = v * 10 + (s[i] - '0');
	if (v > MTASTS_TIMEOUT_MAX_MS)
	    return -1;
    }
    if (i == 0)
	return -1;
    if (i == len || (len - i == 1 && s[i] == 's'))
	v *= 1000;
    else if (len - i == 2 && s[i] == 'm' && s[i + 1] == 's')
	;
    else if (len - i == 1 && s[i] == 'm')
	v *= 60000;
    else
	return -1;
    return v > 0 && v <= MTASTS_TIMEOUT_MAX_MS ? v : -1;
}

/* parse_opts - socket= and timeout= from Exim's option list; -1 if bad */
static int parse_opts(const char *opts, char *path, size_t pathsz, long long *timeout_ms)
{
    const char *p = opts, *e;
    size_t n;

    while (p && *p) {
	e = strchr(p, ',');
	n = e ? (size_t) (e - p) : strlen(p);
	if (n > 7 && strncmp(p, "socket=", 7) == 0 && n - 7 < pathsz && p[7] == '/') {
	    memcpy(path, p + 7, n - 7);
	    path[n - 7] = 0;
	} else if (n > 8 && strncmp(p, "timeout=", 8) == 0) {
	    if ((*timeout_ms = parse_timeout(p + 8, n - 8)) < 0)
		return -1;
	} else if (n > 0)
	    return -1;
	p = e ? e + 1 : NULL;
    }
    return 0;
}

/*
 * build_request - the query as one request line: runs of spaces and tabs
 * made one space, no space at either end, "\n" added; then checked with
 * the daemon's own parser (printable ASCII, length, verb, well-formed
 * b64: arguments), so nothing the daemon would refuse is ever sent and no
 * byte can end the request early. 0, or -1 with why in err.
 */
static int build_request(const uschar *query, int length, buf *req, proto_req *parsed, mt_err *err)
{
    int i, space = 0;

    for (i = 0; i < length; i++) {
	unsigned char c = query[i];

	if (c == ' ' || c == '\t') {
	    space = req->len > 0;
	    continue;
	}
	if ((space && buf_putc(req, ' ') < 0) || buf_putc(req, c) < 0) {
	    mt_err_set(err, 0, 0, NULL, "out of memory");
	    return -1;
	}
	space = 0;
    }
    if (proto_req_parse(req->data ? req->data : "", req->len, parsed, err) < 0)
	return -1;
    if (buf_putc(req, '\n') < 0) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return -1;
    }
    return 0;
}

/* changes_state - verbs whose answers Exim must not cache */
static int changes_state(const char *verb)
{
    static const char *const verbs[] = {"report", "flush", "prefetch"};
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
	if (strcmp(verb, verbs[i]) == 0)
	    return 1;
    return 0;
}

/* exim_string - a copy of s in Exim's store, as lookups must return */
static uschar *exim_string(const char *s, size_t len)
{
    uschar *r = exim_store_get((int) len + 1);

    memcpy(r, s, len);
    r[len] = 0;
    return r;
}

/* mtasts_open - nothing to open: the connection is made on first use */
static void *mtasts_open(const uschar *filename, uschar **errmsg)
{
    (void) filename;
    (void) errmsg;
    return (void *) (-1);	/* not NULL: NULL means failure to Exim */
}

/* mtasts_find - ask the daemon; always OK with a status word (see above) */
static int mtasts_find(void *handle, const uschar *filename, const uschar *query,
		       int length, uschar **result, uschar **errmsg,
		       unsigned *cache_ttl, const uschar *opts)
{
    char path[sizeof(conn_path)] = MTASTS_SOCKET;
    long long timeout_ms = MTASTS_TIMEOUT_MS, started = now_ms();
    const char *why = NULL, *synth = NULL, *what = "query refused";
    char errtext[MT_ERR_MSG_MAX + 64];
    buf req = {0}, ans = {0};
    proto_req *parsed = NULL;
    mt_err err;
    ask_result r;

    (void) handle;
    (void) filename;
    (void) errmsg;
    mt_err_clear(&err);
    if (opts && parse_opts((const char *) opts, path, sizeof(path), &timeout_ms) < 0) {
	synth = "error reason=bad-option";
	why = "unknown or malformed option (socket=/PATH, timeout=TIME)";
    } else if ((parsed = malloc(sizeof(*parsed))) == NULL) {
	synth = "error reason=bad-query";
	why = "out of memory";
    } else if (build_request(query, length, &req, parsed, &err) < 0) {
	synth = "error reason=bad-query";
	why = mt_err_str(&err, errtext, sizeof(errtext));
    } else {
	if (changes_state(parsed->verb))
	    *cache_ttl = 0;
	if (DEBUG_LOOKUP)
	    debug_printf("mtasts: asking %s (timeout %lld ms): %.*s\n", path, timeout_ms,
			 (int) req.len - 1, req.data);
	what = "request failed";
	r = ask(path, req.data, req.len, started + timeout_ms, &ans, &why);
	if (r == ASK_UNREACHABLE)
	    synth = "tempfail reason=daemon-unreachable";
	else if (r == ASK_BAD_ANSWER)
	    synth = "error reason=bad-answer";
    }
    if (synth) {
	log_write(0, EXIM_LOG_MAIN, "mtasts lookup: %s: %s (socket %s): answering \"%s\"",
		  what, why, path, synth);
	*result = exim_string(synth, strlen(synth));
    } else
	*result = exim_string(ans.data, ans.len);
    if (DEBUG_LOOKUP)
	debug_printf("mtasts: answer after %lld ms: %s%s\n", now_ms() - started,
		     (const char *) *result, synth ? " (from the module: no daemon answer)" : "");
    free(parsed);
    buf_free(&req);
    buf_free(&ans);
    return EXIM_OK;
}

/* mtasts_tidy - Exim's tidy-up: close this process's connection */
static void mtasts_tidy(void)
{
    if (conn_fd >= 0) {
	if (DEBUG_LOOKUP)
	    debug_printf("mtasts: tidy: closing connection fd %d\n", conn_fd);
	if (conn_pid == getpid())
	    shutdown(conn_fd, SHUT_RDWR);
	conn_close();
    }
}

/*
 * mtasts_version_report - append our line to Exim's version report.
 * local_scan.h offers no string appending, so the report is copied into a
 * new block from store_get(): Exim grows such a gstring like its own.
 */
static gstring *mtasts_version_report(gstring *g)
{
    char line[200];
    int n, old = g ? g->ptr : 0;
    gstring *ng;

    n = snprintf(line, sizeof(line),
		 "Library version: mtasts lookup module %s (Exim lookup ABI %s, magic 0x%x)\n",
		 MTASTS_VERSION, MTASTS_EXIM_ABI, EXIM_LOOKUP_MODULE_INFO_MAGIC);
    if (n < 0 || n >= (int) sizeof(line))
	return g;
    ng = exim_store_get((int) sizeof(gstring));
    ng->s = exim_store_get(old + n + 1);
    if (old)
	memcpy(ng->s, g->s, (size_t) old);
    memcpy(ng->s + old, line, (size_t) n + 1);
    ng->ptr = old + n;
    ng->size = old + n + 1;
    return ng;
}

static lookup_info mtasts_lookup_info = {
    .name = (uschar *) "mtasts",
    .type = lookup_querystyle,
    .open = mtasts_open,
    .check = NULL,
    .find = mtasts_find,
    .close = NULL,
    .tidy = mtasts_tidy,
    /*
     * No quote function: Exim 4.96 logs "tainted search query is not
     * properly quoted" for every tainted query ($domain, $host) of a lookup
     * type that has one. Free text is encoded with ${base64:} instead, and
     * build_request() refuses any byte that could end a request early.
     */
    .quote = NULL,
    .version_report = mtasts_version_report,
};

static lookup_info *mtasts_lookups[] = {&mtasts_lookup_info};

/* The one symbol Exim looks up in the module. */
__attribute__((visibility("default")))
lookup_module_info _lookup_module_info = {
    .magic = EXIM_LOOKUP_MODULE_INFO_MAGIC,
    .lookups = mtasts_lookups,
    .lookupcount = 1,
};
