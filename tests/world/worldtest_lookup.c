/*
 * NAME
 *	worldtest_lookup - smallest Exim lookup module, for the world's self-test
 * SYNOPSIS
 *	${lookup worldtest{QUERY}}	-> "worldtest:QUERY"
 * DESCRIPTION
 *	Proves that the module-capable Exim built by tests/world/build-exim.sh
 *	loads lookup modules from its LOOKUP_MODULE_DIR, and that a world maps
 *	that directory to its own WORLD_EXIM_LOOKUP_MODULE_DIR inside the
 *	namespace. Built and loaded only by tests/integration/t_world.sh,
 *	against the headers in WORLD_EXIM_SRC (Exim 4.96, module magic
 *	0x4c4d4935). It uses only what local_scan.h exports, as the real
 *	module must.
 */

#include <string.h>

#include "local_scan.h"
typedef struct gstring gstring;		/* lookupapi.h names it; unused here */
#include "lookupapi.h"

#define WORLDTEST_QUERYSTYLE	1	/* Exim's macros.h: lookup_querystyle */

/* worldtest_open - no handle to open: any non-NULL pointer will do */

static void *worldtest_open(const uschar *filename, uschar **errmsg)
{
    (void) filename;
    (void) errmsg;
    return (void *) 1;
}

/* worldtest_find - answer "worldtest:" followed by the query */

static int worldtest_find(void *handle, const uschar *filename,
			          const uschar *query, int length,
			          uschar **result, uschar **errmsg,
			          uint *do_cache, const uschar *opts)
{
    uschar *r;

    (void) handle;
    (void) filename;
    (void) errmsg;
    (void) opts;
    r = store_get(length + 11, GET_UNTAINTED);
    memcpy(r, "worldtest:", 10);
    memcpy(r + 10, query, length);
    r[length + 10] = 0;
    *result = r;
    *do_cache = 0;
    return OK;
}

/* worldtest_close - nothing to close */

static void worldtest_close(void *handle)
{
    (void) handle;
}

static lookup_info worldtest_info = {
    .name = US "worldtest",
    .type = WORLDTEST_QUERYSTYLE,
    .open = worldtest_open,
    .find = worldtest_find,
    .close = worldtest_close,
};

static lookup_info *worldtest_list[] = {&worldtest_info};

lookup_module_info _lookup_module_info = {
    LOOKUP_MODULE_INFO_MAGIC, worldtest_list, 1
};
