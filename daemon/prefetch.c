/*
 * NAME
 *	prefetch - the daemon's own prefetch of a list of domains at start
 * DESCRIPTION
 *	See prefetch.h. A fixed set of slots (refresh_concurrency); each
 *	holds one query waiting in policy_cache. An answer frees its slot
 *	and asks for a "pump" on the next loop turn, which fills the free
 *	slots from the list: never from inside policy_cache's callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "mt_err.h"
#include "policy.h"

#include "config.h"
#include "evloop.h"
#include "log.h"
#include "policy_cache.h"
#include "prefetch.h"

#define PREFETCH_PUMP_MAX 1000		/* queries per loop turn, at most */

typedef struct pf_slot {
    struct prefetch *p;
    pc_wait *w;				/* non-NULL while a query waits */
    size_t ix;				/* into the list */
} pf_slot;

struct prefetch {
    evloop *loop;
    policy_cache *pc;
    char (*domain)[DOMAIN_BUF];
    size_t n, next;
    pf_slot *slots;
    size_t nslots, running;
    ev_timer *pump;
    time_t started;
    prefetch_stats st;
};

char *prefetch_list_word(char *line, size_t *len)
{
    char *s = line, *e, *hash = strchr(line, '#');

    if (hash)
	*hash = 0;
    while (*s == ' ' || *s == '\t')
	s++;
    for (e = s; *e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n'; e++)
	;
    if (e == s)
	return NULL;
    *e = 0;
    *len = (size_t) (e - s);
    return s;
}

/* read_list - the file's good names; bad ones logged and skipped */
static int read_list(prefetch *p, const char *path, mt_err *err)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, room = 0;
    unsigned long lineno = 0;
    ssize_t len;

    if (fp == NULL) {
	mt_err_set(err, 0, 0, NULL, "prefetch_file %s: %s", path, strerror(errno));
	return -1;
    }
    while ((len = getline(&line, &cap, fp)) >= 0) {
	size_t wlen;
	char *s;
	mt_err derr;

	lineno++;
	if ((s = prefetch_list_word(line, &wlen)) == NULL)
	    continue;
	if (p->n == room) {
	    size_t nr = room ? room * 2 : 256;
	    char (*nd)[DOMAIN_BUF] = realloc(p->domain, nr * sizeof(*nd));

	    if (nd == NULL) {
		mt_err_set(err, 0, 0, NULL, "prefetch_file %s: out of memory", path);
		free(line);
		fclose(fp);
		return -1;
	    }
	    p->domain = nd;
	    room = nr;
	}
	if (domain_normalise(s, wlen, p->domain[p->n], DOMAIN_BUF, &derr) < 0) {
	    log_msg(LOG_WARNING, "prefetch_file %s line %lu: not a domain name: %s", path,
		    lineno, derr.msg);
	    p->st.bad_lines++;
	    continue;
	}
	p->n++;
    }
    free(line);
    if (ferror(fp)) {
	mt_err_set(err, 0, 0, NULL, "prefetch_file %s: read error", path);
	fclose(fp);
	return -1;
    }
    fclose(fp);
    p->st.listed = p->n;
    return 0;
}

static void pump_soon(prefetch *p);

/* count - one answer into the summary */
static void count(prefetch *p, const char *domain, const pc_answer *a)
{
    p->st.done++;
    if (a->status == PC_POLICY && a->e && a->e->rec.mode == POLICY_MODE_ENFORCE)
	p->st.enforce++;
    else if (a->status == PC_POLICY && a->e && a->e->rec.mode == POLICY_MODE_TESTING)
	p->st.testing++;
    else if (a->status == PC_POLICY)
	p->st.none++;
    else if (a->status == PC_NONE)
	p->st.no_policy++;
    else {
	p->st.failed++;
	log_msg(LOG_NOTICE, "%s: prefetch failed: %s %s", domain, pc_status_name(a->status),
		a->reason ? a->reason : "unknown");
    }
    if (p->st.done == p->n) {
	p->st.finished = 1;
	log_msg(LOG_INFO, "prefetch of %zu domains done in %lld s: %llu enforce, %llu testing,"
		" %llu none, %llu no policy, %llu failed", p->n,
		(long long) (time(NULL) - p->started), (unsigned long long) p->st.enforce,
		(unsigned long long) p->st.testing, (unsigned long long) p->st.none,
		(unsigned long long) p->st.no_policy, (unsigned long long) p->st.failed);
    }
}

/* on_answer - a waiting query was answered */
static void on_answer(void *arg, const pc_answer *a)
{
    pf_slot *s = arg;
    prefetch *p = s->p;

    s->w = NULL;
    p->running--;
    count(p, p->domain[s->ix], a);
    pump_soon(p);
}

/* pump - fill the free slots from the list, PREFETCH_PUMP_MAX queries a turn */
static void pump(evloop *loop, void *arg)
{
    prefetch *p = arg;
    size_t i, asked = 0;

    (void) loop;
    p->pump = NULL;
    for (i = 0; i < p->nslots && asked < PREFETCH_PUMP_MAX; i++) {
	pf_slot *s = &p->slots[i];
	pc_answer a;

	if (s->w)
	    continue;
	while (p->next < p->n && asked < PREFETCH_PUMP_MAX) {
	    s->ix = p->next++;
	    asked++;
	    if (pc_query(p->pc, p->domain[s->ix], PC_Q_FORCE, &a, on_answer, s, &s->w) == 1) {
		s->w = NULL;		/* cached already: answered at once, slot still free */
		count(p, p->domain[s->ix], &a);
		continue;
	    }
	    p->running++;
	    break;
	}
    }
    if (asked == PREFETCH_PUMP_MAX)
	pump_soon(p);			/* a long cached list: let the loop breathe */
}

/* pump_soon - fill slots on the next loop turn (once) */
static void pump_soon(prefetch *p)
{
    if (p->pump == NULL && p->next < p->n)
	p->pump = evloop_timer(p->loop, 0, pump, p);
}

/* prefetch_start - read the list; the work begins on the next loop turn */
prefetch *prefetch_start(evloop *loop, const mtasts_config *cfg, policy_cache *pc,
			 const char *path, mt_err *err)
{
    prefetch *p = calloc(1, sizeof(*p));

    if (p == NULL) {
	mt_err_set(err, 0, 0, NULL, "prefetch: out of memory");
	return NULL;
    }
    p->loop = loop;
    p->pc = pc;
    p->started = time(NULL);
    if (read_list(p, path, err) < 0) {
	free(p->domain);
	free(p);
	return NULL;
    }
    p->nslots = cfg->refresh_concurrency > 0 ? (size_t) cfg->refresh_concurrency : 1;
    if ((p->slots = calloc(p->nslots, sizeof(*p->slots))) == NULL) {
	free(p->domain);
	free(p);
	mt_err_set(err, 0, 0, NULL, "prefetch: out of memory");
	return NULL;
    }
    for (size_t i = 0; i < p->nslots; i++)
	p->slots[i].p = p;
    log_msg(LOG_INFO, "prefetching %zu domains from %s", p->n, path);
    if (p->n == 0)
	p->st.finished = 1;
    pump_soon(p);
    return p;
}

/* prefetch_free - cancel what waits, free everything */
void prefetch_free(prefetch *p)
{
    size_t i;

    if (p == NULL)
	return;
    if (p->pump)
	evloop_timer_cancel(p->loop, p->pump);
    for (i = 0; i < p->nslots; i++)
	if (p->slots[i].w)
	    pc_wait_cancel(p->slots[i].w);
    free(p->slots);
    free(p->domain);
    free(p);
}

/* prefetch_get_stats - counters */
void prefetch_get_stats(const prefetch *p, prefetch_stats *st)
{
    *st = p->st;
}
