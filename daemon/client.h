/*
 * NAME
 *	client - talk to mtastsd over its socket (the CLI's side)
 * SUMMARY
 *	connect, send a request line, read answer lines, with a timeout
 * SYNOPSIS
 *	#include "client.h"
 *
 *	int  client_socket_path(const char *socket_opt, const char *config_opt,
 *	                        char *out, size_t outsz, mt_err *err);
 *	mt_client *client_connect(const char *path, int timeout_ms, mt_err *err);
 *	int  client_send(mt_client *c, const char *line, mt_err *err);
 *	int  client_read_line(mt_client *c, buf *line, mt_err *err);
 *	int  client_request(mt_client *c, const char *line, buf *answer, mt_err *err);
 *	int  client_put_arg(buf *req, const char *arg);
 *	void client_close(mt_client *c);
 * DESCRIPTION
 *	client_socket_path() says which socket to use: socket_opt (-s) when
 *	given; else $MTASTS_SOCKET when set (and no -c); else the "socket"
 *	key of config_opt (-c) or of the default configuration file when it
 *	exists; else CLIENT_DEV_SOCKET when that socket exists in the current
 *	directory (the daemon of `make run` in a checkout); else the
 *	built-in default.
 *
 *	client_connect() connects within timeout_ms; the failure message
 *	says what to do: the daemon is not running (no socket, or nobody
 *	answers), or the socket is not accessible (permission: be root, the
 *	daemon's user or in socket_group).
 *
 *	client_send() writes one request (line without "\n"; it is added).
 *	client_read_line() reads one answer line into line (emptied first,
 *	without its "\n"). client_request() does both. Each waits at most
 *	the connection's timeout. They return 0, or -1 with err.
 *
 *	client_put_arg() appends " ARG" to a request being built, as
 *	"b64:..." when ARG is not a plain word (spaces, non-ASCII bytes),
 *	so free text never breaks the request line.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "mt_err.h"

#define CLIENT_TIMEOUT_MS 10000	/* default: longer than answer_deadline */
#define CLIENT_DEV_SOCKET "run/mtastsd.sock"	/* scripts/run.sh, relative to a checkout */

typedef struct mt_client mt_client;

int client_socket_path(const char *socket_opt, const char *config_opt, char *out,
		       size_t outsz, mt_err *err);
mt_client *client_connect(const char *path, int timeout_ms, mt_err *err);
int client_send(mt_client *c, const char *line, mt_err *err);
int client_read_line(mt_client *c, buf *line, mt_err *err);
int client_request(mt_client *c, const char *line, buf *answer, mt_err *err);
int client_put_arg(buf *req, const char *arg);
void client_close(mt_client *c);

#endif
