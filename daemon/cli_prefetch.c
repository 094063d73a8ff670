/*
 * NAME
 *	cli_prefetch - mtasts prefetch: discover and cache a list of domains
 * SYNOPSIS
 *	mtasts prefetch [FILE|-] [--json] [-s SOCKET] [-c CONFIG] [--timeout SECONDS]
 *
 *	int cli_prefetch(int argc, char **argv);
 * DESCRIPTION
 *	Reads domains, one per line (blank lines skipped, "#" starts a
 *	comment), from FILE or standard input, and asks mtastsd
 *	"prefetch DOMAIN" for each: the daemon discovers and caches the
 *	policy as for a delivery (a remembered failure is tried again; a
 *	policy already cached is answered at once). PREFETCH_WINDOW
 *	requests are kept in flight on one connection, so that many
 *	discoveries run at once; the daemon answers in order.
 *
 *	On a terminal (standard error), a progress bar shows how far it
 *	got and the counts so far; otherwise it is quiet until the end.
 *	The summary counts the domains with an enforce, testing or none
 *	policy, with no policy (no record, or a definitive fetch failure:
 *	the daemon answers none with its reason), and those that failed
 *	(tempfail or error, or no answer), and lists the failures with
 *	their reasons; --json prints the same as one JSON object:
 *	{"total", "seconds", "enforce", "testing", "none", "no_policy",
 *	"failed", "failures": [{"domain", "status", "reason"}]}.
 *
 *	Exit 0 when no domain failed, 1 when some failed or the daemon
 *	went away, 2 on usage errors or when the list cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "mt_err.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"
#include "prefetch.h"

#define PREFETCH_WINDOW 16		/* requests in flight: discoveries at once */
#define PREFETCH_BAR_WIDTH 30
#define PREFETCH_BAR_EVERY_MS 100	/* progress bar redraws at most this often */

enum { K_ENFORCE, K_TESTING, K_NONE, K_NO_POLICY, K_FAILED, K_COUNT };

typedef struct failure {
    char *domain;
    char *status;
    char *reason;
} failure;

typedef struct run {
    char **domains;
    size_t n;
    size_t answered;
    size_t count[K_COUNT];
    failure *fail;
    size_t nfail;
    int bar;				/* draw a progress bar */
    long long last_bar;
    struct timespec t0;
} run;

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts prefetch [FILE|-] [--json] [-s SOCKET] [-c CONFIG]"
	    " [--timeout SECONDS]\n"
	    "  have mtastsd discover and cache the policies of a list of domains\n"
	    "  (one per line, # comments)\n");
}

/* elapsed - seconds since the start */
static double elapsed(const run *r)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) (t.tv_sec - r->t0.tv_sec) + (double) (t.tv_nsec - r->t0.tv_nsec) / 1e9;
}

/* read_list - the domains of the file, comments and blank lines skipped */
static int read_list(FILE *in, run *r)
{
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t len;

    while ((len = getline(&line, &cap, in)) >= 0) {
	size_t wlen;
	char *s = prefetch_list_word(line, &wlen);

	if (s == NULL)
	    continue;
	if (r->n == room) {
	    size_t nr = room ? room * 2 : 256;
	    char **nd = realloc(r->domains, nr * sizeof(*nd));

	    if (nd == NULL)
		goto oom;
	    r->domains = nd;
	    room = nr;
	}
	if ((r->domains[r->n] = strdup(s)) == NULL)
	    goto oom;
	r->n++;
    }
    free(line);
    return ferror(in) ? -1 : 0;
oom:
    free(line);
    errno = ENOMEM;
    return -1;
}

/* draw_bar - the progress bar on stderr, at most every PREFETCH_BAR_EVERY_MS */
static void draw_bar(run *r, int force)
{
    long long now = (long long) (elapsed(r) * 1000);
    size_t fill, i;
    char bar[PREFETCH_BAR_WIDTH + 1];

    if (!r->bar || (!force && now - r->last_bar < PREFETCH_BAR_EVERY_MS))
	return;
    r->last_bar = now;
    fill = r->n ? r->answered * PREFETCH_BAR_WIDTH / r->n : PREFETCH_BAR_WIDTH;
    for (i = 0; i < PREFETCH_BAR_WIDTH; i++)
	bar[i] = i < fill ? '#' : '.';
    bar[PREFETCH_BAR_WIDTH] = 0;
    fprintf(stderr, "\r[%s] %zu/%zu  enforce %zu  testing %zu  none %zu  no policy %zu"
	    "  failed %zu ", bar, r->answered, r->n, r->count[K_ENFORCE], r->count[K_TESTING],
	    r->count[K_NONE], r->count[K_NO_POLICY], r->count[K_FAILED]);
    fflush(stderr);
}

/* add_failure - remember a failed domain for the summary */
static void add_failure(run *r, const char *domain, const char *status, const char *reason)
{
    failure *nf = realloc(r->fail, (r->nfail + 1) * sizeof(*nf));

    if (nf == NULL)
	return;
    r->fail = nf;
    r->fail[r->nfail].domain = strdup(domain);
    r->fail[r->nfail].status = strdup(status);
    r->fail[r->nfail].reason = strdup(reason);
    r->nfail++;
}

/* classify - count one answer */
static void classify(run *r, const char *domain, const char *answer)
{
    cli_word w[CLI_ASK_MAX_WORDS];
    buf store = {0};
    const char *status = "", *mode = "", *reason = "";
    int n, i;

    n = cli_ask_words(answer, w, CLI_ASK_MAX_WORDS, &store);
    for (i = 0; i < n; i++) {
	if (w[i].key == NULL)
	    status = w[i].val;
	else if (strcmp(w[i].key, "mode") == 0)
	    mode = w[i].val;
	else if (strcmp(w[i].key, "reason") == 0)
	    reason = w[i].val;
    }
    if (strcmp(status, "ok") == 0 && strcmp(mode, "enforce") == 0)
	r->count[K_ENFORCE]++;
    else if (strcmp(status, "ok") == 0 && strcmp(mode, "testing") == 0)
	r->count[K_TESTING]++;
    else if ((strcmp(status, "ok") == 0 || strcmp(status, "none") == 0)
	     && strcmp(mode, "none") == 0)
	r->count[K_NONE]++;
    else if (strcmp(status, "none") == 0)
	r->count[K_NO_POLICY]++;
    else {
	r->count[K_FAILED]++;
	add_failure(r, domain, *status ? status : "error", *reason ? reason : "unknown");
    }
    r->answered++;
    buf_free(&store);
}

/* ask_all - every domain, PREFETCH_WINDOW in flight; -1 when the daemon went away */
static int ask_all(mt_client *c, run *r, mt_err *err)
{
    buf req = {0}, ans = {0};
    size_t sent = 0, got = 0;
    int rc = 0;

    while (got < r->n) {
	while (sent < r->n && sent - got < PREFETCH_WINDOW) {
	    buf_reset(&req);
	    buf_puts(&req, "prefetch");
	    client_put_arg(&req, r->domains[sent]);
	    if (client_send(c, buf_str(&req), err) < 0) {
		rc = -1;
		goto done;
	    }
	    sent++;
	}
	if (client_read_line(c, &ans, err) < 0) {
	    rc = -1;
	    goto done;
	}
	classify(r, r->domains[got], buf_str(&ans));
	got++;
	draw_bar(r, 0);
    }
done:
    /* what was not answered failed */
    for (; got < r->n; got++) {
	r->count[K_FAILED]++;
	r->answered++;
	add_failure(r, r->domains[got], "error", "no-answer");
    }
    buf_free(&req);
    buf_free(&ans);
    return rc;
}

/* print_summary - counts and failures, for a person */
static void print_summary(const run *r)
{
    size_t i;

    printf("prefetched %zu domain%s in %.1f s: %zu enforce, %zu testing, %zu none,"
	   " %zu no policy, %zu failed\n", r->n, r->n == 1 ? "" : "s", elapsed(r),
	   r->count[K_ENFORCE], r->count[K_TESTING], r->count[K_NONE], r->count[K_NO_POLICY],
	   r->count[K_FAILED]);
    if (r->nfail)
	printf("failed:\n");
    for (i = 0; i < r->nfail; i++) {
	printf("  %s  %s  ", r->fail[i].status, r->fail[i].reason);
	cli_ask_safe(stdout, r->fail[i].domain);
	printf("\n");
    }
}

/* print_json - the same as one JSON object */
static void print_json(const run *r)
{
    json_t *o = json_object(), *arr = json_array();
    char *s;
    size_t i;

    json_object_set_new(o, "total", json_integer((json_int_t) r->n));
    json_object_set_new(o, "seconds", json_real(elapsed(r)));
    json_object_set_new(o, "enforce", json_integer((json_int_t) r->count[K_ENFORCE]));
    json_object_set_new(o, "testing", json_integer((json_int_t) r->count[K_TESTING]));
    json_object_set_new(o, "none", json_integer((json_int_t) r->count[K_NONE]));
    json_object_set_new(o, "no_policy", json_integer((json_int_t) r->count[K_NO_POLICY]));
    json_object_set_new(o, "failed", json_integer((json_int_t) r->count[K_FAILED]));
    for (i = 0; i < r->nfail; i++) {
	json_t *f = json_object();

	json_object_set_new(f, "domain", json_string(r->fail[i].domain ? r->fail[i].domain : ""));
	json_object_set_new(f, "status", json_string(r->fail[i].status ? r->fail[i].status : ""));
	json_object_set_new(f, "reason", json_string(r->fail[i].reason ? r->fail[i].reason : ""));
	json_array_append_new(arr, f);
    }
    json_object_set_new(o, "failures", arr);
    if ((s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII)) != NULL)
	printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* run_free - everything the run holds */
static void run_free(run *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
	free(r->domains[i]);
    free(r->domains);
    for (i = 0; i < r->nfail; i++) {
	free(r->fail[i].domain);
	free(r->fail[i].status);
	free(r->fail[i].reason);
    }
    free(r->fail);
}

/* cli_prefetch - mtasts prefetch */
int cli_prefetch(int argc, char **argv)
{
    cli_ask_opts o;
    mt_client *c;
    run r;
    mt_err err;
    FILE *in = stdin;
    const char *name = "-";
    int rc;

    if ((rc = cli_ask_options(argc, argv, &o, usage)) != 0)
	return rc == 1 ? 0 : 2;
    if (o.nargs > 1 || o.mx || o.prometheus) {
	usage(stderr);
	return 2;
    }
    memset(&r, 0, sizeof(r));
    if (o.nargs == 1)
	name = o.args[0];
    if (strcmp(name, "-") != 0 && (in = fopen(name, "r")) == NULL) {
	fprintf(stderr, "mtasts prefetch: %s: %s\n", name, strerror(errno));
	return 2;
    }
    rc = read_list(in, &r);
    if (in != stdin)
	fclose(in);
    if (rc < 0) {
	fprintf(stderr, "mtasts prefetch: reading %s: %s\n", name, strerror(errno));
	run_free(&r);
	return 2;
    }
    if ((c = cli_ask_connect(&o)) == NULL) {
	run_free(&r);
	return 1;
    }
    r.bar = !o.json && isatty(2);
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    draw_bar(&r, 1);
    rc = ask_all(c, &r, &err);
    client_close(c);
    if (r.bar) {
	draw_bar(&r, 1);
	fprintf(stderr, "\n");
    }
    if (rc < 0)
	fprintf(stderr, "mtasts prefetch: %s\n", err.msg);
    if (o.json)
	print_json(&r);
    else
	print_summary(&r);
    rc = r.count[K_FAILED] > 0 ? 1 : 0;
    run_free(&r);
    return rc;
}
