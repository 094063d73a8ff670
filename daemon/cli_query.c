/*
 * NAME
 *	cli_query - mtasts query: what mtastsd answers for a domain
 * SYNOPSIS
 *	mtasts query DOMAIN [--mx HOST] [--json] [-s SOCKET] [-c CONFIG]
 *	             [--timeout SECONDS]
 *
 *	int cli_query(int argc, char **argv);
 * DESCRIPTION
 *	Sends "policy DOMAIN" (or "mx DOMAIN HOST" with --mx) to the daemon
 *	and prints the answer: the status word, then each key and value on
 *	its own line (on stderr for an error answer), or with --json one
 *	JSON object. The daemon may fetch
 *	the policy first (up to its answer_deadline). Exit 0 for ok and
 *	none, 1 for tempfail, error or when the daemon cannot be reached,
 *	2 for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts query DOMAIN [--mx HOST] [--json] [-s SOCKET] [-c CONFIG]"
	    " [--timeout SECONDS]\n"
	    "  ask mtastsd for the MTA-STS policy of DOMAIN (or the verdict for one MX HOST)\n");
}

/* cli_query - mtasts query */
int cli_query(int argc, char **argv)
{
    cli_ask_opts o;
    mt_client *c;
    buf req = {0}, ans = {0};
    int rc;

    if ((rc = cli_ask_options(argc, argv, &o, usage)) != 0)
	return rc == 1 ? 0 : 2;
    if (o.nargs != 1) {
	usage(stderr);
	return 2;
    }
    if ((c = cli_ask_connect(&o)) == NULL)
	return 1;
    buf_puts(&req, o.mx ? "mx" : "policy");
    client_put_arg(&req, o.args[0]);
    if (o.mx)
	client_put_arg(&req, o.mx);
    if (cli_ask_request(c, req.data, &ans) < 0) {
	rc = 1;
    } else {
	cli_ask_show(&o, buf_str(&ans));
	rc = cli_ask_exit(buf_str(&ans));
    }
    client_close(c);
    buf_free(&req);
    buf_free(&ans);
    return rc;
}
