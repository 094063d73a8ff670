/*
 * test_cli_ask - what the CLI verbs that ask mtastsd share (daemon/cli_ask.c):
 * reading an answer's words, and printing JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"

#include "buf.h"
#include "cli_ask.h"

/* captured - what fn(arg) printed on stdout, into out */
static void captured(void (*fn)(json_t *), json_t *arg, char *out, size_t outsz)
{
    char path[] = "/tmp/test_cli_ask.XXXXXX";
    int fd = mkstemp(path), saved = dup(1);
    FILE *fp;
    size_t n;

    fflush(stdout);
    dup2(fd, 1);
    fn(arg);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(fd);
    out[0] = 0;
    if ((fp = fopen(path, "r")) != NULL) {
	n = fread(out, 1, outsz - 1, fp);
	out[n] = 0;
	fclose(fp);
    }
    unlink(path);
}

/* a key's value among an answer's words; the status word is no key */
static void word_finds_keys_never_the_status(void)
{
    cli_word w[8];
    buf store = {0};
    int n = cli_ask_words("ok mode=enforce id=abc%20d", w, 8, &store);

    T_EQ_INT(n, 3);
    T_EQ_STR(cli_ask_word(w, n, "mode"), "enforce");
    T_EQ_STR(cli_ask_word(w, n, "id"), "abc d");
    T_EQ_STR(cli_ask_word(w, n, "max_age"), "");
    T_EQ_STR(cli_ask_word(w, n, "ok"), "");
    buf_free(&store);
}

/* mtastsd.8: a lone "-" is the empty value, "%2D" a real "-" */
static void empty_value_reads_empty(void)
{
    cli_word w[8];
    buf store = {0};
    int n = cli_ask_words("ok mode=none rua=- dash=%2D why=x", w, 8, &store);

    T_EQ_STR(cli_ask_word(w, n, "rua"), "");
    T_EQ_STR(cli_ask_word(w, n, "dash"), "-");
    T_EQ_STR(cli_ask_word(w, n, "why"), "x");
    buf_free(&store);
}

/* --json: one compact ASCII line per value */
static void json_is_one_compact_ascii_line(void)
{
    char out[256];

    captured(cli_ask_print_json, cli_ask_json("ok id=x%C3%A9 max_age=86400 rua=-"), out,
	     sizeof(out));
    T_EQ_STR(out, "{\"status\":\"ok\",\"id\":\"x\\u00E9\",\"max_age\":86400,\"rua\":\"\"}\n");
}

int main(void)
{
    T_RUN(word_finds_keys_never_the_status);
    T_RUN(empty_value_reads_empty);
    T_RUN(json_is_one_compact_ascii_line);
    return t_done();
}
