/*
 * NAME
 *	verbs - the requests mtastsd answers (mtastsd(8), "PROTOCOL")
 * SUMMARY
 *	parse a request line, run the verb, write the answer words
 * SYNOPSIS
 *	#include "verbs.h"
 *
 *	verbs *verbs_new(const verbs_env *env);
 *	void   verbs_free(verbs *v);
 *	void   verbs_set_server(verbs *v, server *srv);
 *	srv_result verbs_handle(void *v, srv_conn *c, const char *line,
 *	                        size_t len, buf *out);
 *	int    verbs_allowed_item(buf *out, const char *pattern);
 * DESCRIPTION
 *	verbs_handle() is the server's handler (server.h): one request line
 *	in, one answer (or a counted list) out, now or deferred. Verbs:
 *
 *	ping, version      ok version=V protocol=1
 *	policy DOMAIN      ok mode=enforce|testing id= max_age= fetched=
 *	                   expires= mx=PATTERN,...  | none reason= [mode=none
 *	                   id= ...] | tempfail reason= | error reason=
 *	mx DOMAIN HOST     ok|none verdict=enforce|reject|testing|none|dane
 *	                   match=yes|no mode= tlsa=yes|no|unknown
 *	allowed DOMAIN     ok mode=enforce id= allowed=ITEM;ITEM...  (Exim's
 *	                   ignore_target_hosts = <; $address_data ; *) |
 *	                   none mode=testing|none | tempfail | error
 *	prefetch DOMAIN    as policy, but a remembered failure is tried again
 *	flush DOMAIN       ok domain=  (root, the daemon's user, socket_group)
 *	list               ok count=N, then N lines domain= state= mode= id=
 *	                   expires= last_used=
 *	show DOMAIN        ok domain= state= ... text=POLICY (one line)
 *	stats              ok key=value ... (counters; see mtastsd(8))
 *
 *	verbs_allowed_item() appends the ignore_target_hosts item that lets
 *	one policy pattern through: "!^(?i)mx\.example\.com$" for a name,
 *	"!^(?i)[^.]+\.example\.com$" for "*.example.com".
 */
#ifndef VERBS_H
#define VERBS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#include "config.h"
#include "policy_cache.h"
#include "server.h"
#include "store.h"

#define VERBS_PROTOCOL 1

typedef struct verbs verbs;

typedef struct verbs_env {
    const mtasts_config *cfg;
    policy_cache *pc;
    store *st;
    evloop *loop;
} verbs_env;

verbs *verbs_new(const verbs_env *env);
void verbs_free(verbs *v);
void verbs_set_server(verbs *v, server *srv);
srv_result verbs_handle(void *v, srv_conn *c, const char *line, size_t len, buf *out);
int verbs_allowed_item(buf *out, const char *pattern);

#endif
