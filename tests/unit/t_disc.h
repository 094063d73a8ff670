/*
 * t_disc.h - the scripted discovery engine of the policy-cache tests
 *
 *	#include "t_disc.h"	(after t.h and policy_cache.h)
 *
 *	pc_backend be = {fake_start, discovery_result_free, NULL};
 *
 * fake_start() records each discovery the cache starts in calls[ncalls++]
 * (domain, flags, the known id, the callback) and starts nothing; a test
 * answers call i itself with calls[i].cb(result, calls[i].arg) and marks
 * it done. fake_drop accepts starts without recording them, fake_fail
 * refuses them (as an engine out of memory would).
 */
#ifndef T_DISC_H
#define T_DISC_H

#include <stdio.h>
#include <stdlib.h>

#include "discovery.h"
#include "policy_cache.h"

#define T_DISC_CALLS 256

typedef struct call {
    char domain[256];
    unsigned flags;
    char known_id[40];
    disc_cb cb;
    void *arg;
    int done;
} call;

static call calls[T_DISC_CALLS];
static int ncalls;
static int fake_drop;			/* accept starts without recording them */
static int fake_fail;			/* refuse starts (out of memory) */

static inline int fake_start(void *engine, const char *domain, unsigned flags,
			     const char *known_id, disc_cb cb, void *arg)
{
    call *c;

    (void) engine;
    if (fake_fail)
	return -1;
    if (fake_drop)
	return 0;
    if (ncalls == T_DISC_CALLS) {
	fprintf(stderr, "t_disc.h: more than %d discoveries: raise T_DISC_CALLS\n", T_DISC_CALLS);
	abort();
    }
    c = &calls[ncalls++];
    snprintf(c->domain, sizeof(c->domain), "%s", domain);
    c->flags = flags;
    snprintf(c->known_id, sizeof(c->known_id), "%s", known_id ? known_id : "");
    c->cb = cb;
    c->arg = arg;
    c->done = 0;
    return 0;
}

#endif
