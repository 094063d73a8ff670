/*
 * NAME
 *	mtastsd - the MTA-STS policy daemon that Exim asks
 * SUMMARY
 *	one process, one event loop: socket, discovery, LMDB cache
 * SYNOPSIS
 *	mtastsd [-c CONFIG] [-f] [-o key=value]... [-T] [-V]
 * DESCRIPTION
 *	Reads the configuration (CONFIG, default /etc/mtasts/mtastsd.conf;
 *	-o sets one key on top, as the file would), binds the socket, drops
 *	to the configured user, opens the store and serves. -f stays in the
 *	foreground and logs to stderr; otherwise the daemon detaches (the
 *	parent exits only once the child is ready, with its status) and
 *	logs to syslog. -T checks the configuration and exits.
 *
 *	Signals: SIGTERM and SIGINT stop accepting, finish every answer
 *	owed (at most answer_deadline), commit and exit 0. SIGHUP reopens
 *	the log and reloads the keys that can change safely while running
 *	(reloadable[] below; mtastsd(8) lists them), and names in a warning
 *	every other key that changed. Under systemd, READY=1, RELOADING=1,
 *	STOPPING=1 and WATCHDOG=1 are sent (notify.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "mt_err.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "log.h"
#include "notify.h"
#include "policy_cache.h"
#include "prefetch.h"
#include "refresh.h"
#include "server.h"
#include "state_owner.h"
#include "store.h"
#include "tlsrpt.h"
#include "verbs.h"

#define DRAIN_GRACE_MS 1000	/* beyond answer_deadline, for the last writes */

typedef struct daemon_state {
    const char *config_path;
    int config_given;
    int foreground;
    char **overrides;
    int noverrides;
    mtasts_config cfg;
    evloop *loop;
    server *srv;
    verbs *verbs;
    policy_cache *pc;
    tlsrpt *tr;			/* TLS-RPT: counters, reports (tlsrpt.c) */
    refresh *rf;
    prefetch *pf;			/* prefetch_file, while it runs */
    discovery *disc;
    store *st;
    int sigfd;
    int stopping;
    ev_timer *drain_timer;
    uint64_t stop_at;			/* loop time when draining gives up */
    ev_timer *watchdog;
    uint64_t watchdog_ms;
    int ready_fd;			/* to the waiting parent, -1 when none */
    int log_opened;
    int bound;				/* the socket file is ours: remove it on failure */
} daemon_state;

/* usage - the synopsis */
static void usage(void)
{
    fprintf(stderr, "usage: mtastsd [-c CONFIG] [-f] [-o key=value]... [-T] [-V]\n");
    exit(2);
}

/* load_config - defaults, the file, then -o overrides */
static int load_config(daemon_state *d, mtasts_config *cfg, mt_err *err)
{
    int i;

    config_defaults(cfg);
    if (d->config_given || access(d->config_path, F_OK) == 0) {
	if (config_load(cfg, d->config_path, err) < 0)
	    return -1;
    }
    for (i = 0; i < d->noverrides; i++) {
	char *kv = d->overrides[i], *eq = strchr(kv, '=');
	char key[128];

	if (eq == NULL || (size_t) (eq - kv) >= sizeof(key)) {
	    mt_err_set(err, 0, 0, NULL, "-o %s: expected key=value", kv);
	    return -1;
	}
	memcpy(key, kv, (size_t) (eq - kv));
	key[eq - kv] = 0;
	if (config_set(cfg, key, eq + 1, err) < 0)
	    return -1;
    }
    return d->noverrides > 0 ? config_check(cfg, err) : 0;
}

/* mkdir_parent - create the directory that holds path, when missing */
static void mkdir_parent(const char *path, uid_t uid, gid_t gid)
{
    char dir[PATH_MAX];
    char *slash;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir))
	return;
    if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
	return;
    *slash = 0;
    if (mkdir(dir, 0755) == 0 && uid != (uid_t) -1)
	(void) !chown(dir, uid, gid);
}

/* drop_privileges - become the configured user */
static int drop_privileges(const struct passwd *pw, mt_err *err)
{
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
	|| setuid(pw->pw_uid) < 0) {
	mt_err_set(err, 0, 0, NULL, "cannot become user %s: %s", pw->pw_name, strerror(errno));
	return -1;
    }
    if (setuid(0) == 0) {
	mt_err_set(err, 0, 0, NULL, "dropped to %s but could get root back", pw->pw_name);
	return -1;
    }
    return 0;
}

/* raise_fd_limit - room for max_clients connections and our own descriptors */
static void raise_fd_limit(int max_clients)
{
    struct rlimit rl;
    rlim_t want = (rlim_t) max_clients + 128;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
	return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
	log_msg(LOG_WARNING, "open-file limit %llu is below max_clients + 128 (%llu)",
		(unsigned long long) rl.rlim_cur, (unsigned long long) want);
}

/* write_pid_file - our pid, for init scripts */
static void write_pid_file(const char *path)
{
    FILE *fp;

    if (path == NULL)
	return;
    if ((fp = fopen(path, "w")) == NULL) {
	log_msg(LOG_WARNING, "pid file %s: %s", path, strerror(errno));
	return;
    }
    fprintf(fp, "%ld\n", (long) getpid());
    fclose(fp);
}

/* on_watchdog - tell systemd we are alive: the loop is turning */
static void on_watchdog(evloop *loop, void *arg)
{
    daemon_state *d = arg;

    (void) notify_send("WATCHDOG=1");
    d->watchdog = evloop_timer(loop, d->watchdog_ms, on_watchdog, d);
}

/* on_drain_timer - owed answers are out, or the grace time is over */
static void on_drain_timer(evloop *loop, void *arg)
{
    daemon_state *d = arg;

    d->drain_timer = NULL;
    if (server_clients(d->srv) == 0 || evloop_now_ms(loop) >= d->stop_at) {
	evloop_stop(loop);
	return;
    }
    d->drain_timer = evloop_timer(loop, 50, on_drain_timer, d);
}

/* begin_stop - SIGTERM: stop accepting, finish answers, then leave */
static void begin_stop(daemon_state *d)
{
    if (d->stopping)
	return;
    d->stopping = 1;
    log_msg(LOG_INFO, "stopping: finishing %zu connections", server_clients(d->srv));
    (void) notify_send("STOPPING=1");
    server_drain(d->srv);
    d->stop_at = evloop_now_ms(d->loop) + d->cfg.answer_deadline_ms + DRAIN_GRACE_MS;
    d->drain_timer = evloop_timer(d->loop, 0, on_drain_timer, d);
}

/*
 * The keys read at each use: SIGHUP changes them at once (mtastsd(8),
 * SIGNALS, lists the same). Every other key is read once at start (the
 * socket, the store, the resolver and fetch contexts, the server's
 * limits, TLS-RPT): a change to one needs a restart.
 */
static const char *const reloadable[] = {
    "log_debug", "answer_deadline", "first_contact_window", "txt_recheck_interval",
    "fetch_backoff", "failure_recheck_interval", "dane_admits_unlisted_mx",
    "refresh_at_percent", "refresh_max_interval", "refresh_min_interval",
    "refresh_jitter_percent", "min_cache_lifetime",
};

typedef struct reload_ctx {
    daemon_state *d;
    const mtasts_config *n;
    buf now, later;			/* "key, key" lists for the log */
} reload_ctx;

/* reload_key - one changed key: take it now, or name it as needing a restart */
static void reload_key(const char *key, void *arg)
{
    reload_ctx *r = arg;
    size_t i;

    for (i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
	if (strcmp(reloadable[i], key) == 0 && config_copy_key(&r->d->cfg, r->n, key) == 0) {
	    buf_printf(&r->now, "%s%s", r->now.len ? ", " : "", key);
	    return;
	}
    buf_printf(&r->later, "%s%s", r->later.len ? ", " : "", key);
}

/*
 * reload - SIGHUP: the reloadable keys change at once; every other key
 * that changed is named in one warning as needing a restart, and keeps
 * its running value.
 */
static void reload(daemon_state *d)
{
    mtasts_config n;
    reload_ctx r = {d, &n, {0}, {0}};
    mt_err err;

    (void) notify_send("RELOADING=1");
    log_reopen();
    if (load_config(d, &n, &err) < 0) {
	log_msg(LOG_ERR, "reload: %s; keeping the running configuration", err.msg);
	config_free(&n);
	(void) notify_send("READY=1");
	return;
    }
    config_diff(&d->cfg, &n, reload_key, &r);
    log_open("mtastsd", d->foreground, d->cfg.log_debug);
    if (r.later.len)
	log_msg(LOG_WARNING, "reload: a restart is needed for %s (changed; the running"
		" values stay)", buf_str(&r.later));
    log_msg(LOG_INFO, "configuration reloaded%s%s", r.now.len ? ", changed: " : "",
	    buf_str(&r.now));
    config_free(&n);
    buf_free(&r.now);
    buf_free(&r.later);
    (void) notify_send("READY=1");
}

/* on_signal - signals arrive as reads on a signalfd */
static void on_signal(evloop *loop, int fd, unsigned events, void *arg)
{
    daemon_state *d = arg;
    struct signalfd_siginfo si;

    (void) loop;
    (void) events;
    while (read(fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
	    begin_stop(d);
	    break;
	case SIGHUP:
	    reload(d);
	    break;
	default:
	    break;
	}
    }
}

/* detach - fork; the parent waits for the child's word and exits with it */
static int detach(void)
{
    int p[2];
    pid_t pid;
    char c = 0;

    if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
	perror("mtastsd: fork");
	exit(1);
    }
    if (pid > 0) {
	close(p[1]);
	exit(read(p[0], &c, 1) == 1 && c == 'R' ? 0 : 1);
    }
    close(p[0]);
    (void) setsid();
    return p[1];
}

/* ready - serving: tell the parent and systemd */
static void ready(daemon_state *d)
{
    if (d->ready_fd >= 0) {
	int null = open("/dev/null", O_RDWR);

	(void) !write(d->ready_fd, "R", 1);
	close(d->ready_fd);
	d->ready_fd = -1;
	if (null >= 0) {
	    dup2(null, 0);
	    dup2(null, 1);
	    dup2(null, 2);
	    if (null > 2)
		close(null);
	}
    }
    (void) notify_send("READY=1");
}

/* fatal - a start-up error: to stderr (and syslog when detached) */
static int fatal(daemon_state *d, const char *msg)
{
    fprintf(stderr, "mtastsd: %s\n", msg);
    if (!d->foreground && d->log_opened)
	log_msg(LOG_ERR, "%s", msg);
    if (d->bound)
	(void) unlink(d->cfg.socket);
    return 1;
}

int main(int argc, char **argv)
{
    daemon_state d;
    struct passwd *pw = NULL;
    struct group *gr = NULL;
    srv_limits lim;
    verbs_env venv;
    pc_backend be;
    sigset_t sigs;
    mt_err err;
    int opt, test_only = 0, fd;
    uid_t sock_uid = (uid_t) -1;
    gid_t sock_gid = (gid_t) -1;
    char msg[600];

    memset(&d, 0, sizeof(d));
    d.config_path = CONFIG_DEFAULT_PATH;
    d.ready_fd = -1;
    d.sigfd = -1;
    if ((d.overrides = calloc((size_t) argc + 1, sizeof(char *))) == NULL)
	return 1;
    while ((opt = getopt(argc, argv, "c:fo:TV")) != -1) {
	switch (opt) {
	case 'c':
	    d.config_path = optarg;
	    d.config_given = 1;
	    break;
	case 'f':
	    d.foreground = 1;
	    break;
	case 'o':
	    d.overrides[d.noverrides++] = optarg;
	    break;
	case 'T':
	    test_only = 1;
	    break;
	case 'V':
	    printf("mtastsd %s\n", MTASTS_VERSION);
	    return 0;
	default:
	    usage();
	}
    }
    if (optind != argc)
	usage();
    if (load_config(&d, &d.cfg, &err) < 0)
	return fatal(&d, err.msg) + 1;
    if (d.cfg.user && (pw = getpwnam(d.cfg.user)) == NULL) {
	snprintf(msg, sizeof(msg), "user %s: no such user", d.cfg.user);
	return fatal(&d, msg) + 1;
    }
    if (d.cfg.socket_group && (gr = getgrnam(d.cfg.socket_group)) == NULL) {
	snprintf(msg, sizeof(msg), "socket_group %s: no such group", d.cfg.socket_group);
	return fatal(&d, msg) + 1;
    }
    if (test_only) {
	printf("mtastsd: configuration OK\n");
	return 0;
    }
    if (!d.foreground)
	d.ready_fd = detach();
    log_open("mtastsd", d.foreground, d.cfg.log_debug);
    d.log_opened = 1;
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(d.cfg.max_clients);

    /* The socket, as root when we are root; then the user. */
    if (pw && getuid() == 0)
	sock_uid = pw->pw_uid;
    if (gr)
	sock_gid = gr->gr_gid;
    mkdir_parent(d.cfg.socket, sock_uid, pw ? pw->pw_gid : (gid_t) -1);
    if ((fd = server_bind(d.cfg.socket, d.cfg.socket_mode, sock_uid, sock_gid, &err)) < 0)
	return fatal(&d, err.msg);
    d.bound = 1;
    if (pw && getuid() == 0) {
	if (state_give_to(d.cfg.state_dir, pw->pw_uid, pw->pw_gid, &err) < 0)
	    return fatal(&d, err.msg);
	if (d.cfg.pid_file) {
	    mkdir_parent(d.cfg.pid_file, pw->pw_uid, pw->pw_gid);
	}
	write_pid_file(d.cfg.pid_file);
	if (drop_privileges(pw, &err) < 0)
	    return fatal(&d, err.msg);
    } else {
	if (pw && pw->pw_uid != getuid()) {
	    snprintf(msg, sizeof(msg), "user %s is configured but we run as uid %ld and are"
		     " not root", d.cfg.user, (long) getuid());
	    return fatal(&d, msg);
	}
	if (getuid() == 0)
	    log_msg(LOG_WARNING, "running as root: set 'user' in the configuration");
	write_pid_file(d.cfg.pid_file);
    }

    /* Signals through the loop. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    if ((d.loop = evloop_new()) == NULL
	|| (d.sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0
	|| evloop_watch(d.loop, d.sigfd, EV_READ, on_signal, &d) < 0)
	return fatal(&d, "cannot set up the event loop");

    if ((d.st = store_open(d.cfg.state_dir, d.cfg.store_max_size, &err)) == NULL)
	return fatal(&d, err.msg);
    if ((d.disc = discovery_new(d.loop, &d.cfg, &err)) == NULL)
	return fatal(&d, err.msg);
    be = pc_backend_discovery(d.disc);
    if ((d.pc = pc_new(d.loop, &d.cfg, d.st, &be, &err)) == NULL)
	return fatal(&d, err.msg);
    if ((d.tr = tlsrpt_new(d.loop, &d.cfg, d.st, d.pc, d.disc, &err)) == NULL)
	return fatal(&d, err.msg);
    pc_set_failure_hook(d.pc, tlsrpt_on_fetch_failure, d.tr);
    if ((d.rf = refresh_new(d.loop, &d.cfg, d.st, d.pc, &err)) == NULL)
	return fatal(&d, err.msg);
    if (d.cfg.prefetch_file
	&& (d.pf = prefetch_start(d.loop, &d.cfg, d.pc, d.cfg.prefetch_file, &err)) == NULL)
	return fatal(&d, err.msg);
    venv.cfg = &d.cfg;
    venv.pc = d.pc;
    venv.st = d.st;
    venv.loop = d.loop;
    if ((d.verbs = verbs_new(&venv)) == NULL || tlsrpt_add_verbs(d.tr, d.verbs) < 0)
	return fatal(&d, "out of memory");
    memset(&lim, 0, sizeof(lim));
    lim.max_clients = d.cfg.max_clients;
    lim.max_line = (size_t) d.cfg.max_request_size;
    lim.idle_timeout_ms = d.cfg.client_idle_timeout_ms;
    if (gr) {
	lim.have_group = 1;
	lim.group = gr->gr_gid;
    }
    if ((d.srv = server_new(d.loop, fd, &lim, verbs_handle, d.verbs)) == NULL)
	return fatal(&d, "cannot serve the socket");
    verbs_set_server(d.verbs, d.srv);
    verbs_set_refresh(d.verbs, d.rf);
    if ((d.watchdog_ms = notify_watchdog_ms()) > 0)
	d.watchdog = evloop_timer(d.loop, d.watchdog_ms, on_watchdog, &d);

    {
	store_stats ss;

	store_info(d.st, &ss);
	log_msg(LOG_INFO, "mtastsd %s ready on %s (state %s, %llu domains known)",
		MTASTS_VERSION, d.cfg.socket, d.cfg.state_dir, (unsigned long long) ss.entries);
    }
    ready(&d);
    evloop_run(d.loop);

    /* Stopping: every answer is out; commit and release. */
    if (d.watchdog)
	evloop_timer_cancel(d.loop, d.watchdog);
    server_free(d.srv);
    prefetch_free(d.pf);
    refresh_free(d.rf);
    tlsrpt_free(d.tr);			/* commits pending TLS-RPT counts; before
					 * discovery, whose client it POSTs with */
    discovery_free(d.disc);		/* no callbacks after this */
    pc_free(d.pc);			/* commits last-use times */
    verbs_free(d.verbs);
    store_close(d.st);
    evloop_unwatch(d.loop, d.sigfd);
    close(d.sigfd);
    if (d.cfg.pid_file)
	(void) unlink(d.cfg.pid_file);
    evloop_free(d.loop);
    log_msg(LOG_INFO, "stopped");
    config_free(&d.cfg);
    free(d.overrides);
    return 0;
}
