/* test_stats_table - the stats values, their kinds and the Prometheus text (daemon/stats_table.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#include "stats_table.h"
#include "t.h"

/* ends_with - s ends with suffix */
static int ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), m = strlen(suffix);

    return l >= m && strcmp(s + l - m, suffix) == 0;
}

/* looks_like_a_level - the names that say "how many now / how big" */
static int looks_like_a_level(const char *name)
{
    static const char *const level[] = {"_now", "_running", "_entries", "_bytes", "_scheduled"};
    size_t i;

    if (strcmp(name, "uptime") == 0)
	return 1;
    for (i = 0; i < sizeof(level) / sizeof(level[0]); i++)
	if (ends_with(name, level[i]))
	    return 1;
    return 0;
}

/* Prometheus: a value that can go down is a gauge; a counter only goes up */
static void every_level_is_a_gauge(void)
{
    size_t i;

    for (i = 0; i < stats_count; i++)
	if (looks_like_a_level(stats_table[i].name) && stats_table[i].kind != STATS_GAUGE)
	    T_FAIL_AT("%s is a level but not a gauge", stats_table[i].name);
    T_ASSERT(stats_find("refresh_running") != NULL);
    T_EQ_INT(stats_find("refresh_running")->kind, STATS_GAUGE);
}

/* the table's gauges are exactly the levels: nothing counted up is a gauge */
static void every_gauge_is_a_level(void)
{
    size_t i;

    for (i = 0; i < stats_count; i++)
	if (stats_table[i].kind == STATS_GAUGE && !looks_like_a_level(stats_table[i].name))
	    T_FAIL_AT("%s is a gauge but not named like a level", stats_table[i].name);
}

static void names_are_unique_metric_names(void)
{
    size_t i, j;

    for (i = 0; i < stats_count; i++) {
	const char *n = stats_table[i].name;

	T_ASSERT(strspn(n, "abcdefghijklmnopqrstuvwxyz_") == strlen(n));
	T_ASSERT(stats_table[i].div > 0);
	for (j = i + 1; j < stats_count; j++)
	    T_ASSERT(strcmp(n, stats_table[j].name) != 0);
    }
}

static void put_writes_one_source_divided(void)
{
    stats_verbs own = {.uptime = 7, .bad_requests = 2, .denied = 1};
    buf b = {0};

    stats_put(&b, STATS_VERBS, &own);
    T_EQ_STR(buf_str(&b), " uptime=7 requests_bad=2 requests_denied=1");
    buf_free(&b);
}

/* every table key, typed by the table: gauges bare, counters _total */
static void prometheus_types_come_from_the_table(void)
{
    buf ans = {0}, out = {0}, want = {0};
    size_t i;

    buf_puts(&ans, "ok version=0.1.0");
    for (i = 0; i < stats_count; i++)
	buf_printf(&ans, " %s=%zu", stats_table[i].name, i);
    stats_prometheus(buf_str(&ans), &out);
    for (i = 0; i < stats_count; i++) {
	const char *n = stats_table[i].name;

	if (strncmp(n, "answers_", 8) == 0)
	    continue;			/* a labelled family, below */
	buf_reset(&want);
	if (stats_table[i].kind == STATS_GAUGE)
	    buf_printf(&want, "# TYPE mtastsd_%s gauge\nmtastsd_%s %zu\n", n, n, i);
	else
	    buf_printf(&want, "# TYPE mtastsd_%s_total counter\nmtastsd_%s_total %zu\n", n, n, i);
	if (strstr(buf_str(&out), buf_str(&want)) == NULL)
	    T_FAIL_AT("no '%s' in the output", buf_str(&want));
    }
    T_ASSERT(strstr(buf_str(&out), "mtastsd_refresh_running_total") == NULL);
    T_ASSERT(strstr(buf_str(&out), "_now_total") == NULL);
    T_ASSERT(strstr(buf_str(&out), "mtastsd_info{version=\"0.1.0\"} 1\n") != NULL);
    buf_free(&ans);
    buf_free(&out);
    buf_free(&want);
}

static void prometheus_families_and_unknown_keys(void)
{
    buf out = {0};

    stats_prometheus("ok requests_ping=3 requests_tlsrpt-list=1 requests_bad=4 answers_ok=5"
		     " answers_none=6 new_thing=9 bad-name=1 text=abc", &out);
    T_EQ_STR(buf_str(&out),
	     "# HELP mtastsd_requests_total Requests by verb.\n"
	     "# TYPE mtastsd_requests_total counter\n"
	     "mtastsd_requests_total{verb=\"ping\"} 3\n"
	     "mtastsd_requests_total{verb=\"tlsrpt-list\"} 1\n"
	     "# TYPE mtastsd_requests_bad_total counter\nmtastsd_requests_bad_total 4\n"
	     "# HELP mtastsd_answers_total Policy answers by status.\n"
	     "# TYPE mtastsd_answers_total counter\n"
	     "mtastsd_answers_total{status=\"ok\"} 5\n"
	     "mtastsd_answers_total{status=\"none\"} 6\n"
	     "# TYPE mtastsd_new_thing untyped\nmtastsd_new_thing 9\n");
    buf_free(&out);
}

int main(void)
{
    T_RUN(every_level_is_a_gauge);
    T_RUN(every_gauge_is_a_level);
    T_RUN(names_are_unique_metric_names);
    T_RUN(put_writes_one_source_divided);
    T_RUN(prometheus_types_come_from_the_table);
    T_RUN(prometheus_families_and_unknown_keys);
    return t_done();
}
