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
 *	void   verbs_set_refresh(verbs *v, refresh *rf);
 *	void   verbs_set_tlsrpt(verbs *v, tlsrpt_counters *tc);
 *	srv_result verbs_handle(void *v, srv_conn *c, const char *line,
 *	                        size_t len, buf *out);
 *	int    verbs_allowed_item(buf *out, const char *pattern);
 *	int    verbs_add(verbs *v, const char *name, int min_args, int max_args,
 *	                 int privileged, verbs_ext_fn fn, void *arg);
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
 *	verbs_add() registers a verb of another module (TLS-RPT's report,
 *	refresh's verbs) without editing this file: requests whose verb is
 *	name and that carry min_args..max_args arguments go to fn(arg, c,
 *	req, out), which answers like a server handler (SRV_DONE with the
 *	answer in out, or SRV_PENDING after server_defer()). privileged
 *	verbs are refused ("error reason=permission-denied") to peers that
 *	are not root, the daemon's user or in socket_group. Requests are
 *	counted in stats as requests_NAME. Returns 0, or -1 when the name
 *	is taken or VERBS_EXT_MAX verbs are registered.
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
#include "refresh.h"
#include "server.h"
#include "store.h"
#include "tlsrpt_counters.h"

#define VERBS_PROTOCOL 1
#define VERBS_EXT_MAX 16

struct proto_req;
typedef srv_result (*verbs_ext_fn)(void *arg, srv_conn *c, struct proto_req *req, buf *out);

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
void verbs_set_refresh(verbs *v, refresh *rf);
void verbs_set_tlsrpt(verbs *v, tlsrpt_counters *tc);
srv_result verbs_handle(void *v, srv_conn *c, const char *line, size_t len, buf *out);
int verbs_allowed_item(buf *out, const char *pattern);
int verbs_add(verbs *v, const char *name, int min_args, int max_args, int privileged,
	      verbs_ext_fn fn, void *arg);

#endif
