/*
 * NAME
 *	stats_table - every value of the stats verb: its name, source and kind
 * SUMMARY
 *	one table read by the daemon (stats answer) and the CLI (Prometheus)
 * SYNOPSIS
 *	#include "stats_table.h"
 *
 *	extern const stats_def stats_table[];
 *	extern const size_t stats_count;
 *	const stats_def *stats_find(const char *name);
 *	void stats_put(buf *out, stats_src src, const void *values);
 *	void stats_prometheus(const char *answer, buf *out);
 * DESCRIPTION
 *	Each stats_def names one key of the "stats" answer (mtastsd(8)),
 *	where its value is (a uint64_t field of the struct that src names:
 *	stats_verbs, pc_stats, store_stats, srv_stats, refresh_stats or
 *	tlsrpt_counter_stats, at
 *	off, divided by div) and its kind: STATS_GAUGE for a level that goes
 *	up and down (…_now, entries, sizes, refreshes running, uptime),
 *	STATS_COUNTER for a count since the daemon started. The per-verb
 *	requests_VERB keys are counters outside the table (verbs are
 *	registered at run time). A new value is one line in the table.
 *
 *	stats_find() is the entry for a key, or NULL. stats_put() appends
 *	" key=value" for every entry of source src, reading values (a
 *	pointer to that source's struct).
 *
 *	stats_prometheus() turns a stats answer line into the Prometheus
 *	text exposition format: requests_VERB become
 *	mtastsd_requests_total{verb="VERB"}, answers_STATUS
 *	mtastsd_answers_total{status="STATUS"}, table gauges mtastsd_KEY,
 *	table counters mtastsd_KEY_total, a key the table does not know (a
 *	daemon of another version) mtastsd_KEY untyped, and the version
 *	mtastsd_info{version="V"} 1.
 */
#ifndef STATS_TABLE_H
#define STATS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum stats_kind {
    STATS_COUNTER,			/* counts up from the start */
    STATS_GAUGE,			/* a level: goes up and down */
} stats_kind;

typedef enum stats_src {
    STATS_VERBS,			/* stats_verbs (verbs.c) */
    STATS_CACHE,			/* pc_stats (policy_cache.h) */
    STATS_STORE,			/* store_stats (store.h) */
    STATS_SERVER,			/* srv_stats (server.h) */
    STATS_REFRESH,			/* refresh_stats (refresh.h); absent without refresh */
    STATS_TLSRPT,			/* tlsrpt_counter_stats (tlsrpt_counters.h); absent without */
    STATS_NSRC
} stats_src;

/* The dispatcher's own values. */
typedef struct stats_verbs {
    uint64_t uptime;			/* seconds */
    uint64_t bad_requests;
    uint64_t denied;
} stats_verbs;

typedef struct stats_def {
    const char *name;
    stats_kind kind;
    stats_src src;
    size_t off;				/* of a uint64_t in src's struct */
    unsigned div;			/* value = field / div */
} stats_def;

extern const stats_def stats_table[];
extern const size_t stats_count;

const stats_def *stats_find(const char *name);
void stats_put(buf *out, stats_src src, const void *values);
void stats_prometheus(const char *answer, buf *out);

#endif
