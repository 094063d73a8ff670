/*
 * NAME
 *	cli_cache - mtasts cache: list, show and flush the daemon's cache
 * SYNOPSIS
 *	mtasts cache list [--json] [-s SOCKET] [-c CONFIG]
 *	mtasts cache show DOMAIN [--json] [-s SOCKET] [-c CONFIG]
 *	mtasts cache flush DOMAIN [--json] [-s SOCKET] [-c CONFIG]
 *
 *	int cli_cache(int argc, char **argv);
 * DESCRIPTION
 *	list prints one line per domain the daemon knows: domain, state
 *	(cached, expired, pending, no-record, failed, new), mode, id and
 *	expiry; --json prints an array of objects. show prints everything
 *	known about one domain, the policy text included. flush makes the
 *	daemon forget a domain's policy and failure state (it is fetched
 *	again on the next query); the daemon allows it to root, its own
 *	user and members of its socket_group only.
 *	Exit 0 on success, 1 on a refusal or failure, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "mt_err.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts cache list [--json] [-s SOCKET] [-c CONFIG]\n"
	    "       mtasts cache show DOMAIN [--json] [-s SOCKET] [-c CONFIG]\n"
	    "       mtasts cache flush DOMAIN [--json] [-s SOCKET] [-c CONFIG]\n"
	    "       mtasts cache import FILE|- [-c CONFIG] [--force]   (mtastsd stopped)\n");
}

/* when - a Unix time for people, UTC */
static const char *when(const char *secs, char *out, size_t outsz)
{
    time_t t = (time_t) atoll(secs);
    struct tm tm;

    if (*secs == 0 || t == 0 || gmtime_r(&t, &tm) == NULL)
	return "-";
    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

/* do_list - "list": a counted header, then one line per domain */
static int do_list(mt_client *c, const cli_ask_opts *o)
{
    buf line = {0}, store = {0};
    json_t *arr = o->json ? json_array() : NULL;
    mt_err err;
    long n, i;
    int rc = 0;

    if (cli_ask_request(c, "list", &line) < 0)
	return 1;
    if (strncmp(buf_str(&line), "ok count=", 9) != 0) {
	fprintf(stderr, "mtasts: unexpected answer: ");
	cli_ask_safe(stderr, buf_str(&line));
	fputc('\n', stderr);
	buf_free(&line);
	return 1;
    }
    n = atol(buf_str(&line) + 9);
    if (!o->json)
	printf("%-40s %-10s %-8s %-20s %s\n", "DOMAIN", "STATE", "MODE", "EXPIRES", "ID");
    for (i = 0; i < n; i++) {
	cli_word w[32];
	char t[32];
	int nw;

	if (client_read_line(c, &line, &err) < 0) {
	    fprintf(stderr, "mtasts: %s\n", err.msg);
	    rc = 1;
	    break;
	}
	if (o->json) {
	    /* the line has no status word: give it one for the parser */
	    buf tmp = {0};

	    buf_puts(&tmp, "- ");
	    buf_append(&tmp, line.data, line.len);
	    {
		json_t *obj = cli_ask_json(tmp.data);

		json_object_del(obj, "status");
		json_array_append_new(arr, obj);
	    }
	    buf_free(&tmp);
	    continue;
	}
	{
	    buf tmp = {0};

	    buf_puts(&tmp, "- ");
	    buf_append(&tmp, line.data, line.len);
	    nw = cli_ask_words(tmp.data, w, 32, &store);
	    buf_free(&tmp);
	}
	printf("%-40s %-10s %-8s %-20s %s\n", cli_ask_word(w, nw, "domain"),
	       cli_ask_word(w, nw, "state"),
	       *cli_ask_word(w, nw, "mode") ? cli_ask_word(w, nw, "mode") : "-",
	       when(cli_ask_word(w, nw, "expires"), t, sizeof(t)),
	       *cli_ask_word(w, nw, "id") ? cli_ask_word(w, nw, "id") : "-");
    }
    if (o->json)
	cli_ask_print_json(arr);
    buf_free(&line);
    buf_free(&store);
    return rc;
}

/* cli_cache - mtasts cache list|show|flush */
int cli_cache(int argc, char **argv)
{
    cli_ask_opts o;
    mt_client *c;
    buf req = {0}, ans = {0};
    const char *sub;
    int rc;

    if (argc >= 2 && strcmp(argv[1], "import") == 0)
	return cli_cache_import(argc - 1, argv + 1);	/* offline: cli_cache_import.c */
    if ((rc = cli_ask_options(argc, argv, &o, usage)) != 0)
	return rc == 1 ? 0 : 2;
    if (o.nargs < 1) {
	usage(stderr);
	return 2;
    }
    sub = o.args[0];
    if (!((strcmp(sub, "list") == 0 && o.nargs == 1)
	  || ((strcmp(sub, "show") == 0 || strcmp(sub, "flush") == 0) && o.nargs == 2))) {
	usage(stderr);
	return 2;
    }
    if ((c = cli_ask_connect(&o)) == NULL)
	return 1;
    if (strcmp(sub, "list") == 0) {
	rc = do_list(c, &o);
	client_close(c);
	return rc;
    }
    buf_puts(&req, sub);
    client_put_arg(&req, o.args[1]);
    if (cli_ask_request(c, req.data, &ans) < 0) {
	rc = 1;
    } else {
	if (!o.json && strcmp(sub, "flush") == 0 && strncmp(buf_str(&ans), "ok", 2) == 0)
	    printf("flushed %s\n", o.args[1]);
	else
	    cli_ask_show(&o, buf_str(&ans));
	rc = strncmp(buf_str(&ans), "ok", 2) == 0 ? 0 : 1;
    }
    client_close(c);
    buf_free(&req);
    buf_free(&ans);
    return rc;
}
