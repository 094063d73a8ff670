/*
 * NAME
 *	fetch - the HTTPS GET of an MTA-STS policy (RFC 8461 §3.3)
 * SUMMARY
 *	libcurl multi on the event loop, with every rule of §3.3
 * SYNOPSIS
 *	#include "fetch.h"
 *
 *	fetcher *fetcher_new(evloop *loop, const mtasts_config *cfg, mt_err *err);
 *	void fetcher_free(fetcher *f);
 *	int  fetcher_routes(const fetcher *f, const char *host);
 *	fetch_req *fetch_start(fetcher *f, const char *host,
 *	                       const char *const *addrs, size_t naddr,
 *	                       fetch_cb cb, void *arg);
 *	void fetch_cancel(fetcher *f, fetch_req *r);
 *	int  fetch_content_type_ok(const char *content_type);
 *	const char *tlsrpt_fetch_failure_name(tlsrpt_fetch_failure f);
 *	const char *fetch_problem_name(fetch_problem p);
 * DESCRIPTION
 *	fetcher_new() makes one libcurl multi handle on the loop (its
 *	sockets and timer are loop watches and timers; no thread, no
 *	blocking). It checks the configuration it uses: every connect_to
 *	entry must be HOST:PORT:ADDR:PORT with ADDR an IP address (a name
 *	there would make libcurl resolve it behind our resolver's back), and
 *	every fetch_allow_address block must parse.
 *
 *	fetch_start() GETs https://HOST/.well-known/mta-sts.txt and returns
 *	at once (NULL when out of memory). The rules (RFC 8461 §3.3):
 *	HTTPS only, TLS 1.2 or later, the certificate verified for HOST
 *	against ca_file/ca_path (the system store by default), redirects
 *	not followed, no cache (and "Cache-Control: no-cache" for any
 *	proxy), no proxy unless the proxy key says so (environment
 *	variables are ignored), only status 200, media type text/plain
 *	(parameters allowed), at most POLICY_MAX_BODY bytes (counted while
 *	the body streams in; a larger Content-Length stops it at once),
 *	fetch_timeout for the whole and fetch_connect_timeout to connect.
 *
 *	addrs are the addresses of HOST found by our own resolver, already
 *	checked by the address filter; they are handed to libcurl with
 *	CURLOPT_RESOLVE so libcurl never resolves HOST itself. When
 *	fetcher_routes() says a connect_to entry or the proxy decides where
 *	HOST is reached, addrs may be empty. A fetch with no address and no
 *	route fails without a connection. As a last line, every socket
 *	libcurl opens is checked again: an address the filter refuses (and
 *	that is not the configured connect_to target) is never connected.
 *
 *	cb is called exactly once, later, from the loop, unless the fetch is
 *	cancelled (fetch_cancel(): no callback). The fetch_result is valid
 *	during the call; the callback may take r->body with buf_steal().
 *	Do not free the fetcher from inside a callback.
 *
 *	Failures are classified into the RFC 8460 §4.3 result type they
 *	imply, with a plain-words reason, and temporary or not:
 *	  connect error, timeout, reset, HTTP/2 error   fetch-error, temporary
 *	  local problem (CA file unreadable, memory)    fetch-error, temporary
 *	  status other than 200 (redirects included)    fetch-error, definitive
 *	  TLS older than 1.2 only                       fetch-error, definitive
 *	  certificate: untrusted, expired, other name   webpki-invalid, definitive
 *	  media type not text/plain, body too big       policy-invalid, definitive
 *	(an invalid policy body is the caller's finding: policy-invalid,
 *	definitive.)
 *
 *	problem names the cause in a word (fetch_problem_name(): "timeout",
 *	"certificate", "redirect", ...: stable, used in JSON output).
 *
 *	fetch_content_type_ok() says whether a Content-Type value is
 *	text/plain, with or without parameters (case-insensitive, RFC 7231
 *	§3.1.1.1).
 */
#ifndef FETCH_H
#define FETCH_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>

#include "buf.h"
#include "mt_err.h"

#include "config.h"
#include "evloop.h"

#define FETCH_PATH "/.well-known/mta-sts.txt"	/* RFC 8461 §3.3 */
#define FETCH_PORT 443				/* RFC 8461 §3.3: HTTPS */
#define FETCH_MAX_ADDRS 16			/* our limit on addresses tried */
#define FETCH_REASON_MAX 384

/* RFC 8460 §4.3 result types the daemon itself can observe while fetching */
typedef enum tlsrpt_fetch_failure {
    FETCH_FAIL_NONE = 0,
    FETCH_FAIL_FETCH_ERROR,	/* sts-policy-fetch-error */
    FETCH_FAIL_POLICY_INVALID,	/* sts-policy-invalid */
    FETCH_FAIL_WEBPKI_INVALID,	/* sts-webpki-invalid */
} tlsrpt_fetch_failure;

/* What went wrong, for explanations (mtasts check) and statistics */
typedef enum fetch_problem {
    FETCH_OK = 0,
    FETCH_NO_ADDRESS,		/* nothing to connect to (no address, no route) */
    FETCH_REFUSED_ADDRESS,	/* the address filter refused every address */
    FETCH_CONNECT,		/* connection refused, unreachable, reset */
    FETCH_TIMEOUT,
    FETCH_TLS,			/* TLS handshake failed (not the version) */
    FETCH_TLS_VERSION,		/* no TLS 1.2 or later on offer */
    FETCH_CERTIFICATE,		/* untrusted, expired, not for this name */
    FETCH_STATUS,		/* HTTP status other than 200 and 3xx */
    FETCH_REDIRECT,		/* HTTP 3xx */
    FETCH_MEDIA_TYPE,		/* not text/plain */
    FETCH_TOO_BIG,		/* over POLICY_MAX_BODY */
    FETCH_LOCAL,		/* our side: CA file, memory, libcurl */
    FETCH_OTHER,		/* anything else libcurl reports */
    FETCH_BAD_POLICY,		/* fetched, but not a valid policy (the caller's finding) */
} fetch_problem;

typedef struct fetch_result {
    const char *host;
    const char *url;
    int curl_code;		/* CURLcode */
    long http_status;		/* 0: no HTTP answer */
    char content_type[128];
    char ip[INET6_ADDRSTRLEN];	/* the address connected to, "" if none */
    buf body;			/* owned by the fetcher; may be stolen */
    tlsrpt_fetch_failure failure;	/* FETCH_FAIL_NONE: a 200 text/plain body within limits */
    fetch_problem problem;	/* FETCH_OK, or what went wrong */
    int temporary;		/* on failure: worth retrying soon */
    char reason[FETCH_REASON_MAX];
} fetch_result;

typedef void (*fetch_cb)(fetch_result *r, void *arg);
typedef struct fetcher fetcher;
typedef struct fetch_req fetch_req;

fetcher *fetcher_new(evloop *loop, const mtasts_config *cfg, mt_err *err);
void fetcher_free(fetcher *f);
int fetcher_routes(const fetcher *f, const char *host);
fetch_req *fetch_start(fetcher *f, const char *host, const char *const *addrs, size_t naddr,
		       fetch_cb cb, void *arg);
void fetch_cancel(fetcher *f, fetch_req *r);
int fetch_content_type_ok(const char *content_type);
const char *tlsrpt_fetch_failure_name(tlsrpt_fetch_failure f);
const char *fetch_problem_name(fetch_problem p);

#endif
