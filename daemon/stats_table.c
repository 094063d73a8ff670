/*
 * NAME
 *	stats_table - every value of the stats verb: its name, source and kind
 * DESCRIPTION
 *	See stats_table.h. The table is the one place that says whether a
 *	value is a level (gauge) or a count (counter): the daemon writes
 *	the stats answer from it and the CLI types its Prometheus output
 *	from it, so the two cannot drift apart. The order of the table is
 *	the order of the answer (uptime comes right after version).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

#include "cli_ask.h"
#include "policy_cache.h"
#include "refresh.h"
#include "server.h"
#include "stats_table.h"
#include "store.h"
#include "tlsrpt_counters.h"

#define C(name, src, type, field) {name, STATS_COUNTER, src, offsetof(type, field), 1}
#define G(name, src, type, field) {name, STATS_GAUGE, src, offsetof(type, field), 1}

const stats_def stats_table[] = {
    G("uptime", STATS_VERBS, stats_verbs, uptime),
    C("requests_bad", STATS_VERBS, stats_verbs, bad_requests),
    C("requests_denied", STATS_VERBS, stats_verbs, denied),
    G("cache_entries", STATS_CACHE, pc_stats, entries),
    C("cache_hits", STATS_CACHE, pc_stats, hits),
    C("cache_misses", STATS_CACHE, pc_stats, misses),
    C("cache_remembered", STATS_CACHE, pc_stats, remembered),
    C("flights", STATS_CACHE, pc_stats, flights),
    G("flights_now", STATS_CACHE, pc_stats, flying),
    C("flights_coalesced", STATS_CACHE, pc_stats, coalesced),
    C("txt_rechecks", STATS_CACHE, pc_stats, rechecks),
    C("policies_stored", STATS_CACHE, pc_stats, policies_stored),
    C("policies_replaced", STATS_CACHE, pc_stats, policies_replaced),
    C("fetch_failures", STATS_CACHE, pc_stats, fetch_failures),
    C("temp_failures", STATS_CACHE, pc_stats, temp_failures),
    C("no_record", STATS_CACHE, pc_stats, no_record),
    C("deadline_expired", STATS_CACHE, pc_stats, deadline_expired),
    G("waiting_now", STATS_CACHE, pc_stats, waiting),
    C("answers_ok", STATS_CACHE, pc_stats, answers_policy),
    C("answers_none", STATS_CACHE, pc_stats, answers_none),
    C("answers_tempfail", STATS_CACHE, pc_stats, answers_tempfail),
    C("answers_error", STATS_CACHE, pc_stats, answers_error),
    C("store_errors", STATS_CACHE, pc_stats, store_errors),
    G("store_entries", STATS_STORE, store_stats, entries),
    G("store_scheduled", STATS_STORE, store_stats, scheduled),
    G("store_used_bytes", STATS_STORE, store_stats, used_bytes),
    G("store_map_bytes", STATS_STORE, store_stats, map_size),
    G("store_max_bytes", STATS_STORE, store_stats, max_size),
    C("store_evicted", STATS_STORE, store_stats, evicted),
    G("clients_now", STATS_SERVER, srv_stats, clients),
    C("clients_accepted", STATS_SERVER, srv_stats, accepted),
    C("clients_refused", STATS_SERVER, srv_stats, refused),
    C("clients_idle_closed", STATS_SERVER, srv_stats, idle_closed),
    C("lines_too_long", STATS_SERVER, srv_stats, too_long),
    C("refresh_started", STATS_REFRESH, refresh_stats, started),
    C("refresh_same", STATS_REFRESH, refresh_stats, same),
    C("refresh_replaced", STATS_REFRESH, refresh_stats, replaced),
    C("refresh_failed", STATS_REFRESH, refresh_stats, failed),
    G("refresh_running", STATS_REFRESH, refresh_stats, running),
    C("refresh_deferred_busy", STATS_REFRESH, refresh_stats, deferred_busy),
    C("refresh_deferred_host", STATS_REFRESH, refresh_stats, deferred_host),
    C("refresh_ticks", STATS_REFRESH, refresh_stats, ticks),
    {"refresh_scan_us", STATS_COUNTER, STATS_REFRESH, offsetof(refresh_stats, scan_ns), 1000},
    G("tlsrpt_counts_pending_now", STATS_TLSRPT, tlsrpt_counter_stats, pending),
    C("tlsrpt_counts_dropped", STATS_TLSRPT, tlsrpt_counter_stats, dropped),
    C("tlsrpt_commit_failures", STATS_TLSRPT, tlsrpt_counter_stats, commit_failures),
};

const size_t stats_count = sizeof(stats_table) / sizeof(stats_table[0]);

/* stats_find - the table entry for a key, or NULL */
const stats_def *stats_find(const char *name)
{
    size_t i;

    for (i = 0; i < stats_count; i++)
	if (strcmp(stats_table[i].name, name) == 0)
	    return &stats_table[i];
    return NULL;
}

/* stats_put - " key=value" for every entry of one source */
void stats_put(buf *out, stats_src src, const void *values)
{
    size_t i;

    for (i = 0; i < stats_count; i++) {
	const stats_def *d = &stats_table[i];
	uint64_t v;

	if (d->src != src)
	    continue;
	memcpy(&v, (const char *) values + d->off, sizeof(v));
	proto_put_kvf(out, d->name, "%llu", (unsigned long long) (v / d->div));
    }
}

/* put_label - a label value: printable ASCII, '"' and '\\' made '?' */
static void put_label(buf *out, const char *v)
{
    for (; *v; v++)
	buf_putc(out, *v >= 0x20 && *v < 0x7f && *v != '"' && *v != '\\' ? *v : '?');
}

/* family - one labelled counter family: its TYPE line once, then the sample */
static void family(buf *out, int *typed, const char *metric, const char *help,
		   const char *label, const char *lval, const char *v)
{
    if (!(*typed)++)
	buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", metric, help, metric);
    buf_printf(out, "%s{%s=\"", metric, label);
    put_label(out, lval);
    buf_printf(out, "\"} %s\n", v);
}

/* stats_prometheus - a stats answer in the Prometheus text exposition format */
void stats_prometheus(const char *answer, buf *out)
{
    cli_word w[CLI_ASK_MAX_WORDS];
    buf store = {0};
    int n, i, req_typed = 0, ans_typed = 0;

    n = cli_ask_words(answer, w, CLI_ASK_MAX_WORDS, &store);
    for (i = 0; i < n; i++) {
	const char *k = w[i].key, *v = w[i].val;
	const stats_def *d;

	if (k == NULL)
	    continue;
	d = stats_find(k);
	if (strcmp(k, "version") == 0) {
	    buf_puts(out, "# HELP mtastsd_info The running mtastsd.\n"
		     "# TYPE mtastsd_info gauge\nmtastsd_info{version=\"");
	    put_label(out, v);
	    buf_puts(out, "\"} 1\n");
	} else if (*v == 0 || strspn(v, "0123456789") != strlen(v)) {
	    continue;			/* not a sample */
	} else if (d == NULL && strncmp(k, "requests_", 9) == 0) {
	    family(out, &req_typed, "mtastsd_requests_total", "Requests by verb.", "verb",
		   k + 9, v);
	} else if (strncmp(k, "answers_", 8) == 0) {
	    family(out, &ans_typed, "mtastsd_answers_total", "Policy answers by status.",
		   "status", k + 8, v);
	} else if (strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(k)) {
	    continue;			/* no valid metric name: never write a broken line */
	} else if (d == NULL) {
	    buf_printf(out, "# TYPE mtastsd_%s untyped\nmtastsd_%s %s\n", k, k, v);
	} else if (d->kind == STATS_GAUGE) {
	    buf_printf(out, "# TYPE mtastsd_%s gauge\nmtastsd_%s %s\n", k, k, v);
	} else {
	    buf_printf(out, "# TYPE mtastsd_%s_total counter\nmtastsd_%s_total %s\n", k, k, v);
	}
    }
    buf_free(&store);
}
