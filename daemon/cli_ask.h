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
void cli_ask_show(const cli_ask_opts *o, const char *line);
 *	void cli_ask_show(const cli_ask_opts *o, const char *line);
 *	void cli_ask_safe(FILE *fp, const char *s);
 *	int  cli_ask_exit(const char *line);
 * DESCRIPTION
 *	cli_ask_options() reads -s SOCKET, -c CONFIG, --json, --prometheus,
 *	--mx HOST, --timeout SECONDS and -h/--help; the other arguments are
 *	left in o->args. Returns 0, or 2 after printing usage (1 for help:
 *	the caller exits 0).
 *
 *	cli_ask_connect() finds the socket (client_socket_path()) and
 *	connects; on failure it prints "mtasts: <why>" and returns NULL.
 *	cli_ask_request() sends one request line and reads its answer into
 *	ans: 0, or -1 after printing "mtasts: <why>".
 *
 *	cli_ask_words() splits an answer line into its status and decoded
 *	key=value words (values percent-decoded into store); cli_ask_word()
 *	is the value of key among n such words, "" when absent. cli_ask_json()
 *	makes a JSON object {"status": ..., key: value, ...} of it (values
 *	that are all digits become numbers). cli_ask_print_json() prints a
 *	JSON value as one compact ASCII line on stdout and releases it.
 *	cli_ask_print() prints an answer for a person: "status" then one
 *	"key: value" per line, with bytes outside printable ASCII shown as
 *	'?' (cli_ask_safe() prints one string so). cli_ask_exit() is the exit
 *	status for an answer: 0 for ok and none, 1 for tempfail and error.
 *	cli_ask_show() prints an answer as the verbs do: one JSON object on
 *	stdout with --json (whatever the status), else for a person, on
 *	stderr when it is an error answer, on stdout otherwise.
 */
#ifndef CLI_ASK_H
#define CLI_ASK_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "buf.h"

#include "client.h"

#define CLI_ASK_MAX_ARGS 8
#define CLI_ASK_MAX_WORDS 128

typedef struct cli_ask_opts {
    const char *socket;
    const char *config;
    const char *mx;
    int json;
    int prometheus;
    int timeout_ms;
    int nargs;
    char *args[CLI_ASK_MAX_ARGS];
} cli_ask_opts;

typedef struct cli_word {
    const char *key;			/* NULL for the status word */
    const char *val;
} cli_word;

int cli_ask_options(int argc, char **argv, cli_ask_opts *o, void (*usage)(FILE *));
mt_client *cli_ask_connect(const cli_ask_opts *o);
int cli_ask_request(mt_client *c, const char *req, buf *ans);
int cli_ask_words(const char *line, cli_word *w, size_t max, buf *store);
const char *cli_ask_word(const cli_word *w, int n, const char *key);
json_t *cli_ask_json(const char *line);
void cli_ask_print_json(json_t *o);
void cli_ask_print(FILE *fp, const char *line);
void cli_ask_show(const cli_ask_opts *o, const char *line);
int cli_ask_exit(const char *line);
void cli_ask_safe(FILE *fp, const char *s);

#endif
