/*
 * NAME
 *	cli_ask - what the CLI verbs that ask mtastsd have in common
 * SYNOPSIS
 *	#include "cli_ask.h"
 *
 *	int  cli_ask_options(int argc, char **argv, cli_ask_opts *o,
 *	                     void (*usage)(FILE *));
 *	mt_client *cli_ask_connect(const cli_ask_opts *o);
 *	int  cli_ask_request(mt_client *c, const char *req, buf *ans);
 *	int  cli_ask_words(const char *line, cli_word *w, size_t max, buf *store);
 *	const char *cli_ask_word(const cli_word *w, int n, const char *key);
 *	json_t *cli_ask_json(const char *line);
 *	void cli_ask_print_json(json_t *o);
 *	void cli_ask_print(FILE *fp, const char *line);
 *	void cli_ask_safe(FILE *fp, const char *s);
 *	int  cli_ask_exit(const char *line);
 * DESCRIPTION
 *	See cli_ask.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "mt_err.h"
#include "proto.h"

#include "cli_ask.h"
#include "client.h"

/* cli_ask_options - the options every asking verb takes */
int cli_ask_options(int argc, char **argv, cli_ask_opts *o, void (*usage)(FILE *))
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = 1; i < argc; i++) {
	const char *a = argv[i];

	if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
	    usage(stdout);
	    return 1;
	} else if (!strcmp(a, "--json")) {
	    o->json = 1;
	} else if (!strcmp(a, "--prometheus")) {
	    o->prometheus = 1;
	} else if ((!strcmp(a, "-s") || !strcmp(a, "--socket")) && i + 1 < argc) {
	    o->socket = argv[++i];
	} else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && i + 1 < argc) {
	    o->config = argv[++i];
	} else if (!strcmp(a, "--mx") && i + 1 < argc) {
	    o->mx = argv[++i];
	} else if (!strcmp(a, "--timeout") && i + 1 < argc) {
	    o->timeout_ms = atoi(argv[++i]) * 1000;
	} else if (!strcmp(a, "-s") || !strcmp(a, "--socket") || !strcmp(a, "-c")
		   || !strcmp(a, "--config") || !strcmp(a, "--mx") || !strcmp(a, "--timeout")) {
	    fprintf(stderr, "mtasts %s: option %s needs a value\n", argv[0], a);	/* the last word */
	    usage(stderr);
	    return 2;
	} else if (a[0] == '-' && a[1] != 0) {
	    fprintf(stderr, "mtasts %s: unknown option %s\n", argv[0], a);
	    usage(stderr);
	    return 2;
	} else if (o->nargs < CLI_ASK_MAX_ARGS) {
	    o->args[o->nargs++] = argv[i];
	} else {
	    usage(stderr);
	    return 2;
	}
    }
    return 0;
}

/* cli_ask_connect - the daemon, or a message saying why not */
mt_client *cli_ask_connect(const cli_ask_opts *o)
{
    char path[4096];
    mt_client *c;
    mt_err err;

    if (client_socket_path(o->socket, o->config, path, sizeof(path), &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	return NULL;
    }
    if ((c = client_connect(path, o->timeout_ms, &err)) == NULL)
	fprintf(stderr, "mtasts: %s\n", err.msg);
    return c;
}

/* cli_ask_request - one request and its answer, or a message saying why not */
int cli_ask_request(mt_client *c, const char *req, buf *ans)
{
    mt_err err;

    if (client_request(c, req, ans, &err) < 0) {
	fprintf(stderr, "mtasts: %s\n", err.msg);
	return -1;
    }
    return 0;
}

/* cli_ask_words - status and decoded key=value words of an answer */
int cli_ask_words(const char *line, cli_word *w, size_t max, buf *store)
{
    size_t n = 0, i;
    const char *p = line;
    size_t *offs_k, *offs_v;

    buf_reset(store);
    if ((offs_k = calloc(max, sizeof(size_t))) == NULL
	|| (offs_v = calloc(max, sizeof(size_t))) == NULL) {
	free(offs_k);
	return -1;
    }
    while (*p && n < max) {
	const char *end, *eq;

	while (*p == ' ')
	    p++;
	if (*p == 0)
	    break;
	end = strchr(p, ' ');
	if (end == NULL)
	    end = p + strlen(p);
	eq = memchr(p, '=', (size_t) (end - p));
	if (n == 0 || eq == NULL) {
	    offs_k[n] = (size_t) -1;
	    offs_v[n] = store->len;
	    buf_append(store, p, (size_t) (end - p));
	} else {
	    offs_k[n] = store->len;
	    buf_append(store, p, (size_t) (eq - p));
	    buf_putc(store, 0);
	    offs_v[n] = store->len;
	    if (proto_value_decode(eq + 1, (size_t) (end - eq - 1), store) < 0)
		buf_append(store, eq + 1, (size_t) (end - eq - 1));
	}
	buf_putc(store, 0);
	n++;
	p = end;
    }
    for (i = 0; i < n; i++) {
	w[i].key = offs_k[i] == (size_t) -1 ? NULL : store->data + offs_k[i];
	w[i].val = store->data + offs_v[i];
    }
    free(offs_k);
    free(offs_v);
    return (int) n;
}

/* cli_ask_word - the value of key among the words of an answer, "" when absent */
const char *cli_ask_word(const cli_word *w, int n, const char *key)
{
    int i;

    for (i = 0; i < n; i++)
	if (w[i].key && strcmp(w[i].key, key) == 0)
	    return w[i].val;
    return "";
}

/* all_digits - a value that JSON may carry as a number */
static int all_digits(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 19 && strspn(s, "0123456789") == n;
}

/* cli_ask_json - the answer as a JSON object */
json_t *cli_ask_json(const char *line)
{
    cli_word w[CLI_ASK_MAX_WORDS];
    buf store = {0};
    json_t *o = json_object();
    int n, i;

    n = cli_ask_words(line, w, CLI_ASK_MAX_WORDS, &store);
    for (i = 0; i < n; i++) {
	json_t *v;

	if (w[i].key == NULL) {
	    if (i == 0)
		json_object_set_new(o, "status", json_string(w[i].val));
	    continue;
	}
	v = all_digits(w[i].val) ? json_integer(atoll(w[i].val))
	    : json_stringn(w[i].val, strlen(w[i].val));
	if (v == NULL)				/* not UTF-8: keep it readable */
	    v = json_string("(binary)");
	json_object_set_new(o, w[i].key, v);
    }
    buf_free(&store);
    return o;
}

/* cli_ask_print_json - one JSON value on stdout, then released */
void cli_ask_print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

    if (s)
	printf("%s\n", s);
    free(s);
    json_decref(o);
}

/* cli_ask_safe - print s with bytes outside printable ASCII as '?' */
void cli_ask_safe(FILE *fp, const char *s)
{
    for (; *s; s++) {
	unsigned char c = (unsigned char) *s;

	fputc(c == '\n' || (c >= 0x20 && c < 0x7f) ? c : '?', fp);
    }
}

/* cli_ask_print - the answer for a person */
void cli_ask_print(FILE *fp, const char *line)
{
    cli_word w[CLI_ASK_MAX_WORDS];
    buf store = {0};
    int n, i;

    n = cli_ask_words(line, w, CLI_ASK_MAX_WORDS, &store);
    for (i = 0; i < n; i++) {
	if (w[i].key == NULL) {
	    cli_ask_safe(fp, w[i].val);
	    fputc('\n', fp);
	    continue;
	}
	fprintf(fp, "  %-16s ", w[i].key);
	if (strchr(w[i].val, '\n')) {		/* a policy text: indent it */
	    const char *p = w[i].val;

	    fputc('\n', fp);
	    while (*p) {
		const char *e = strchr(p, '\n');
		char *l = strndup(p, e ? (size_t) (e - p) : strlen(p));

		fprintf(fp, "      ");
		cli_ask_safe(fp, l ? l : "");
		fputc('\n', fp);
		free(l);
		p = e ? e + 1 : p + strlen(p);
	    }
	} else {
	    cli_ask_safe(fp, w[i].val);
	    fputc('\n', fp);
	}
    }
    buf_free(&store);
}

/* cli_ask_show - JSON on stdout, or for a person: errors on stderr */
void cli_ask_show(const cli_ask_opts *o, const char *line)
{
    if (o->json)
	cli_ask_print_json(cli_ask_json(line));
    else
	cli_ask_print(strncmp(line, "error", 5) == 0 ? stderr : stdout, line);
}

/* cli_ask_exit - 0 for ok and none, 1 otherwise */
int cli_ask_exit(const char *line)
{
    return strncmp(line, "ok", 2) == 0 && (line[2] == ' ' || line[2] == 0) ? 0
	: strncmp(line, "none", 4) == 0 && (line[4] == ' ' || line[4] == 0) ? 0 : 1;
}
