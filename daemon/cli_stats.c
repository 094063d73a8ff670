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
 *	(--prometheus, stats_prometheus(): gauges and counters as the table
 *	in stats_table.c says). Exit 0, or 1 when the daemon cannot be
 *	asked.
 */
#include <stdio.h>

#include "buf.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"
#include "stats_table.h"

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts stats [--json | --prometheus] [-s SOCKET] [-c CONFIG]\n");
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
	buf_free(&ans);
	return 1;
    }
    if (o.prometheus) {
	buf text = {0};

	stats_prometheus(buf_str(&ans), &text);
	if (text.len)
	    fwrite(text.data, 1, text.len, stdout);
	buf_free(&text);
    } else {
	cli_ask_show(&o, buf_str(&ans));
    }
    rc = cli_ask_exit(buf_str(&ans));
    client_close(c);
    buf_free(&ans);
    return rc;
}
