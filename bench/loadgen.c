/*
 * NAME
 *	loadgen - keep C connections to a lookup server busy and measure it
 * SUMMARY
 *	closed-loop, event-driven benchmark client for line and socketmap
 *	servers: throughput, latency percentiles, its own CPU time
 * SYNOPSIS
 *	loadgen (-u PATH | -t HOST:PORT) [-c CONNS] [-T THREADS]
 *	        [-d SECONDS | -n COUNT] [-w WARMUP_SECONDS]
 *	        [-f DOMAIN_FILE | -D DOMAIN] [-m line|socketmap]
 *	        [-r TEMPLATE] [-s MAPNAME] [-e PREFIX] [-P SERVER_PID] [-k]
 * DESCRIPTION
 *	Each of CONNS connections sends one request, waits for its answer,
 *	and sends the next at once (a closed loop, as each Exim delivery
 *	process does with its one connection). The connections are spread
 *	over THREADS threads (default 1), each a single non-blocking epoll
 *	loop, so the client costs a few hundred nanoseconds of CPU per
 *	request and is never what is measured; the report shows that cost.
 *
 *	Framing (-m): "line" sends TEMPLATE with %s replaced by the domain
 *	(default "policy %s") and a "\n", and reads one "\n"-ended answer
 *	line (the mtastsd protocol). "socketmap" sends the netstring
 *	"LEN:MAPNAME DOMAIN," and reads one netstring answer (Postfix's
 *	socketmap protocol, spoken by postfix-mta-sts-resolver).
 *
 *	Domains come from DOMAIN_FILE (one per line; blank lines and "#"
 *	comments skipped) or -D; connection i starts at a different place
 *	in the list and walks through it.
 *
 *	The run has a warm-up (-w, default 1 s: connections made, caches
 *	warm, nothing recorded), then a measured window of -d seconds
 *	(default 5) or until COUNT answers have been received (-n). Only
 *	answers received inside the window count. Latency is from the
 *	first byte sent to the last byte of the answer read, recorded in a
 *	log-linear histogram (HDR style: 128 sub-buckets per power of two,
 *	under 0.8 % relative error).
 *
 *	-e PREFIX counts answers that do not start with PREFIX as
 *	mismatches (the first is shown), so a run against a server that
 *	answers "tempfail" instead of a cached policy cannot pass for a
 *	fast one. -P PID also reports the server's CPU time over the
 *	window, from /proc/PID/stat (all its threads).
 *
 *	The report is a few human lines, or with -k one line of key=value
 *	words for scripts (bench/run.sh).
 *
 *	Exit status: 0 when every answer arrived and matched, 1 when there
 *	were errors or mismatches, 2 on bad usage or no connection.
 *
 *	The program is self-contained on purpose: it shares no code with
 *	the daemon it measures.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LG_REQ_MAX 2100		/* a request line: mtastsd takes <= 2048 bytes */
#define LG_ANSWER_MAX 8192	/* longest answer we accept */
#define LG_MAX_CONNS 65536
#define LG_MAX_THREADS 64

/* Log-linear histogram of nanoseconds: values below 2^HIST_SUB_BITS
 * exactly, then HIST_SUB_HALF buckets for every further power of two. */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)	/* 128 */
#define HIST_SUB_HALF (HIST_SUB / 2)	/* 64 */
#define HIST_EXP_MAX 40			/* up to 2^47 ns, a day and a half */
#define HIST_BUCKETS (HIST_SUB + HIST_EXP_MAX * HIST_SUB_HALF)

typedef struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t n;
    uint64_t max;
    double sum;
} hist;

typedef enum framing { FRAME_LINE, FRAME_SOCKETMAP } framing;

typedef struct request {
    char *bytes;
    size_t len;
} request;

struct worker;

typedef struct conn {
    int fd;
    struct worker *w;
    size_t next;		/* index into the request list */
    const request *cur;
    size_t sent;		/* bytes of cur written */
    uint64_t t0;		/* when the request was first written */
    size_t inlen;
    char in[LG_ANSWER_MAX + 32];
} conn;

typedef struct worker {
    int id;
    int epfd;
    size_t nconns;
    conn **conns;
    hist h;
    uint64_t answers;		/* inside the window */
    uint64_t errors;
    uint64_t mismatches;
    uint64_t quota;		/* -n: answers this worker needs, 0: by time */
    uint64_t window_start_ns, window_end_ns;
    uint64_t measured_end_ns;	/* when it actually stopped counting */
    double cpu_s;		/* this thread's CPU time inside the window */
    int done;
    pthread_t tid;
} worker;

/* Options, read-only once the workers run. */
static struct {
    const char *unix_path;
    const char *tcp;
    int conns;
    int threads;
    double duration;
    double warmup;
    uint64_t count;
    framing frame;
    const char *templ;
    const char *mapname;
    const char *expect;
    size_t expect_len;
    long server_pid;
    int kv;
    request *reqs;
    size_t nreqs;
    struct sockaddr_storage addr;
    socklen_t addrlen;
} opt;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int mismatch_shown;

/* now_ns - CLOCK_MONOTONIC in nanoseconds */
static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* thread_cpu_s - CPU time (user + system) of the calling thread */
static double thread_cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_THREAD, &ru) != 0)
	return 0;
    return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
	+ (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* proc_cpu_s - CPU time of process pid (all threads), or -1 */
static double proc_cpu_s(long pid)
{
    char path[64], data[1024], *p;
    unsigned long ut, st;
    FILE *fp;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((fp = fopen(path, "r")) == NULL)
	return -1;
    n = fread(data, 1, sizeof(data) - 1, fp);
    fclose(fp);
    data[n] = 0;
    /* the command name may hold spaces: fields count from its ")" */
    if ((p = strrchr(data, ')')) == NULL)
	return -1;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	       &ut, &st) != 2)
	return -1;
    return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

/* hist_index - the bucket of value v */
static unsigned hist_index(uint64_t v)
{
    unsigned msb, e;

    if (v < HIST_SUB)
	return (unsigned) v;
    msb = 63u - (unsigned) __builtin_clzll(v);
    e = msb - (HIST_SUB_BITS - 1);	/* v >> e lies in [64, 128) */
    if (e > HIST_EXP_MAX)
	return HIST_BUCKETS - 1;
    return HIST_SUB + (e - 1) * HIST_SUB_HALF + (unsigned) ((v >> e) - HIST_SUB_HALF);
}

/* hist_value - the middle of bucket i */
static uint64_t hist_value(unsigned i)
{
    unsigned e;
    uint64_t lo;

    if (i < HIST_SUB)
	return i;
    e = (i - HIST_SUB) / HIST_SUB_HALF + 1;
    lo = (uint64_t) ((i - HIST_SUB) % HIST_SUB_HALF + HIST_SUB_HALF) << e;
    return lo + ((1ull << e) >> 1);
}

/* hist_add - record one value */
static void hist_add(hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->n++;
    h->sum += (double) v;
    if (v > h->max)
	h->max = v;
}

/* hist_merge - add the counts of b into a */
static void hist_merge(hist *a, const hist *b)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
	a->count[i] += b->count[i];
    a->n += b->n;
    a->sum += b->sum;
    if (b->max > a->max)
	a->max = b->max;
}

/* hist_quantile - the value below which fraction q of the values lie */
static uint64_t hist_quantile(const hist *h, double q)
{
    uint64_t want, seen = 0;

    if (h->n == 0)
	return 0;
    want = (uint64_t) (q * (double) h->n);
    if (want >= h->n)
	want = h->n - 1;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
	seen += h->count[i];
	if (seen > want) {
	    uint64_t v = hist_value(i);
	    return v > h->max ? h->max : v;
	}
    }
    return h->max;
}

/* usage - print the synopsis and exit */
static void usage(void)
{
    fprintf(stderr,
	    "usage: loadgen (-u PATH | -t HOST:PORT) [-c CONNS] [-T THREADS]\n"
	    "               [-d SECONDS | -n COUNT] [-w WARMUP_SECONDS]\n"
	    "               [-f DOMAIN_FILE | -D DOMAIN] [-m line|socketmap]\n"
	    "               [-r TEMPLATE] [-s MAPNAME] [-e PREFIX] [-P SERVER_PID] [-k]\n");
    exit(2);
}

/* die - report a fatal error and exit 2 */
static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s\n", what);
    exit(2);
}

/* add_request - prebuild the bytes sent for one domain */
static void add_request(const char *domain, size_t dlen)
{
    char line[LG_REQ_MAX + 32];
    size_t n = 0;
    request *r;

    if (opt.frame == FRAME_LINE) {
	const char *pct = strstr(opt.templ, "%s");
	size_t pre = pct ? (size_t) (pct - opt.templ) : strlen(opt.templ);
	size_t post = pct ? strlen(pct + 2) : 0;

	if (pre + dlen + post + 1 > LG_REQ_MAX)
	    die("request too long");
	memcpy(line, opt.templ, pre);
	n = pre;
	if (pct) {
	    memcpy(line + n, domain, dlen);
	    n += dlen;
	    memcpy(line + n, pct + 2, post);
	    n += post;
	}
	line[n++] = '\n';
    } else {
	size_t body = strlen(opt.mapname) + 1 + dlen;

	if (body + 16 > LG_REQ_MAX)
	    die("request too long");
	n = (size_t) snprintf(line, sizeof(line), "%zu:%s ", body, opt.mapname);
	memcpy(line + n, domain, dlen);
	n += dlen;
	line[n++] = ',';
    }
    if (opt.nreqs % 1024 == 0) {
	request *nr = realloc(opt.reqs, (opt.nreqs + 1024) * sizeof(*nr));

	if (nr == NULL)
	    die("out of memory");
	opt.reqs = nr;
    }
    r = &opt.reqs[opt.nreqs++];
    if ((r->bytes = malloc(n)) == NULL)
	die("out of memory");
    memcpy(r->bytes, line, n);
    r->len = n;
}

/* load_domains - one request per domain of the file */
static void load_domains(const char *path)
{
    char line[1024];
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");

    if (fp == NULL) {
	perror(path);
	exit(2);
    }
    while (fgets(line, sizeof(line), fp)) {
	char *s = line, *e;

	while (*s == ' ' || *s == '\t')
	    s++;
	if (*s == '#' || *s == '\n' || *s == 0)
	    continue;
	for (e = s; *e && *e != '\n' && *e != '\r' && *e != ' ' && *e != '\t' && *e != '#'; e++)
	    ;
	add_request(s, (size_t) (e - s));
    }
    if (fp != stdin)
	fclose(fp);
}

/* resolve_target - fill opt.addr from -u or -t */
static void resolve_target(void)
{
    if (opt.unix_path) {
	struct sockaddr_un *sun = (struct sockaddr_un *) &opt.addr;

	if (strlen(opt.unix_path) >= sizeof(sun->sun_path))
	    die("socket path too long");
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, opt.unix_path);
	opt.addrlen = sizeof(*sun);
    } else {
	char host[256];
	const char *colon = strrchr(opt.tcp, ':');
	struct addrinfo hints = {0}, *ai;
	size_t hl = 0;

	if (colon == NULL || (hl = (size_t) (colon - opt.tcp)) >= sizeof(host))
	    die("-t wants HOST:PORT");
	memcpy(host, opt.tcp, hl);
	host[hl] = 0;
	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']') {
	    memmove(host, host + 1, hl - 2);
	    host[hl - 2] = 0;
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
	    die("-t wants a numeric address and port");
	memcpy(&opt.addr, ai->ai_addr, ai->ai_addrlen);
	opt.addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
    }
}

/* conn_open - connect (blocking, then made non-blocking); -1 on failure */
static int conn_open(conn *c)
{
    int fd, one = 1;

    if ((fd = socket(opt.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    if (connect(fd, (struct sockaddr *) &opt.addr, opt.addrlen) != 0) {
	close(fd);
	return -1;
    }
    if (opt.addr.ss_family != AF_UNIX)
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    c->inlen = 0;
    c->cur = NULL;
    return 0;
}

/* conn_watch - wait for readability, and writability while a request is half sent */
static void conn_watch(conn *c, int op)
{
    struct epoll_event ev = {0};

    ev.events = EPOLLIN | (c->cur && c->sent < c->cur->len ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(c->w->epfd, op, c->fd, &ev);
}

/* conn_send - start the next request or continue a partial write; -1 on error */
static int conn_send(conn *c)
{
    int was_partial = c->cur != NULL;
    ssize_t n;

    if (c->cur == NULL) {
	c->cur = &opt.reqs[c->next];
	c->next = (c->next + 1) % opt.nreqs;
	c->sent = 0;
	c->t0 = now_ns();
    }
    while (c->sent < c->cur->len) {
	n = send(c->fd, c->cur->bytes + c->sent, c->cur->len - c->sent, MSG_NOSIGNAL);
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    if (errno == EAGAIN || errno == EWOULDBLOCK) {
		if (!was_partial)
		    conn_watch(c, EPOLL_CTL_MOD);
		return 0;
	    }
	    return -1;
	}
	c->sent += (size_t) n;
    }
    if (was_partial)
	conn_watch(c, EPOLL_CTL_MOD);
    return 0;
}

/* answer_length - bytes of the first complete answer in c->in, 0 if none yet, -1 if malformed */
static long answer_length(conn *c, const char **body, size_t *blen)
{
    if (opt.frame == FRAME_LINE) {
	char *nl = memchr(c->in, '\n', c->inlen);

	if (nl == NULL)
	    return c->inlen > LG_ANSWER_MAX ? -1 : 0;
	*body = c->in;
	*blen = (size_t) (nl - c->in);
	return (long) (*blen + 1);
    } else {
	size_t i, len = 0;

	for (i = 0; i < c->inlen && c->in[i] != ':'; i++) {
	    if (c->in[i] < '0' || c->in[i] > '9' || i > 6)
		return -1;
	    len = len * 10 + (size_t) (c->in[i] - '0');
	}
	if (i == c->inlen)
	    return 0;
	if (len > LG_ANSWER_MAX)
	    return -1;
	if (c->inlen < i + 1 + len + 1)
	    return 0;
	if (c->in[i + 1 + len] != ',')
	    return -1;
	*body = c->in + i + 1;
	*blen = len;
	return (long) (i + 1 + len + 1);
    }
}

/* conn_error - count a failed connection and make a fresh one */
static void conn_error(conn *c)
{
    worker *w = c->w;

    w->errors++;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (conn_open(c) == 0) {
	conn_watch(c, EPOLL_CTL_ADD);
	if (conn_send(c) != 0)
	    w->errors++;
    }
}

/* conn_readable - read answers; for each, record it and send the next request */
static void conn_readable(conn *c, uint64_t *now)
{
    worker *w = c->w;
    ssize_t n;

    /* One recv per readiness: the loop is level-triggered, so what is
     * left is reported again, and a second recv that only says EAGAIN
     * would double the client's system calls per request. */
    for (;;) {
	size_t room = sizeof(c->in) - c->inlen;

	n = recv(c->fd, c->in + c->inlen, room, 0);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
	    return;
	if (n <= 0) {
	    conn_error(c);
	    return;
	}
	c->inlen += (size_t) n;
	for (;;) {
	    const char *body = NULL;
	    size_t blen = 0;
	    long used = answer_length(c, &body, &blen);

	    if (used < 0) {
		conn_error(c);
		return;
	    }
	    if (used == 0)
		break;
	    if (c->cur == NULL || c->sent < c->cur->len) {
		conn_error(c);	/* an answer to nothing */
		return;
	    }
	    *now = now_ns();
	    if (*now >= w->window_start_ns && !w->done) {
		if (w->answers == 0 && w->h.n == 0)
		    w->cpu_s = -thread_cpu_s();
		hist_add(&w->h, *now - c->t0);
		w->answers++;
		if (opt.expect && (blen < opt.expect_len
				   || memcmp(body, opt.expect, opt.expect_len) != 0)) {
		    w->mismatches++;
		    pthread_mutex_lock(&report_lock);
		    if (!mismatch_shown++)
			fprintf(stderr, "loadgen: unexpected answer: %.*s\n",
				(int) (blen > 300 ? 300 : blen), body);
		    pthread_mutex_unlock(&report_lock);
		}
		if ((w->quota && w->answers >= w->quota)
		    || (!w->quota && *now >= w->window_end_ns)) {
		    w->done = 1;
		    w->measured_end_ns = *now;
		    w->cpu_s += thread_cpu_s();
		}
	    }
	    memmove(c->in, c->in + used, c->inlen - (size_t) used);
	    c->inlen -= (size_t) used;
	    c->cur = NULL;
	    if (w->done)
		return;
	    if (conn_send(c) != 0) {
		conn_error(c);
		return;
	    }
	}
	if ((size_t) n < room)
	    return;
    }
}

/* worker_run - one thread: its connections, one epoll loop */
static void *worker_run(void *arg)
{
    worker *w = arg;
    struct epoll_event evs[256];
    uint64_t now;
    size_t i;
    int n;

    for (i = 0; i < w->nconns; i++) {
	conn_watch(w->conns[i], EPOLL_CTL_ADD);
	if (conn_send(w->conns[i]) != 0)
	    conn_error(w->conns[i]);
    }
    while (!w->done) {
	n = epoll_wait(w->epfd, evs, 256, 10);
	if (n < 0 && errno != EINTR)
	    break;
	for (int k = 0; k < n && !w->done; k++) {
	    conn *c = evs[k].data.ptr;

	    if (c->fd < 0)
		continue;
	    if (evs[k].events & EPOLLOUT && c->cur && c->sent < c->cur->len) {
		if (conn_send(c) != 0) {
		    conn_error(c);
		    continue;
		}
	    }
	    if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_readable(c, &now);
	}
	now = now_ns();
	if (!w->done && !w->quota && now >= w->window_end_ns) {
	    /* nothing answered at the end of the window */
	    w->done = 1;
	    w->measured_end_ns = now;
	    w->cpu_s += w->h.n ? thread_cpu_s() : 0;
	}
    }
    return NULL;
}

int main(int argc, char **argv)
{
    worker *workers;
    conn *conns;
    hist *all;
    uint64_t start, answers = 0, errors = 0, mismatches = 0, end = 0;
    double client_cpu = 0, srv0 = -1, srv1 = -1, window, rps;
    const char *single = NULL, *file = NULL;
    int ch, i;

    opt.conns = 1;
    opt.threads = 1;
    opt.duration = 5;
    opt.warmup = 1;
    opt.frame = FRAME_LINE;
    opt.templ = "policy %s";
    opt.mapname = "mta-sts";
    opt.server_pid = -1;
    while ((ch = getopt(argc, argv, "u:t:c:T:d:n:w:f:D:m:r:s:e:P:k")) != -1) {
	switch (ch) {
	case 'u': opt.unix_path = optarg; break;
	case 't': opt.tcp = optarg; break;
	case 'c': opt.conns = atoi(optarg); break;
	case 'T': opt.threads = atoi(optarg); break;
	case 'd': opt.duration = atof(optarg); break;
	case 'n': opt.count = strtoull(optarg, NULL, 10); break;
	case 'w': opt.warmup = atof(optarg); break;
	case 'f': file = optarg; break;
	case 'D': single = optarg; break;
	case 'm':
	    if (strcmp(optarg, "line") == 0)
		opt.frame = FRAME_LINE;
	    else if (strcmp(optarg, "socketmap") == 0)
		opt.frame = FRAME_SOCKETMAP;
	    else
		usage();
	    break;
	case 'r': opt.templ = optarg; break;
	case 's': opt.mapname = optarg; break;
	case 'e': opt.expect = optarg; opt.expect_len = strlen(optarg); break;
	case 'P': opt.server_pid = atol(optarg); break;
	case 'k': opt.kv = 1; break;
	default: usage();
	}
    }
    if (optind != argc || (!opt.unix_path == !opt.tcp))
	usage();
    if (opt.conns < 1 || opt.conns > LG_MAX_CONNS || opt.threads < 1
	|| opt.threads > LG_MAX_THREADS || opt.duration <= 0 || opt.warmup < 0)
	usage();
    if (opt.threads > opt.conns)
	opt.threads = opt.conns;
    if (file)
	load_domains(file);
    if (single || (!file))
	add_request(single ? single : "example.com", strlen(single ? single : "example.com"));
    if (opt.nreqs == 0)
	die("no domains");
    resolve_target();

    workers = calloc((size_t) opt.threads, sizeof(*workers));
    conns = calloc((size_t) opt.conns, sizeof(*conns));
    all = calloc(1, sizeof(*all));
    if (!workers || !conns || !all)
	die("out of memory");
    for (i = 0; i < opt.threads; i++) {
	workers[i].id = i;
	if ((workers[i].epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
	    die("epoll_create1 failed");
	workers[i].conns = calloc((size_t) opt.conns / (size_t) opt.threads + 1, sizeof(conn *));
	if (workers[i].conns == NULL)
	    die("out of memory");
	if (opt.count)
	    workers[i].quota = opt.count / (uint64_t) opt.threads
		+ ((uint64_t) i < opt.count % (uint64_t) opt.threads);
    }
    for (i = 0; i < opt.conns; i++) {
	conn *c = &conns[i];
	worker *w = &workers[i % opt.threads];

	c->w = w;
	c->next = (size_t) i * (opt.nreqs / (size_t) opt.conns + 1) % opt.nreqs;
	if (conn_open(c) != 0) {
	    fprintf(stderr, "loadgen: connection %d: %s\n", i, strerror(errno));
	    exit(2);
	}
	w->conns[w->nconns++] = c;
    }

    start = now_ns();
    for (i = 0; i < opt.threads; i++) {
	workers[i].window_start_ns = start + (uint64_t) (opt.warmup * 1e9);
	workers[i].window_end_ns = workers[i].window_start_ns + (uint64_t) (opt.duration * 1e9);
	if (pthread_create(&workers[i].tid, NULL, worker_run, &workers[i]) != 0)
	    die("pthread_create failed");
    }
    if (opt.server_pid > 0) {
	uint64_t ws = workers[0].window_start_ns, t = now_ns();

	if (ws > t) {
	    struct timespec d = {(time_t) ((ws - t) / 1000000000u), (long) ((ws - t) % 1000000000u)};
	    nanosleep(&d, NULL);
	}
	srv0 = proc_cpu_s(opt.server_pid);
    }
    for (i = 0; i < opt.threads; i++) {
	pthread_join(workers[i].tid, NULL);
	hist_merge(all, &workers[i].h);
	answers += workers[i].answers;
	errors += workers[i].errors;
	mismatches += workers[i].mismatches;
	client_cpu += workers[i].cpu_s;
	if (workers[i].measured_end_ns > end)
	    end = workers[i].measured_end_ns;
    }
    if (opt.server_pid > 0)
	srv1 = proc_cpu_s(opt.server_pid);
    window = end > workers[0].window_start_ns
	? (double) (end - workers[0].window_start_ns) / 1e9 : 0;
    rps = window > 0 ? (double) answers / window : 0;

    if (opt.kv) {
	printf("conns=%d threads=%d framing=%s domains=%zu window_s=%.3f answers=%llu"
	       " errors=%llu mismatches=%llu rps=%.0f mean_us=%.1f p50_us=%.1f p90_us=%.1f"
	       " p99_us=%.1f p999_us=%.1f max_us=%.1f client_cpu_pct=%.1f"
	       " client_cpu_us_per_req=%.2f",
	       opt.conns, opt.threads, opt.frame == FRAME_LINE ? "line" : "socketmap",
	       opt.nreqs, window, (unsigned long long) answers,
	       (unsigned long long) errors, (unsigned long long) mismatches, rps,
	       all->n ? all->sum / (double) all->n / 1e3 : 0,
	       hist_quantile(all, 0.50) / 1e3, hist_quantile(all, 0.90) / 1e3,
	       hist_quantile(all, 0.99) / 1e3, hist_quantile(all, 0.999) / 1e3,
	       all->max / 1e3, window > 0 ? 100 * client_cpu / window : 0,
	       answers ? client_cpu / (double) answers * 1e6 : 0);
	if (srv0 >= 0 && srv1 >= 0)
	    printf(" server_cpu_pct=%.1f server_cpu_us_per_req=%.2f",
		   window > 0 ? 100 * (srv1 - srv0) / window : 0,
		   answers ? (srv1 - srv0) / (double) answers * 1e6 : 0);
	printf("\n");
    } else {
	printf("%d connection(s), %d thread(s), %s framing, %zu domain(s)\n",
	       opt.conns, opt.threads, opt.frame == FRAME_LINE ? "line" : "socketmap",
	       opt.nreqs);
	printf("  %llu answers in %.3f s: %.0f requests/s; %llu errors, %llu mismatches\n",
	       (unsigned long long) answers, window, rps,
	       (unsigned long long) errors, (unsigned long long) mismatches);
	printf("  latency us: mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	       all->n ? all->sum / (double) all->n / 1e3 : 0,
	       hist_quantile(all, 0.50) / 1e3, hist_quantile(all, 0.90) / 1e3,
	       hist_quantile(all, 0.99) / 1e3, hist_quantile(all, 0.999) / 1e3,
	       all->max / 1e3);
	printf("  client CPU: %.1f %% of one core, %.2f us per request\n",
	       window > 0 ? 100 * client_cpu / window : 0,
	       answers ? client_cpu / (double) answers * 1e6 : 0);
	if (srv0 >= 0 && srv1 >= 0)
	    printf("  server CPU: %.1f %% of one core, %.2f us per request\n",
		   window > 0 ? 100 * (srv1 - srv0) / window : 0,
		   answers ? (srv1 - srv0) / (double) answers * 1e6 : 0);
    }
    for (i = 0; i < opt.conns; i++)
	if (conns[i].fd >= 0)
	    close(conns[i].fd);
    for (size_t k = 0; k < opt.nreqs; k++)
	free(opt.reqs[k].bytes);
    free(opt.reqs);
    for (i = 0; i < opt.threads; i++) {
	close(workers[i].epfd);
	free(workers[i].conns);
    }
    free(workers);
    free(conns);
    free(all);
    if (answers == 0)
	return 2;
    return errors || mismatches ? 1 : 0;
}
