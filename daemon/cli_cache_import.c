/*
 * NAME
 *	cli_cache_import - mtasts cache import: fill the store offline
 * SYNOPSIS
 *	mtasts cache import FILE|- [-c CONFIG] [--force]
 *
 *	int cli_cache_import(int argc, char **argv);
 * DESCRIPTION
 *	Reads policies, one JSON object per line (cache_import.h gives the
 *	format), and writes them into the store under the configuration's
 *	state_dir, as if the daemon had fetched each of them. For seeding a
 *	new host or a test, and for the benchmarks (a million policies
 *	take seconds).
 *
 *	mtastsd keeps its cache in memory, so it must not be running: the
 *	command refuses while something answers on the configured socket
 *	(--force imports anyway; restart the daemon afterwards). Run as
 *	root with a configured user, the store files are given to that
 *	user, as the daemon would have made them.
 *
 *	Prints what was imported and how long it took. Exit 0 when every
 *	line was imported, 1 when some were bad (each is reported on stderr
 *	with its line number) or the store failed, 2 on usage or
 *	configuration errors.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mt_err.h"

#include "cache_import.h"
#include "cli.h"
#include "config.h"
#include "state_owner.h"
#include "store.h"

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts cache import FILE|- [-c CONFIG] [--force]\n"
	    "  write policies (JSON lines: domain, id, policy, fetched) into mtastsd's store;\n"
	    "  mtastsd must be stopped\n");
}

/* daemon_answers - something accepts connections on the socket */
static int daemon_answers(const char *path)
{
    struct sockaddr_un sun = {0};
    int fd, ok;

    if (strlen(path) >= sizeof(sun.sun_path))
	return 0;
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return 0;
    ok = connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0;
    close(fd);
    return ok;
}

/* give_to_user - the store files belong to the daemon's user */
static void give_to_user(const mtasts_config *cfg)
{
    struct passwd *pw;
    mt_err err;

    if (getuid() != 0 || cfg->user == NULL || (pw = getpwnam(cfg->user)) == NULL)
	return;
    if (state_give_to(cfg->state_dir, pw->pw_uid, pw->pw_gid, &err) < 0)
	fprintf(stderr, "mtasts: %s\n", err.msg);
}

/* cli_cache_import - mtasts cache import */
int cli_cache_import(int argc, char **argv)
{
    const char *config = NULL, *file = NULL;
    mtasts_config cfg;
    cache_import_stats s;
    struct timespec t0, t1;
    store_stats ss;
    store *st;
    FILE *in;
    mt_err err;
    int force = 0, i, rc;
    double secs;

    for (i = 1; i < argc; i++) {
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
	    usage(stdout);
	    return 0;
	} else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
	    config = argv[++i];
	} else if (!strcmp(argv[i], "--force")) {
	    force = 1;
	} else if (file == NULL && (argv[i][0] != '-' || argv[i][1] == 0)) {
	    file = argv[i];
	} else {
	    usage(stderr);
	    return 2;
	}
    }
    if (file == NULL) {
	usage(stderr);
	return 2;
    }
    config_defaults(&cfg);
    if ((config || access(CONFIG_DEFAULT_PATH, F_OK) == 0)
	&& config_load(&cfg, config ? config : CONFIG_DEFAULT_PATH, &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	config_free(&cfg);
	return 2;
    }
    if (!force && daemon_answers(cfg.socket)) {
	fprintf(stderr, "mtasts: mtastsd answers on %s: stop it first (it keeps its cache in"
		" memory and would not see the import), or use --force and restart it\n",
		cfg.socket);
	config_free(&cfg);
	return 1;
    }
    if (strcmp(file, "-") == 0)
	in = stdin;
    else if ((in = fopen(file, "r")) == NULL) {
	fprintf(stderr, "mtasts: %s: %s\n", file, strerror(errno));
	config_free(&cfg);
	return 2;
    }
    if ((st = store_open(cfg.state_dir, cfg.store_max_size, &err)) == NULL) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	if (in != stdin)
	    fclose(in);
	config_free(&cfg);
	return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = cache_import(st, &cfg, in, strcmp(file, "-") == 0 ? "stdin" : file,
		      (int64_t) time(NULL), &s, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc < 0)
	fprintf(stderr, "mtasts: %s\n", err.msg);
    store_info(st, &ss);
    printf("imported %llu policies (%llu already expired) in %.2f s; %llu bad lines;"
	   " the store holds %llu domains, %llu bytes\n",
	   (unsigned long long) s.imported, (unsigned long long) s.expired, secs,
	   (unsigned long long) s.bad, (unsigned long long) ss.entries,
	   (unsigned long long) ss.file_bytes);
    store_close(st);
    give_to_user(&cfg);
    if (in != stdin)
	fclose(in);
    config_free(&cfg);
    return rc < 0 || s.bad > 0 ? 1 : 0;
}
