/*
 * NAME
 *	pc_discovery - the policy cache's engine: the real discovery
 * SYNOPSIS
 *	#include "policy_cache.h"
 *
 *	pc_backend pc_backend_discovery(discovery *d);
 * DESCRIPTION
 *	Kept apart from policy_cache.c so that the cache's unit tests link
 *	without the network code.
 */
#include "discovery.h"
#include "policy_cache.h"

/* start - discovery_start() behind the backend signature */
static int start(void *engine, const char *domain, unsigned flags, const char *known_id,
		 disc_cb cb, void *arg)
{
    return discovery_start(engine, domain, flags, known_id, cb, arg);
}

/* pc_backend_discovery - the backend over a discovery engine */
pc_backend pc_backend_discovery(discovery *d)
{
    pc_backend be = {start, discovery_result_free, d};

    return be;
}
