/*
 * NAME
 *	prefetch - the daemon's own prefetch of a list of domains at start
 * SUMMARY
 *	prefetch_file: discover and cache every listed domain, paced
 * SYNOPSIS
 *	#include "prefetch.h"
 *
 *	prefetch *prefetch_start(evloop *loop, const mtasts_config *cfg,
 *	                         policy_cache *pc, const char *path, mt_err *err);
 *	void      prefetch_free(prefetch *p);
 *	void      prefetch_get_stats(const prefetch *p, prefetch_stats *st);
 *	char     *prefetch_list_word(char *line, size_t *len);
 * DESCRIPTION
 *	prefetch_start() reads path (one domain per line, blank lines
 *	skipped, "#" starts a comment; each name normalised as everywhere,
 *	a bad one logged with its line number and skipped) and, from the
 *	next loop turn on, asks policy_cache for each domain as the
 *	"prefetch" verb does (PC_Q_FORCE): a policy already cached is
 *	answered at once without the network, the others are discovered,
 *	at most refresh_concurrency at a time, so a long list does not
 *	crowd out the deliveries being served meanwhile. When the list is
 *	done a summary is logged: how many domains have an enforce,
 *	testing or none policy, no policy, or failed (each failure is
 *	logged with its reason as it happens).
 *	Returns NULL with err when the file cannot be read.
 *
 *	prefetch_free() stops (waiting queries are cancelled) and frees.
 *
 *	prefetch_list_word() is the list format, for this file and for
 *	"mtasts prefetch": the domain on one line of a list (comment cut,
 *	blanks around it dropped), NUL-terminated in place with its length
 *	in *len; NULL when the line holds none.
 */
#ifndef PREFETCH_H
#define PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "mt_err.h"

#include "config.h"
#include "evloop.h"
#include "policy_cache.h"

typedef struct prefetch prefetch;

typedef struct prefetch_stats {
    uint64_t listed;			/* good names in the file */
    uint64_t bad_lines;
    uint64_t done;
    uint64_t enforce, testing, none, no_policy, failed;
    int finished;
} prefetch_stats;

prefetch *prefetch_start(evloop *loop, const mtasts_config *cfg, policy_cache *pc,
			 const char *path, mt_err *err);
void prefetch_free(prefetch *p);
char *prefetch_list_word(char *line, size_t *len);
void prefetch_get_stats(const prefetch *p, prefetch_stats *st);

#endif
