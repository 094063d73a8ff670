/*
 * NAME
 *	schedscan - what finding due refreshes costs, for bench/scale.sh
 * SYNOPSIS
 *	schedscan STATE_DIR
 * DESCRIPTION
 *	Opens the daemon's store (read-only use; run it with mtastsd
 *	stopped or running) and times store_schedule_due(), the walk the
 *	refresh scheduler (daemon/refresh.c) makes every REFRESH_TICK_MS:
 *
 *	  nothing_due   until = now, when no policy is due (the normal
 *	                case): the cursor's first key is already later
 *	  tick_16       everything due, stop after 16 keys (the default
 *	                refresh_concurrency free slots)
 *	  tick_max      everything due, stop after REFRESH_SCAN_MAX keys
 *	                (the most one tick ever looks at)
 *	  full_walk     every schedule key, for reference (no tick does it)
 *
 *	Prints one "name=microseconds" word each (the median of several
 *	runs), then entries=N scheduled=N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mt_err.h"

#include "refresh.h"
#include "store.h"

typedef struct walk {
    size_t n, stop;
} walk;

/* count - one schedule key; stop after w->stop */
static int count(const char *domain, int64_t due, void *arg)
{
    walk *w = arg;

    (void) domain;
    (void) due;
    return ++w->n >= w->stop;
}

/* now_us - monotonic microseconds */
static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* cmp_double - for qsort */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}

/* timed - the median time of runs walks up to until, stopping after stop keys */
static double timed(store *st, int64_t until, size_t stop, int runs, size_t *seen)
{
    double t[64];
    mt_err err;
    int i;

    if (runs > 64)
	runs = 64;
    for (i = 0; i < runs; i++) {
	walk w = {0, stop};
	double t0 = now_us();

	if (store_schedule_due(st, until, count, &w, &err) < 0) {
	    fprintf(stderr, "schedscan: %s\n", err.msg);
	    exit(1);
	}
	t[i] = now_us() - t0;
	*seen = w.n;
    }
    qsort(t, (size_t) runs, sizeof(double), cmp_double);
    return t[runs / 2];
}

int main(int argc, char **argv)
{
    store_stats ss;
    store *st;
    mt_err err;
    size_t seen;
    int64_t now = (int64_t) time(NULL);
    double nothing, t16, tmax, full;

    if (argc != 2) {
	fprintf(stderr, "usage: schedscan STATE_DIR\n");
	return 2;
    }
    if ((st = store_open(argv[1], (uint64_t) 64 << 30, &err)) == NULL) {
	fprintf(stderr, "schedscan: %s\n", err.msg);
	return 1;
    }
    nothing = timed(st, now, (size_t) -1, 51, &seen);
    if (seen != 0)
	fprintf(stderr, "schedscan: %zu policies are due now; nothing_due is not that case\n",
		seen);
    t16 = timed(st, INT64_MAX, 16, 51, &seen);
    tmax = timed(st, INT64_MAX, REFRESH_SCAN_MAX, 21, &seen);
    full = timed(st, INT64_MAX, (size_t) -1, 3, &seen);
    store_info(st, &ss);
    printf("nothing_due_us=%.2f tick_16_us=%.2f tick_max_us=%.1f full_walk_us=%.0f"
	   " entries=%llu scheduled=%llu\n", nothing, t16, tmax, full,
	   (unsigned long long) ss.entries, (unsigned long long) ss.scheduled);
    store_close(st);
    return 0;
}
