/* test_config - mtastsd.conf parsing (daemon/config.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"

#include "config.h"
#include "t.h"

static char path[64];

/* write_conf - a temporary configuration file with the given text */
static const char *write_conf(const char *text)
{
    int fd;

    strcpy(path, "/tmp/mtasts-config-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
	abort();
    close(fd);
    return path;
}

static void defaults_are_the_documented_ones(void)
{
    mtasts_config c;

    config_defaults(&c);
    T_EQ_INT(c.fetch_timeout_ms, 60000);
    T_EQ_INT(c.fetch_backoff_ms, 300000);
    T_EQ_INT(c.first_contact_window_ms, 600000);
    T_EQ_INT(c.socket_mode, 0660);
    T_EQ_INT(c.dnssec, 1);
    T_EQ_STR(c.socket, "/run/mtasts/mtastsd.sock");
    T_EQ_INT(c.store_max_size, 1024ull * 1024 * 1024);
    config_free(&c);
}

static void file_values_override_defaults(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("# comment\n\n  fetch_timeout = 30 \n"
					 "socket=/tmp/x.sock\nconnect_to = a:443:127.0.0.1:8443\n"
					 "connect_to = b:443:127.0.0.1:8443\nstore_max_size = 512M\n"
					 "log_debug = yes\ndns_timeout = 2m\n"), &e), 0);
    unlink(path);
    T_EQ_INT(c.fetch_timeout_ms, 30000);
    T_EQ_INT(c.dns_timeout_ms, 120000);
    T_EQ_STR(c.socket, "/tmp/x.sock");
    T_EQ_INT(c.connect_to.n, 2);
    T_EQ_STR(c.connect_to.v[1], "b:443:127.0.0.1:8443");
    T_EQ_INT(c.store_max_size, 512ull * 1024 * 1024);
    T_EQ_INT(c.log_debug, 1);
    config_free(&c);
}

static void unknown_key_names_file_line_and_key(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("socket = /x\nfetch_timeuot = 3\n"), &e), -1);
    unlink(path);
    T_EQ_INT(e.line, 2);
    T_ASSERT(strstr(e.msg, path) != NULL);
    T_ASSERT(strstr(e.msg, "line 2") != NULL);
    T_ASSERT(strstr(e.msg, "fetch_timeuot") != NULL);
    config_free(&c);
}

static void bad_value_is_refused_with_reason(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("fetch_timeout = soon\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "duration") != NULL);
    T_EQ_INT(config_set(&c, "dnssec", "maybe", &e), -1);
    T_EQ_INT(config_set(&c, "socket_mode", "999", &e), -1);
    T_EQ_INT(config_set(&c, "report_hour", "24", &e), -1);
    T_EQ_INT(config_set(&c, "max_clients", "-1", &e), -1);
    T_EQ_INT(c.fetch_timeout_ms, 60000);	/* nothing stored on failure */
    config_free(&c);
}

static void missing_equals_is_an_error(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("socket /x\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "key = value") != NULL);
    config_free(&c);
}

static void missing_file_is_an_error(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, "/nonexistent/mtastsd.conf", &e), -1);
    T_ASSERT(strstr(e.msg, "/nonexistent/mtastsd.conf") != NULL);
    config_free(&c);
}

/* RFC 8461 §3.3: a failed fetch is not retried for at least five minutes */
static void fetch_backoff_below_five_minutes_is_refused(void)
{
    mtasts_config c;
    mt_err e;

    unsetenv(CONFIG_TEST_ENV);
    config_defaults(&c);
    T_EQ_INT(config_set(&c, "fetch_backoff", "4m", &e), -1);
    T_ASSERT(strstr(e.msg, "minimum of 5m") != NULL);
    T_EQ_INT(config_set(&c, "fetch_backoff", "299", &e), -1);
    T_EQ_INT(c.fetch_backoff_ms, 300000);	/* unchanged */
    T_EQ_INT(config_set(&c, "fetch_backoff", "300", &e), 0);
    T_EQ_INT(config_set(&c, "fetch_backoff", "1h", &e), 0);
    T_EQ_INT(c.fetch_backoff_ms, 3600000);
    config_free(&c);
}

/* a timeout of 0 would be no timeout at all: every timeout is at least 1s */
static void zero_timeouts_are_refused(void)
{
    static const char *const keys[] = {"fetch_timeout", "fetch_connect_timeout", "dns_timeout"};
    mtasts_config c;
    mt_err e;
    size_t i;

    unsetenv(CONFIG_TEST_ENV);
    config_defaults(&c);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
	T_EQ_INT(config_set(&c, keys[i], "0", &e), -1);
	T_ASSERT(strstr(e.msg, keys[i]) != NULL);
	T_ASSERT(strstr(e.msg, "minimum of 1s") != NULL);
	T_EQ_INT(config_set(&c, keys[i], "1", &e), 0);
    }
    T_EQ_INT(config_load(&c, write_conf("fetch_timeout = 0s\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "line 1") != NULL);
    T_EQ_INT(c.fetch_timeout_ms, 1000);
    config_free(&c);
}

/* tests with second-long lifetimes: only with the test-only variable set */
static void test_variable_allows_values_below_minimum(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    setenv(CONFIG_TEST_ENV, "", 1);		/* empty: not set */
    T_EQ_INT(config_set(&c, "fetch_backoff", "1s", &e), -1);
    setenv(CONFIG_TEST_ENV, "1", 1);
    T_EQ_INT(config_set(&c, "fetch_backoff", "1s", &e), 0);
    T_EQ_INT(c.fetch_backoff_ms, 1000);
    unsetenv(CONFIG_TEST_ENV);
    config_free(&c);
}

/* the longest query Exim sends: "mx", a domain and a host of 253 octets, as b64: */
static void longest_query_fits_the_minimum_request_size(void)
{
    buf line = {0};
    proto_req r;
    mt_err e;
    int i, arg;

    buf_puts(&line, "mx");
    for (arg = 0; arg < 2; arg++) {
	buf_puts(&line, " b64:");
	for (i = 0; i < 84; i++)
	    buf_puts(&line, "YWFh");	/* "aaa" */
	buf_puts(&line, "YQ==");		/* "a": 253 octets */
    }
    T_ASSERT(line.len <= PROTO_REQUEST_MIN);
    T_EQ_INT(proto_req_parse(line.data, line.len, &r, &e), 0);
    T_EQ_INT(r.argl[0], DOMAIN_MAX);
    T_EQ_INT(r.argl[1], DOMAIN_MAX);
    T_EQ_INT(PROTO_REQUEST_MIN, 721);	/* as mtastsd.conf(5) says */
    buf_free(&line);
}

/* mtastsd.conf(5): max_request_size below the longest query would refuse
 * every mx question (and 0 every request): a configuration error */
static void max_request_size_below_the_longest_query_is_refused(void)
{
    mtasts_config c;
    mt_err e;
    char v[32];

    config_defaults(&c);
    T_EQ_INT(c.max_request_size, PROTO_LINE_MAX);
    T_EQ_INT(config_set(&c, "max_request_size", "0", &e), -1);
    T_ASSERT(strstr(e.msg, "max_request_size") != NULL);
    T_ASSERT(strstr(e.msg, "below the minimum of 721") != NULL);
    T_ASSERT(strstr(e.msg, "longest query") != NULL);
    snprintf(v, sizeof(v), "%d", PROTO_REQUEST_MIN - 1);
    T_EQ_INT(config_set(&c, "max_request_size", v, &e), -1);
    T_EQ_INT(c.max_request_size, PROTO_LINE_MAX);	/* unchanged */
    snprintf(v, sizeof(v), "%d", PROTO_LINE_MAX + 1);
    T_EQ_INT(config_set(&c, "max_request_size", v, &e), -1);
    snprintf(v, sizeof(v), "from 721 to %d", PROTO_LINE_MAX);
    T_ASSERT(strstr(e.msg, v) != NULL);
    snprintf(v, sizeof(v), "%d", PROTO_REQUEST_MIN);
    T_EQ_INT(config_set(&c, "max_request_size", v, &e), 0);
    T_EQ_INT(c.max_request_size, PROTO_REQUEST_MIN);
    setenv(CONFIG_TEST_ENV, "1", 1);	/* not a lifetime: no test exception */
    T_EQ_INT(config_set(&c, "max_request_size", "10", &e), -1);
    unsetenv(CONFIG_TEST_ENV);
    T_EQ_INT(config_load(&c, write_conf("max_request_size = 10\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "line 1") != NULL);
    config_free(&c);
}

/* diff_collect - config_diff's callback: "key " per changed key */
static void diff_collect(const char *key, void *arg)
{
    buf_printf(arg, "%s ", key);
}

/* SIGHUP (mtastsd(8)): every changed key is found, strings and lists by content */
static void diff_names_every_changed_key(void)
{
    mtasts_config a, b;
    mt_err e;
    buf got = {0};

    config_defaults(&a);
    config_defaults(&b);
    config_diff(&a, &b, diff_collect, &got);
    T_EQ_STR(buf_str(&got), "");
    T_EQ_INT(config_set(&a, "socket", "/tmp/same.sock", &e), 0);
    T_EQ_INT(config_set(&b, "socket", "/tmp/same.sock", &e), 0);	/* other pointers, same text */
    T_EQ_INT(config_set(&b, "socket_group", "mail", &e), 0);	/* NULL -> set */
    T_EQ_INT(config_set(&b, "user", "nobody", &e), 0);
    T_EQ_INT(config_set(&b, "max_request_size", "800", &e), 0);
    T_EQ_INT(config_set(&b, "client_idle_timeout", "2m", &e), 0);
    T_EQ_INT(config_set(&b, "store_max_size", "2G", &e), 0);
    T_EQ_INT(config_set(&b, "connect_to", "a:443:127.0.0.1:443", &e), 0);
    T_EQ_INT(config_set(&b, "log_debug", "yes", &e), 0);
    config_diff(&a, &b, diff_collect, &got);
    T_EQ_STR(buf_str(&got), "connect_to socket_group user max_request_size client_idle_timeout "
	     "log_debug store_max_size ");
    buf_free(&got);
    config_free(&a);
    config_free(&b);
}

static void copy_key_takes_numbers_not_strings(void)
{
    mtasts_config a, b;
    mt_err e;

    config_defaults(&a);
    config_defaults(&b);
    T_EQ_INT(config_set(&b, "answer_deadline", "9s", &e), 0);
    T_EQ_INT(config_set(&b, "log_debug", "yes", &e), 0);
    T_EQ_INT(config_set(&b, "user", "nobody", &e), 0);
    T_EQ_INT(config_copy_key(&a, &b, "answer_deadline"), 0);
    T_EQ_INT(config_copy_key(&a, &b, "log_debug"), 0);
    T_EQ_INT(a.answer_deadline_ms, 9000);
    T_EQ_INT(a.log_debug, 1);
    T_EQ_INT(config_copy_key(&a, &b, "user"), -1);
    T_ASSERT(a.user == NULL);
    T_EQ_INT(config_copy_key(&a, &b, "no_such_key"), -1);
    config_free(&a);
    config_free(&b);
}

/* counters_retention_days = 0 would prune yesterday before its reports are built */
static void counters_retention_of_zero_days_is_refused(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_set(&c, "counters_retention_days", "0", &e), -1);
    T_ASSERT(strstr(e.msg, "counters_retention_days") && strstr(e.msg, "minimum of 1"));
    T_EQ_INT(config_set(&c, "counters_retention_days", "1", &e), 0);
    config_free(&c);
}

/* reports kept shorter than counts: a pruned report would be built and sent again */
static void reports_kept_shorter_than_counts_is_refused(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("counters_retention_days = 40\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "reports_retention_days = 30") != NULL);
    T_ASSERT(strstr(e.msg, "counters_retention_days = 40") != NULL);
    config_free(&c);
    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("counters_retention_days = 40\n"
					"reports_retention_days = 40\n"), &e), 0);
    unlink(path);
    T_EQ_INT(config_check(&c, &e), 0);
    T_EQ_INT(config_set(&c, "reports_retention_days", "39", &e), 0);
    T_EQ_INT(config_check(&c, &e), -1);	/* as mtastsd checks after -o */
    config_free(&c);
}

/* the daily run must start within its UTC day */
static void report_hour_plus_jitter_past_the_day_is_refused(void)
{
    mtasts_config c;
    mt_err e;

    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("report_hour = 23\nreport_jitter = 1h\n"), &e), -1);
    unlink(path);
    T_ASSERT(strstr(e.msg, "report_hour = 23") && strstr(e.msg, "report_jitter"));
    config_free(&c);
    config_defaults(&c);
    T_EQ_INT(config_load(&c, write_conf("report_hour = 23\nreport_jitter = 59m\n"), &e), 0);
    unlink(path);
    config_free(&c);
}

int main(void)
{
    T_RUN(defaults_are_the_documented_ones);
    T_RUN(counters_retention_of_zero_days_is_refused);
    T_RUN(reports_kept_shorter_than_counts_is_refused);
    T_RUN(report_hour_plus_jitter_past_the_day_is_refused);
    T_RUN(file_values_override_defaults);
    T_RUN(unknown_key_names_file_line_and_key);
    T_RUN(bad_value_is_refused_with_reason);
    T_RUN(missing_equals_is_an_error);
    T_RUN(missing_file_is_an_error);
    T_RUN(fetch_backoff_below_five_minutes_is_refused);
    T_RUN(zero_timeouts_are_refused);
    T_RUN(test_variable_allows_values_below_minimum);
    T_RUN(longest_query_fits_the_minimum_request_size);
    T_RUN(max_request_size_below_the_longest_query_is_refused);
    T_RUN(diff_names_every_changed_key);
    T_RUN(copy_key_takes_numbers_not_strings);
    return t_done();
}
