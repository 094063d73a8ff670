/*
 * NAME
 *	cache_import - fill the policy store from a file, offline
 * SUMMARY
 *	JSON lines of policies in, validated records in the store, fast
 * SYNOPSIS
 *	#include "cache_import.h"
 *
 *	int cache_import(store *st, const mtasts_config *cfg, FILE *in,
 *	                 const char *name, int64_t now, cache_import_stats *stats,
 *	                 mt_err *err);
 * DESCRIPTION
 *	Reads in, one JSON object per line (blank lines and lines starting
 *	with "#" are skipped):
 *
 *	  {"domain": "example.com", "id": "20240101",
 *	   "policy": "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n",
 *	   "fetched": 1700000000}
 *
 *	domain is normalised as everywhere (domain.h); id must be a valid
 *	TXT record id (RFC 8461 §3.1: 1 to 32 letters or digits); policy is
 *	the policy file as fetched, checked by the same parser as a fetch
 *	(RFC 8461 §3.2); fetched is when it was fetched (Unix seconds,
 *	optional: now; not in the future). Each good line becomes the
 *	domain's record exactly as if the daemon had fetched that policy
 *	then: life max(max_age, min_cache_lifetime), refresh due at
 *	refresh_due_time() (refresh.h), replacing what the store held for
 *	the domain. A policy whose life is already over is imported too,
 *	expired, and due for refresh at once.
 *
 *	A bad line is reported on stderr as "NAME:LINE: reason" and
 *	skipped. Records are written CACHE_IMPORT_BATCH at a time, one
 *	transaction each (store_put_many()): a crash leaves whole batches.
 *
 *	Returns 0 when the input was read to its end (stats says how many
 *	lines were imported and how many were bad), -1 with err when
 *	reading or the store failed.
 *
 *	The daemon keeps its cache in memory: run an import while it is
 *	stopped (mtasts cache import refuses while it answers), or restart
 *	it afterwards.
 */
#ifndef CACHE_IMPORT_H
#define CACHE_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "mt_err.h"

#include "config.h"
#include "store.h"

#define CACHE_IMPORT_BATCH 100000	/* records per write transaction */
#define CACHE_IMPORT_LINE_MAX (POLICY_MAX_BODY * 2 + 4096)	/* JSON-escaped body and the rest */

typedef struct cache_import_stats {
    uint64_t lines;			/* objects read */
    uint64_t imported;
    uint64_t bad;
    uint64_t expired;			/* imported, but already past their life */
} cache_import_stats;

int cache_import(store *st, const mtasts_config *cfg, FILE *in, const char *name, int64_t now,
		 cache_import_stats *stats, mt_err *err);

#endif
