/*
 * NAME
 *	cli_stats - mtasts stats: the daemon's counters
 * SYNOPSIS
 *	mtasts stats [--json | --prometheus] [-s SOCKET] [-c CONFIG]
 *
 *	int cli_stats(int argc, char **argv);
 * DESCRIPTION
 *	Asks "stats" and prints the counters one per line, as one JSON
 *	object (--json), or in the Prometheus text exposition format
 *	(--prometheus): requests_VERB become mtastsd_requests_total{verb=
 *	"VERB"}, answers_STATUS mtastsd_answers_total{status="STATUS"},
 *	values that are levels (…_now, cache_entries, store sizes, uptime)
 *	gauges mtastsd_KEY, every other counter mtastsd_KEY_total, and the
 *	version mtastsd_info{version="V"} 1. Exit 0, or 1 when the daemon
 *	cannot be asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts stats [--json | --prometheus] [-s SOCKET] [-c CONFIG]\n");
}

/* is_gauge - a level rather than a count */
static int is_gauge(const char *key)
{
    static const char *const g[] = {
	"uptime", "cache_entries", "store_entries", "store_scheduled", "store_used_bytes",
	"store_map_bytes", "store_max_bytes", NULL
    };
    size_t l = strlen(key);
    int i;

    if (l > 4 && strcmp(key + l - 4, "_now") == 0)
	return 1;
    for (i = 0; g[i]; i++)
	if (strcmp(g[i], key) == 0)
	    return 1;
    return 0;
}

/* print_prometheus - the text exposition format */
static void print_prometheus(const char *line)
{
    cli_word w[CLI_ASK_MAX_WORDS];
    buf store = {0};
    int n, i, req_typed = 0, ans_typed = 0;

    n = cli_ask_words(line, w, CLI_ASK_MAX_WORDS, &store);
    for (i = 0; i < n; i++) {
	const char *k = w[i].key, *v = w[i].val;

	if (k == NULL)
	    continue;
	if (strcmp(k, "version") == 0) {
	    printf("# HELP mtastsd_info The running mtastsd.\n# TYPE mtastsd_info gauge\n"
		   "mtastsd_info{version=\"");
	    cli_ask_safe(stdout, v);
	    printf("\"} 1\n");
	} else if (strspn(v, "0123456789") != strlen(v)) {
	    continue;
	} else if (strncmp(k, "requests_", 9) == 0 && strcmp(k, "requests_bad")
		   && strcmp(k, "requests_denied")) {
	    if (!req_typed++)
		printf("# HELP mtastsd_requests_total Requests by verb.\n"
		       "# TYPE mtastsd_requests_total counter\n");
	    printf("mtastsd_requests_total{verb=\"%s\"} %s\n", k + 9, v);
	} else if (strncmp(k, "answers_", 8) == 0) {
	    if (!ans_typed++)
		printf("# HELP mtastsd_answers_total Policy answers by status.\n"
		       "# TYPE mtastsd_answers_total counter\n");
	    printf("mtastsd_answers_total{status=\"%s\"} %s\n", k + 8, v);
	} else if (is_gauge(k)) {
	    printf("# TYPE mtastsd_%s gauge\nmtastsd_%s %s\n", k, k, v);
	} else {
	    printf("# TYPE mtastsd_%s_total counter\nmtastsd_%s_total %s\n", k, k, v);
	}
    }
    buf_free(&store);
}

/* cli_stats - mtasts stats */
int cli_stats(int argc, char **argv)
{
    cli_ask_opts o;
    mt_client *c;
    buf ans = {0};
    int rc;

    if ((rc = cli_ask_options(argc, argv, &o, usage)) != 0)
	return rc == 1 ? 0 : 2;
    if (o.nargs != 0 || (o.json && o.prometheus)) {
	usage(stderr);
	return 2;
    }
    if ((c = cli_ask_connect(&o)) == NULL)
	return 1;
    if (cli_ask_request(c, "stats", &ans) < 0) {
	client_close(c);
	return 1;
    }
    if (o.prometheus) {
	print_prometheus(buf_str(&ans));
    } else if (o.json) {
	cli_ask_print_json(cli_ask_json(buf_str(&ans)));
    } else {
	cli_ask_print(stdout, buf_str(&ans));
    }
    rc = cli_ask_exit(buf_str(&ans));
    client_close(c);
    buf_free(&ans);
    return rc;
}
