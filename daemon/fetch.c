/*
 * NAME
 *	fetch - the HTTPS GET of an MTA-STS policy (RFC 8461 §3.3)
 * DESCRIPTION
 *	See fetch.h. One libcurl multi handle per fetcher, driven by
 *	curl_multi_socket_action() from loop watches (CURLMOPT_SOCKETFUNCTION)
 *	and one loop timer (CURLMOPT_TIMERFUNCTION). Each request has its own
 *	share object for the DNS cache, so the CURLOPT_RESOLVE entries of a
 *	request (permanent entries in libcurl's cache) die with it instead of
 *	piling up in the multi handle's cache.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "mt_err.h"
#include "policy.h"

#include "addr_filter.h"
#include "fetch.h"
#include "log.h"

typedef enum fetch_abort {
    ABORT_NONE,
    ABORT_STATUS,		/* status other than 200 */
    ABORT_TYPE,			/* not text/plain */
    ABORT_SIZE,			/* body over POLICY_MAX_BODY */
    ABORT_MEMORY,
} fetch_abort;

/* one connect_to entry, parsed */
typedef struct route {
    char host[256];		/* "" matches any host */
    int port;			/* 0 matches any port */
    int family;
    unsigned char addr[16];	/* the target address */
} route;

struct fetch_req {
    fetcher *f;
    CURL *easy;
    CURLSH *share;
    struct curl_slist *resolve;
    fetch_cb cb;
    void *arg;
    char host[256];
    char url[320];
    char errbuf[CURL_ERROR_SIZE];
    int checked;		/* status and type looked at */
    fetch_abort abort;
    const route *route;		/* connect_to entry that applies, or NULL */
    char refused[FETCH_REASON_MAX];	/* a socket the filter refused */
    ev_timer *fail_timer;	/* deferred delivery of a setup failure */
    char fail_reason[FETCH_REASON_MAX];
    fetch_problem fail_problem;
    fetch_result res;
    fetch_req *prev, *next;
};

struct fetcher {
    evloop *loop;
    CURLM *multi;
    ev_timer *timer;
    const mtasts_config *cfg;
    addr_filter filter;
    size_t nroutes;
    route routes[CONFIG_LIST_MAX];
    struct curl_slist *connect_to;
    struct curl_slist *headers;
    fetch_req *head;
};

static void check_done(fetcher *f);

/* parse_part - one ':'-separated field of a connect_to entry, brackets kept out */
static const char *parse_part(const char *p, char *out, size_t outsz, int last)
{
    const char *end;
    size_t n;

    if (*p == '[') {
	if ((end = strchr(p, ']')) == NULL)
	    return NULL;
	n = (size_t) (end - p - 1);
	if (n >= outsz)
	    return NULL;
	memcpy(out, p + 1, n);
	out[n] = 0;
	end++;
    } else {
	end = last ? p + strlen(p) : strchr(p, ':');
	if (end == NULL)
	    return NULL;
	n = (size_t) (end - p);
	if (n >= outsz)
	    return NULL;
	memcpy(out, p, n);
	out[n] = 0;
    }
    if (last)
	return *end == 0 ? end : NULL;
    return *end == ':' ? end + 1 : NULL;
}

/* parse_port - "" (any) or 1..65535 */
static int parse_port(const char *s, int *port)
{
    long v = 0;

    if (*s == 0) {
	*port = 0;
	return 0;
    }
    if (strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
	return -1;
    v = strtol(s, NULL, 10);
    if (v < 1 || v > 65535)
	return -1;
    *port = (int) v;
    return 0;
}

/* parse_route - "HOST:PORT:ADDR:PORT" with ADDR an IP address */
static int parse_route(const char *text, route *r, mt_err *err)
{
    char port1[8], addr[INET6_ADDRSTRLEN + 2], port2[8];
    const char *p = text;
    int p2;

    memset(r, 0, sizeof(*r));
    if ((p = parse_part(p, r->host, sizeof(r->host), 0)) == NULL
	|| (p = parse_part(p, port1, sizeof(port1), 0)) == NULL
	|| (p = parse_part(p, addr, sizeof(addr), 0)) == NULL
	|| (p = parse_part(p, port2, sizeof(port2), 1)) == NULL
	|| parse_port(port1, &r->port) < 0 || parse_port(port2, &p2) < 0) {
	mt_err_set(err, 0, 0, NULL, "connect_to '%s' is not HOST:PORT:ADDRESS:PORT", text);
	return -1;
    }
    if (inet_pton(AF_INET, addr, r->addr) == 1)
	r->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, r->addr) == 1)
	r->family = AF_INET6;
    else {
	mt_err_set(err, 0, 0, NULL, "connect_to '%s': '%s' is not an IP address (a host "
		   "name there would be resolved outside our DNSSEC-aware resolver)", text, addr);
	return -1;
    }
    return 0;
}

/* find_route - the connect_to entry libcurl will use for host:443 (the first match) */
static const route *find_route(const fetcher *f, const char *host)
{
    size_t i;

    for (i = 0; i < f->nroutes; i++) {
	const route *r = &f->routes[i];

	if ((r->host[0] == 0 || strcasecmp(r->host, host) == 0)
	    && (r->port == 0 || r->port == FETCH_PORT))
	    return r;
    }
    return NULL;
}

/* fetcher_routes - whether connect_to or the proxy decides where host is reached */
int fetcher_routes(const fetcher *f, const char *host)
{
    return (f->cfg->proxy && *f->cfg->proxy) || find_route(f, host) != NULL;
}

/* on_timer - libcurl's timeout is due */
static void on_timer(evloop *loop, void *arg)
{
    fetcher *f = arg;
    int running;

    (void) loop;
    f->timer = NULL;
    curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(f);
}

/* timer_cb - CURLMOPT_TIMERFUNCTION: (re)arm or cancel our one timer */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    fetcher *f = userp;

    (void) multi;
    if (f->timer) {
	evloop_timer_cancel(f->loop, f->timer);
	f->timer = NULL;
    }
    if (timeout_ms >= 0
	&& (f->timer = evloop_timer(f->loop, (uint64_t) timeout_ms, on_timer, f)) == NULL)
	return -1;
    return 0;
}

/* on_socket - a libcurl socket is ready */
static void on_socket(evloop *loop, int fd, unsigned events, void *arg)
{
    fetcher *f = arg;
    int flags = 0, running;

    (void) loop;
    if (events & EV_READ)
	flags |= CURL_CSELECT_IN;
    if (events & EV_WRITE)
	flags |= CURL_CSELECT_OUT;
    if (events & EV_ERROR)
	flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(f->multi, fd, flags, &running);
    check_done(f);
}

/* socket_cb - CURLMOPT_SOCKETFUNCTION: what to watch on a socket */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    fetcher *f = userp;
    unsigned ev = 0;

    (void) easy;
    (void) socketp;
    if (what == CURL_POLL_REMOVE) {
	evloop_unwatch(f->loop, s);
	return 0;
    }
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
	ev |= EV_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
	ev |= EV_WRITE;
    if (evloop_watch(f->loop, s, ev, on_socket, f) < 0) {
	/* a descriptor number reused after a close we were not told of */
	evloop_unwatch(f->loop, s);
	if (evloop_watch(f->loop, s, ev, on_socket, f) < 0)
	    return -1;
    }
    return 0;
}

/* fetcher_new - a libcurl multi handle on the loop */
fetcher *fetcher_new(evloop *loop, const mtasts_config *cfg, mt_err *err)
{
    fetcher *f;
    size_t i;

    if ((f = calloc(1, sizeof(*f))) == NULL) {
	mt_err_set(err, 0, 0, NULL, "out of memory");
	return NULL;
    }
    f->loop = loop;
    f->cfg = cfg;
    if (addr_filter_init(&f->filter, &cfg->fetch_allow_address, err) < 0)
	goto fail;
    for (i = 0; i < cfg->connect_to.n; i++) {
	struct curl_slist *l;

	if (parse_route(cfg->connect_to.v[i], &f->routes[f->nroutes], err) < 0)
	    goto fail;
	f->nroutes++;
	if ((l = curl_slist_append(f->connect_to, cfg->connect_to.v[i])) == NULL)
	    goto oom;
	f->connect_to = l;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
	mt_err_set(err, 0, 0, NULL, "libcurl initialisation failed");
	goto fail;
    }
    if ((f->headers = curl_slist_append(NULL, "Cache-Control: no-cache")) == NULL)
	goto oom_global;
    if ((f->multi = curl_multi_init()) == NULL)
	goto oom_global;
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
    return f;
oom_global:
    curl_global_cleanup();
oom:
    mt_err_set(err, 0, 0, NULL, "out of memory");
fail:
    curl_slist_free_all(f->connect_to);
    curl_slist_free_all(f->headers);
    free(f);
    return NULL;
}

/* req_release - detach a request from libcurl and the fetcher, and free it */
static void req_release(fetcher *f, fetch_req *r)
{
    if (r->fail_timer)
	evloop_timer_cancel(f->loop, r->fail_timer);
    if (r->easy) {
	curl_multi_remove_handle(f->multi, r->easy);
	curl_easy_cleanup(r->easy);
    }
    if (r->share)
	curl_share_cleanup(r->share);
    curl_slist_free_all(r->resolve);
    buf_free(&r->res.body);
    if (r->prev)
	r->prev->next = r->next;
    else
	f->head = r->next;
    if (r->next)
	r->next->prev = r->prev;
    free(r);
}

/* fetcher_free - cancel every request (no callbacks) and release */
void fetcher_free(fetcher *f)
{
    if (f == NULL)
	return;
    while (f->head)
	req_release(f, f->head);
    if (f->timer)
	evloop_timer_cancel(f->loop, f->timer);
    curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->connect_to);
    curl_slist_free_all(f->headers);
    curl_global_cleanup();
    free(f);
}

/* fetch_content_type_ok - text/plain, parameters allowed (RFC 7231 §3.1.1.1) */
int fetch_content_type_ok(const char *ct)
{
    static const char want[] = "text/plain";
    size_t n = sizeof(want) - 1;

    if (ct == NULL)
	return 0;
    while (*ct == ' ' || *ct == '\t')
	ct++;
    if (strncasecmp(ct, want, n) != 0)
	return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
	ct++;
    return *ct == 0 || *ct == ';';
}

/* check_headers - on the first body bytes: status 200 and text/plain, or stop */
static void check_headers(fetch_req *r)
{
    long code = 0;
    char *ct = NULL;

    r->checked = 1;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
	r->abort = ABORT_STATUS;
	return;
    }
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (!fetch_content_type_ok(ct))
	r->abort = ABORT_TYPE;
}

/* on_body - CURLOPT_WRITEFUNCTION: keep at most POLICY_MAX_BODY bytes */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    fetch_req *r = userdata;
    size_t n = size * nmemb;

    if (!r->checked)
	check_headers(r);
    if (r->abort != ABORT_NONE)
	return 0;			/* stops the transfer: CURLE_WRITE_ERROR */
    if (r->res.body.len + n > POLICY_MAX_BODY) {
	r->abort = ABORT_SIZE;
	return 0;
    }
    if (buf_append(&r->res.body, ptr, n) < 0) {
	r->abort = ABORT_MEMORY;
	return 0;
    }
    return n;
}

/* on_open_socket - CURLOPT_OPENSOCKETFUNCTION: the last check before a connect */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
				    struct curl_sockaddr *a)
{
    fetch_req *r = clientp;
    fetcher *f = r->f;
    const unsigned char *ip = NULL;
    int family = a->family;
    char why[FETCH_REASON_MAX];

    (void) purpose;
    if (family == AF_INET)
	ip = (const unsigned char *) &((struct sockaddr_in *) (void *) &a->addr)->sin_addr;
    else if (family == AF_INET6)
	ip = (const unsigned char *) &((struct sockaddr_in6 *) (void *) &a->addr)->sin6_addr;
    if (ip == NULL) {
	snprintf(r->refused, sizeof(r->refused), "not an Internet address");
	return CURL_SOCKET_BAD;
    }
    if (f->cfg->proxy && *f->cfg->proxy) {
	/* every connection goes to the configured proxy */
    } else if (r->route && r->route->family == family
	       && memcmp(r->route->addr, ip, family == AF_INET ? 4 : 16) == 0) {
	/* the operator's connect_to target */
    } else if (!addr_filter_check(&f->filter, family, ip, why, sizeof(why))) {
	snprintf(r->refused, sizeof(r->refused), "%s", why);
	log_msg(LOG_WARNING, "fetch %s: refused to connect: %s", r->host, why);
	return CURL_SOCKET_BAD;
    }
    return socket(family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* verify_text - the certificate verification error in plain words */
static void verify_text(fetch_req *r, char *out, size_t outsz)
{
    long vr = 0;

    /* libcurl checks the host name itself: then OpenSSL's result says little */
    curl_easy_getinfo(r->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
    if (vr != X509_V_OK && vr != X509_V_ERR_UNSPECIFIED)
	snprintf(out, outsz, "%s", X509_verify_cert_error_string(vr));
    else
	snprintf(out, outsz, "%s", r->errbuf[0] ? r->errbuf : "verification failed");
}

/* tls_version_problem - whether a TLS handshake error says "protocol version" */
static int tls_version_problem(const char *e)
{
    return strstr(e, "protocol version") || strstr(e, "unsupported protocol")
	|| strstr(e, "wrong version number") || strstr(e, "no protocols available");
}

/* set_failure - classify and say why */
static void __attribute__((format(printf, 5, 6)))
set_failure(fetch_result *res, fetch_problem problem, tlsrpt_fetch_failure type, int temporary,
	    const char *fmt, ...)
{
    va_list ap;

    res->problem = problem;
    res->failure = type;
    res->temporary = temporary;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
}

/* os_error - the system error of the last connect, in words (no timings: stable text) */
static const char *os_error(fetch_req *r)
{
    long e = 0;

    if (curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &e) == CURLE_OK && e != 0)
	return strerror((int) e);
    return "no connection";
}

/* tls_error - libcurl's TLS error text without the library's version prefix */
static const char *tls_error(fetch_req *r, CURLcode code)
{
    const char *e = r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);

    if (strncmp(e, "OpenSSL/", 8) == 0 && strstr(e, ": "))
	e = strstr(e, ": ") + 2;
    return e;
}

/* classify - fill problem, failure, temporary and reason from how the transfer ended */
static void classify(fetch_req *r, CURLcode code)
{
    fetch_result *res = &r->res;
    const mtasts_config *cfg = r->f->cfg;
    char detail[FETCH_REASON_MAX];

    if (r->abort == ABORT_STATUS
	|| (res->http_status != 0 && res->http_status != 200
	    && (code == CURLE_OK || code == CURLE_WRITE_ERROR
		|| code == CURLE_FILESIZE_EXCEEDED))) {
	if (res->http_status >= 300 && res->http_status < 400)
	    set_failure(res, FETCH_REDIRECT, FETCH_FAIL_FETCH_ERROR, 0,
			"the policy host answered HTTP %ld, a redirect, which is not followed "
			"(RFC 8461 §3.3)", res->http_status);
	else
	    set_failure(res, FETCH_STATUS, FETCH_FAIL_FETCH_ERROR, 0,
			"the policy host answered HTTP %ld instead of 200", res->http_status);
	return;
    }
    if (r->abort == ABORT_TYPE || (code == CURLE_OK && !fetch_content_type_ok(res->content_type))) {
	set_failure(res, FETCH_MEDIA_TYPE, FETCH_FAIL_POLICY_INVALID, 0,
		    "the policy is served as '%s', not text/plain (RFC 8461 §3.2)",
		    res->content_type[0] ? res->content_type : "(no Content-Type)");
	return;
    }
    if (r->abort == ABORT_SIZE || code == CURLE_FILESIZE_EXCEEDED) {
	set_failure(res, FETCH_TOO_BIG, FETCH_FAIL_POLICY_INVALID, 0,
		    "the policy is larger than %d bytes (RFC 8461 §3.3)", POLICY_MAX_BODY);
	return;
    }
    if (r->abort == ABORT_MEMORY) {
	set_failure(res, FETCH_LOCAL, FETCH_FAIL_FETCH_ERROR, 1, "out of memory");
	return;
    }
    switch (code) {
    case CURLE_OK:
	res->problem = FETCH_OK;
	res->failure = FETCH_FAIL_NONE;
	res->temporary = 0;
	res->reason[0] = 0;
	return;
    case CURLE_PEER_FAILED_VERIFICATION:
	verify_text(r, detail, sizeof(detail));
	set_failure(res, FETCH_CERTIFICATE, FETCH_FAIL_WEBPKI_INVALID, 0,
		    "the certificate of %s is not valid: %s", r->host, detail);
	return;
    case CURLE_SSL_CONNECT_ERROR:
	if (tls_version_problem(tls_error(r, code))) {
	    set_failure(res, FETCH_TLS_VERSION, FETCH_FAIL_FETCH_ERROR, 0,
			"%s does not offer TLS 1.2 or later (%s)", r->host, tls_error(r, code));
	    return;
	}
	set_failure(res, FETCH_TLS, FETCH_FAIL_FETCH_ERROR, 1, "the TLS handshake with %s "
		    "failed: %s", r->host, tls_error(r, code));
	return;
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_UNSUPPORTED_PROTOCOL:
	set_failure(res, FETCH_LOCAL, FETCH_FAIL_FETCH_ERROR, 1,
		    "a local problem, not the domain's: %s (check ca_file and ca_path)",
		    tls_error(r, code));
	return;
    case CURLE_OPERATION_TIMEDOUT: {
	curl_off_t connected = 0;

	(void) curl_easy_getinfo(r->easy, CURLINFO_CONNECT_TIME_T, &connected);
	if (res->http_status != 0)
	    set_failure(res, FETCH_TIMEOUT, FETCH_FAIL_FETCH_ERROR, 1,
			"the policy from %s did not arrive within %llu s (fetch_timeout)",
			r->host, (unsigned long long) (cfg->fetch_timeout_ms / 1000));
	else if (connected > 0)
	    set_failure(res, FETCH_TIMEOUT, FETCH_FAIL_FETCH_ERROR, 1,
			"%s accepted the connection but did not answer within %llu s "
			"(fetch_timeout)", r->host,
			(unsigned long long) (cfg->fetch_timeout_ms / 1000));
	else
	    set_failure(res, FETCH_TIMEOUT, FETCH_FAIL_FETCH_ERROR, 1,
			"no connection to %s within %llu s (fetch_connect_timeout)", r->host,
			(unsigned long long) (cfg->fetch_connect_timeout_ms / 1000));
	return;
    }
    case CURLE_COULDNT_CONNECT:
	if (r->refused[0])
	    set_failure(res, FETCH_REFUSED_ADDRESS, FETCH_FAIL_FETCH_ERROR, 0,
			"refused to connect: %s", r->refused);
	else if (cfg->proxy && *cfg->proxy)
	    set_failure(res, FETCH_CONNECT, FETCH_FAIL_FETCH_ERROR, 1,
			"cannot connect to the proxy %s: %s", cfg->proxy, os_error(r));
	else
	    set_failure(res, FETCH_CONNECT, FETCH_FAIL_FETCH_ERROR, 1,
			"cannot connect to %s port %d: %s", r->host, FETCH_PORT, os_error(r));
	return;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
	set_failure(res, FETCH_CONNECT, FETCH_FAIL_FETCH_ERROR, 1,
		    "the connection to %s broke off: %s", r->host, curl_easy_strerror(code));
	return;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
	set_failure(res, FETCH_CONNECT, FETCH_FAIL_FETCH_ERROR, 1, "cannot resolve: %s",
		    curl_easy_strerror(code));
	return;
    default:
	set_failure(res, FETCH_OTHER, FETCH_FAIL_FETCH_ERROR, 1, "the fetch failed: %s",
		    tls_error(r, code));
	return;
    }
}

/* finish - deliver a request's result and release it */
static void finish(fetcher *f, fetch_req *r, CURLcode code)
{
    char *ct = NULL, *ip = NULL;

    r->res.curl_code = (int) code;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->res.http_status);
    if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
	snprintf(r->res.content_type, sizeof(r->res.content_type), "%s", ct);
    if (curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
	snprintf(r->res.ip, sizeof(r->res.ip), "%s", ip);
    classify(r, code);
    if (r->res.failure != FETCH_FAIL_NONE)
	log_msg(LOG_DEBUG, "fetch %s: %s", r->host, r->res.reason);
    r->cb(&r->res, r->arg);
    req_release(f, r);
}

/* check_done - deliver every finished transfer */
static void check_done(fetcher *f)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
	fetch_req *r = NULL;

	if (msg->msg != CURLMSG_DONE)
	    continue;
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);
	if (r)
	    finish(f, r, msg->data.result);
    }
}

/* fail_later - deliver a failure found before any transfer, from the loop */
static void fail_later(evloop *loop, void *arg)
{
    fetch_req *r = arg;
    fetcher *f = r->f;

    (void) loop;
    r->fail_timer = NULL;
    r->res.problem = r->fail_problem;
    r->res.failure = FETCH_FAIL_FETCH_ERROR;
    r->res.temporary = 0;
    snprintf(r->res.reason, sizeof(r->res.reason), "%s", r->fail_reason);
    r->cb(&r->res, r->arg);
    req_release(f, r);
}

/* setup_easy - every option of RFC 8461 §3.3 on one handle */
static int setup_easy(fetcher *f, fetch_req *r)
{
    const mtasts_config *cfg = f->cfg;
    CURL *e = r->easy;
    int bad = 0;

#define SET(opt, val) bad |= curl_easy_setopt(e, opt, val) != CURLE_OK
    SET(CURLOPT_PRIVATE, r);
    SET(CURLOPT_URL, r->url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);		/* RFC 8461 §3.3: no redirects */
    SET(CURLOPT_HTTPGET, 1L);
    SET(CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);	/* TLS 1.2 or later */
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (cfg->ca_file)
	SET(CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->ca_path)
	SET(CURLOPT_CAPATH, cfg->ca_path);
    /* "" means no proxy, and environment variables such as https_proxy are ignored */
    SET(CURLOPT_PROXY, cfg->proxy ? cfg->proxy : "");
    SET(CURLOPT_HTTPHEADER, f->headers);
    SET(CURLOPT_USERAGENT, "mtastsd/" MTASTS_VERSION);
    SET(CURLOPT_TIMEOUT_MS, (long) cfg->fetch_timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (long) cfg->fetch_connect_timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) POLICY_MAX_BODY);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SHARE, r->share);
    if (f->connect_to)
	SET(CURLOPT_CONNECT_TO, f->connect_to);
    if (r->resolve)
	SET(CURLOPT_RESOLVE, r->resolve);
#undef SET
    return bad ? -1 : 0;
}

/* fetch_start - GET the policy of host; cb runs later from the loop */
fetch_req *fetch_start(fetcher *f, const char *host, const char *const *addrs, size_t naddr,
		       fetch_cb cb, void *arg)
{
    fetch_req *r;
    const char *fail = NULL;
    buf line;
    size_t i;

    if ((r = calloc(1, sizeof(*r))) == NULL)
	return NULL;
    r->f = f;
    r->cb = cb;
    r->arg = arg;
    snprintf(r->host, sizeof(r->host), "%s", host);
    snprintf(r->url, sizeof(r->url), "https://%s%s", host, FETCH_PATH);
    r->res.host = r->host;
    r->res.url = r->url;
    r->route = find_route(f, host);
    r->next = f->head;
    if (f->head)
	f->head->prev = r;
    f->head = r;

    r->fail_problem = FETCH_NO_ADDRESS;
    if (naddr == 0 && !fetcher_routes(f, host))
	fail = "no address to connect to";
    if (fail == NULL && naddr > 0) {
	buf_init(&line);
	if (buf_printf(&line, "%s:%d:", host, FETCH_PORT) < 0)
	    goto oom;
	for (i = 0; i < naddr && i < FETCH_MAX_ADDRS; i++)
	    if (buf_printf(&line, strchr(addrs[i], ':') ? "%s[%s]" : "%s%s",
			   i ? "," : "", addrs[i]) < 0) {
		buf_free(&line);
		goto oom;
	    }
	r->resolve = curl_slist_append(NULL, buf_str(&line));
	buf_free(&line);
	if (r->resolve == NULL)
	    goto oom;
    }
    if (fail == NULL) {
	if ((r->easy = curl_easy_init()) == NULL || (r->share = curl_share_init()) == NULL)
	    goto oom;
	if (curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK
	    || setup_easy(f, r) < 0) {
	    r->fail_problem = FETCH_LOCAL;
	    fail = "libcurl refused an option (is it built with HTTPS and TLS 1.2?)";
	}
	else if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK)
	    goto oom;
    }
    if (fail) {
	snprintf(r->fail_reason, sizeof(r->fail_reason), "%s", fail);
	if ((r->fail_timer = evloop_timer(f->loop, 0, fail_later, r)) == NULL)
	    goto oom;
    }
    return r;
oom:
    if (r->easy && !r->fail_timer)
	curl_multi_remove_handle(f->multi, r->easy);
    req_release(f, r);
    return NULL;
}

/* fetch_cancel - abandon a fetch; its callback is not called */
void fetch_cancel(fetcher *f, fetch_req *r)
{
    if (r)
	req_release(f, r);
}

/* tlsrpt_fetch_failure_name - the RFC 8460 §4.3 result type */
const char *tlsrpt_fetch_failure_name(tlsrpt_fetch_failure f)
{
    switch (f) {
    case FETCH_FAIL_NONE:
	return "none";
    case FETCH_FAIL_FETCH_ERROR:
	return "sts-policy-fetch-error";
    case FETCH_FAIL_POLICY_INVALID:
	return "sts-policy-invalid";
    case FETCH_FAIL_WEBPKI_INVALID:
	return "sts-webpki-invalid";
    }
    return "?";
}

/* fetch_problem_name - a stable word for a problem (JSON) */
const char *fetch_problem_name(fetch_problem p)
{
    static const char *const names[] = {
	"ok", "no-address", "refused-address", "connect", "timeout", "tls", "tls-version",
	"certificate", "http-status", "redirect", "media-type", "too-big", "local", "other",
	"invalid-policy",
    };

    return (unsigned) p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}
