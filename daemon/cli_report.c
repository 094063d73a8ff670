/*
 * NAME
 *	cli_report - mtasts report list|show|send: TLS-RPT reports (RFC 8460)
 * SYNOPSIS
 *	mtasts report list [--day D] [--json] [-s SOCKET] [-c CONFIG]
 *	mtasts report show DOMAIN [--day D] [--json] [-s SOCKET] [-c CONFIG]
 *	mtasts report send [--day D] [--dry-run] [--json] [-s SOCKET] [-c CONFIG]
 * DESCRIPTION
 *	Asks mtastsd (verbs tlsrpt-list, tlsrpt-show, tlsrpt-send; see
 *	mtasts-tlsrpt(7)). D is YYYY-MM-DD, "today" or "yesterday" (the
 *	default: the last whole UTC day).
 *	list: each domain with counts on D, its success and failure totals
 *	and the state of its report (none, built, sent, partial, failed).
 *	show: the report JSON exactly as it was sent, or as it would be
 *	built now (on stdout; --json wraps it with "built").
 *	send: builds D's reports and sends them now, waiting until every
 *	delivery has ended; --dry-run says, per domain, where the report
 *	would go, and sends nothing. Both warn loudly on stderr when the
 *	daemon has no DKIM key (RFC 8460 §5.3: receivers ignore unsigned
 *	mailed reports).
 *	Exit status: 0 success, 1 a failure (daemon, delivery), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "mt_err.h"

#include "cli.h"
#include "cli_ask.h"
#include "client.h"

#define SEND_TIMEOUT_MS 600000	/* report send waits for every delivery */

/* usage - the synopsis */
static void usage(FILE *fp)
{
    fprintf(fp, "usage: mtasts report list [--day D] [--json] [-s SOCKET] [-c CONFIG]\n"
	    "       mtasts report show DOMAIN [--day D] [--json] [-s SOCKET] [-c CONFIG]\n"
	    "       mtasts report send [--day D] [--dry-run] [--json] [-s SOCKET] [-c CONFIG]\n"
	    "D: YYYY-MM-DD, today or yesterday (default)\n");
}

/* warn_unsigned - RFC 8460 §5.3, loudly */
static void warn_unsigned(void)
{
    fprintf(stderr,
	    "mtasts: WARNING: mtastsd has no DKIM key (dkim_key_file): mailed reports leave\n"
	    "mtasts: WARNING: UNSIGNED, and RFC 8460 §5.3 tells receivers to IGNORE them,\n"
	    "mtasts: WARNING: unless your Exim signs mail from report_from itself.\n");
}

/* print_json - one JSON value on stdout */
static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

    if (s)
	puts(s);
    free(s);
    json_decref(o);
}

/* word - a key's value among the words of an answer, "" when absent */
static const char *word(const cli_word *w, int n, const char *key)
{
    int i;

    for (i = 0; i < n; i++)
	if (w[i].key && strcmp(w[i].key, key) == 0)
	    return w[i].val;
    return "";
}

/* counted - a counted answer: header, then lines, as a table or JSON */
static int counted(mt_client *c, const char *request, const cli_ask_opts *o, int dry)
{
    buf line = {0}, store = {0}, tmp = {0};
    json_t *arr = o->json ? json_array() : NULL;
    cli_word w[32];
    mt_err err;
    long n, i;
    int nw, rc = 0;

    if (client_request(c, request, &line, &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	return 1;
    }
    if (strncmp(buf_str(&line), "ok count=", 9) != 0) {
	cli_ask_print(stderr, buf_str(&line));
	buf_free(&line);
	json_decref(arr);
	return 1;
    }
    n = atol(buf_str(&line) + 9);
    if (dry && strstr(buf_str(&line), "signed=no"))
	warn_unsigned();
    if (!o->json)
	printf(dry ? "%-40s %s\n" : "%-40s %10s %10s  %s\n", "DOMAIN",
	       dry ? "RUA (WHY)" : "SUCCESS", "FAILURE", "REPORT");
    for (i = 0; i < n; i++) {
	if (client_read_line(c, &line, &err) < 0) {
	    fprintf(stderr, "mtasts: %s\n", err.msg);
	    rc = 1;
	    break;
	}
	buf_reset(&tmp);
	buf_puts(&tmp, "- ");	/* the line has no status word: give it one */
	buf_append(&tmp, line.data, line.len);
	if (o->json) {
	    json_t *obj = cli_ask_json(tmp.data);

	    json_object_del(obj, "status");
	    json_array_append_new(arr, obj);
	    continue;
	}
	nw = cli_ask_words(tmp.data, w, 32, &store);
	if (dry)
	    printf("%-40s %s (%s)\n", word(w, nw, "domain"),
		   *word(w, nw, "rua") ? word(w, nw, "rua") : "-", word(w, nw, "why"));
	else
	    printf("%-40s %10s %10s  %s\n", word(w, nw, "domain"), word(w, nw, "success"),
		   word(w, nw, "failure"), word(w, nw, "report"));
    }
    if (o->json)
	print_json(arr);
    buf_free(&line);
    buf_free(&store);
    buf_free(&tmp);
    return rc;
}

/* show - the report JSON */
static int show(mt_client *c, const char *request, const cli_ask_opts *o)
{
    buf ans = {0}, store = {0};
    cli_word w[CLI_ASK_MAX_WORDS];
    mt_err err;
    int nw, rc = 1;

    if (client_request(c, request, &ans, &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	return 1;
    }
    nw = cli_ask_words(buf_str(&ans), w, CLI_ASK_MAX_WORDS, &store);
    if (strncmp(buf_str(&ans), "ok", 2) == 0) {
	if (o->json) {
	    json_t *rep = json_loads(word(w, nw, "json"), 0, NULL), *obj = json_object();

	    json_object_set_new(obj, "built", json_boolean(strcmp(word(w, nw, "built"), "yes") == 0));
	    json_object_set_new(obj, "report", rep ? rep : json_null());
	    print_json(obj);
	} else
	    puts(word(w, nw, "json"));
	rc = 0;
    } else if (strncmp(buf_str(&ans), "none", 4) == 0) {
	fprintf(stderr, "mtasts: nothing was counted for that domain and day\n");
	rc = 1;
    } else
	cli_ask_print(stderr, buf_str(&ans));
    buf_free(&ans);
    buf_free(&store);
    return rc;
}

/* do_send - build and send, and say how it went */
static int do_send(mt_client *c, const char *request, const cli_ask_opts *o)
{
    buf ans = {0};
    mt_err err;
    int rc;

    if (client_request(c, request, &ans, &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	return 1;
    }
    if (strstr(buf_str(&ans), "signed=no"))
	warn_unsigned();
    if (o->json)
	print_json(cli_ask_json(buf_str(&ans)));
    else
	cli_ask_print(strncmp(buf_str(&ans), "ok", 2) ? stderr : stdout, buf_str(&ans));
    rc = strncmp(buf_str(&ans), "ok", 2) == 0 && !strstr(buf_str(&ans), " errors=") ? 0 : 1;
    if (strncmp(buf_str(&ans), "ok", 2) == 0) {
	const char *e = strstr(buf_str(&ans), " errors=");

	rc = e && atoi(e + 8) > 0 ? 1 : 0;
    }
    buf_free(&ans);
    return rc;
}

/* cli_report - mtasts report list|show|send */
int cli_report(int argc, char **argv)
{
    char **av = calloc((size_t) argc + 1, sizeof(*av));
    const char *day = NULL, *sub;
    int ac = 0, i, dry = 0, rc;
    cli_ask_opts o;
    mt_client *c;
    buf req = {0};

    if (av == NULL)
	return 1;
    /* our own options first; the common ones go to cli_ask_options() */
    for (i = 0; i < argc; i++) {
	if (strcmp(argv[i], "--day") == 0 && i + 1 < argc)
	    day = argv[++i];
	else if (strcmp(argv[i], "--dry-run") == 0)
	    dry = 1;
	else
	    av[ac++] = argv[i];
    }
    rc = cli_ask_options(ac, av, &o, usage);
    if (rc != 0) {
	free(av);
	return rc == 1 ? 0 : 2;
    }
    sub = o.nargs > 0 ? o.args[0] : "";
    if (!((strcmp(sub, "list") == 0 && o.nargs == 1 && !dry)
	  || (strcmp(sub, "show") == 0 && o.nargs == 2 && !dry)
	  || (strcmp(sub, "send") == 0 && o.nargs == 1))) {
	usage(stderr);
	free(av);
	return 2;
    }
    if (strcmp(sub, "send") == 0 && o.timeout_ms == 0)
	o.timeout_ms = SEND_TIMEOUT_MS;
    buf_puts(&req, strcmp(sub, "list") == 0 ? "tlsrpt-list" : strcmp(sub, "show") == 0
	     ? "tlsrpt-show" : "tlsrpt-send");
    if (strcmp(sub, "show") == 0)
	client_put_arg(&req, o.args[1]);
    if (day)
	client_put_arg(&req, day);
    if (dry)
	client_put_arg(&req, "dry-run");
    if ((c = cli_ask_connect(&o)) == NULL) {
	buf_free(&req);
	free(av);
	return 1;
    }
    if (strcmp(sub, "list") == 0)
	rc = counted(c, req.data, &o, 0);
    else if (strcmp(sub, "show") == 0)
	rc = show(c, req.data, &o);
    else if (dry)
	rc = counted(c, req.data, &o, 1);
    else
	rc = do_send(c, req.data, &o);
    client_close(c);
    buf_free(&req);
    free(av);
    return rc;
}
