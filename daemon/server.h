/*
 * NAME
 *	server - the Unix stream socket: clients, lines, answers in order
 * SUMMARY
 *	many requests per connection, pipelining, one-shot clients, limits
 * SYNOPSIS
 *	#include "server.h"
 *
 *	int     server_bind(const char *path, unsigned mode, uid_t uid, gid_t gid,
 *	                    mt_err *err);
 *	server *server_new(evloop *loop, int listen_fd, const srv_limits *lim,
 *	                   srv_handler handler, void *ctx);
 *	void    server_free(server *s);
 *	void    server_drain(server *s);
 *	size_t  server_clients(const server *s);
 *	void    server_get_stats(const server *s, srv_stats *st);
 *	srv_pending *server_defer(srv_conn *c, srv_cancel_fn cancel, void *arg);
 *	void    server_complete(srv_pending *p, const char *answer, size_t len);
 *	int     server_peer_privileged(srv_conn *c);
 *	const srv_peer *server_peer(srv_conn *c);
 * DESCRIPTION
 *	server_bind() creates the socket at path (a stale socket left by a
 *	dead daemon is removed; a live one is an error: another daemon
 *	answers there), sets its mode and owner (uid, gid; (uid_t) -1 and
 *	(gid_t) -1 leave them) and listens. Call it before dropping
 *	privileges. Returns the descriptor, or -1 with err.
 *
 *	server_new() serves listen_fd on loop. Each request line (without
 *	its "\n" and a "\r" before it) goes to handler, which either appends
 *	the whole answer, "\n" included, to out and returns SRV_DONE, or
 *	calls server_defer() once and returns SRV_PENDING, or returns
 *	SRV_CLOSE (out is still sent, then the connection closes). Answers
 *	leave in request order whatever order they complete in. A client
 *	that shuts down its write side (Exim's ${readsocket}) gets every
 *	answer, then the connection closes; a last line without "\n" before
 *	that end counts as a request. A line longer than lim->max_line gets
 *	"error reason=line-too-long" and the connection closes. Clients over
 *	lim->max_clients get "error reason=too-many-clients" and are closed.
 *	A connection that neither sends nor reads for lim->idle_timeout_ms
 *	(and has nothing pending) is closed. A client that stops reading
 *	stops being read (its answers are bounded by SRV_OUT_HIGH bytes and
 *	SRV_PENDING_MAX deferred requests), so no client can grow the
 *	daemon's memory or stall another client.
 *
 *	server_defer() returns a handle for one deferred answer; complete it
 *	with server_complete() (the answer is copied), exactly once, from
 *	the loop but not from inside the handler call. If the client goes
 *	away first, cancel(arg) is called instead, and the handle must not
 *	be used after that.
 *
 *	server_peer() reads the client's credentials (SO_PEERCRED, once per
 *	connection); server_peer_privileged() says whether the client may
 *	use state-changing verbs: root, the daemon's own uid, or a member of
 *	lim->group (primary or supplementary group, SO_PEERGROUPS).
 *
 *	server_drain() stops accepting (the socket file is removed) and
 *	reading requests; connections close once their answers are out.
 *	server_clients() says how many remain. server_free() closes all.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "mt_err.h"

#include "evloop.h"

#define SRV_OUT_HIGH (256u * 1024u)	/* answer bytes waiting before we stop reading */
#define SRV_PENDING_MAX 256		/* deferred answers per connection before we stop reading */
#define SRV_READ_CHUNK 16384		/* bytes per read() */
#define SRV_ACCEPT_BATCH 64		/* accept() calls per readiness event */

typedef struct server server;
typedef struct srv_conn srv_conn;
typedef struct srv_pending srv_pending;

typedef enum srv_result {
    SRV_DONE,
    SRV_PENDING,
    SRV_CLOSE,
} srv_result;

typedef srv_result (*srv_handler)(void *ctx, srv_conn *c, const char *line, size_t len,
				  buf *out);
typedef void (*srv_cancel_fn)(void *arg);

typedef struct srv_limits {
    int max_clients;
    size_t max_line;			/* request bytes without "\n" */
    uint64_t idle_timeout_ms;
    int have_group;
    gid_t group;			/* socket_group: may use state-changing verbs */
} srv_limits;

typedef struct srv_peer {
    int known;				/* SO_PEERCRED worked */
    pid_t pid;
    uid_t uid;
    gid_t gid;
} srv_peer;

typedef struct srv_stats {
    uint64_t accepted;
    uint64_t refused;			/* over max_clients */
    uint64_t requests;
    uint64_t too_long;
    uint64_t idle_closed;
    uint64_t clients;			/* now */
} srv_stats;

int server_bind(const char *path, unsigned mode, uid_t uid, gid_t gid, mt_err *err);
server *server_new(evloop *loop, int listen_fd, const srv_limits *lim,
		   srv_handler handler, void *ctx);
void server_free(server *s);
void server_drain(server *s);
size_t server_clients(const server *s);
void server_get_stats(const server *s, srv_stats *st);
srv_pending *server_defer(srv_conn *c, srv_cancel_fn cancel, void *arg);
void server_complete(srv_pending *p, const char *answer, size_t len);
const srv_peer *server_peer(srv_conn *c);
int server_peer_privileged(srv_conn *c);

#endif
