/*
 * NAME
 *	config - mtastsd.conf, shared by the daemon and the command line
 * SUMMARY
 *	"key = value" lines; every key, its type and default in one table
 * SYNOPSIS
 *	#include "config.h"
 *
 *	void config_defaults(mtasts_config *cfg);
 *	int  config_load(mtasts_config *cfg, const char *path, mt_err *err);
 *	int  config_set(mtasts_config *cfg, const char *key, const char *value,
 *	                mt_err *err);
 *	int  config_check(const mtasts_config *cfg, mt_err *err);
 *	void config_free(mtasts_config *cfg);
 *	void config_dump(const mtasts_config *cfg, FILE *fp);
void config_diff(const mtasts_config *a, const mtasts_config *b,
		 void (*fn)(const char *key, void *arg), void *arg);
int config_copy_key(mtasts_config *dst, const mtasts_config *src, const char *key);
 *	void config_diff(const mtasts_config *a, const mtasts_config *b,
 *	                 void (*fn)(const char *key, void *arg), void *arg);
 *	int  config_copy_key(mtasts_config *dst, const mtasts_config *src,
 *	                     const char *key);
 * DESCRIPTION
 *	config_defaults() fills every key with its built-in default (the
 *	values documented in mtastsd.conf(5)). config_load() reads path on
 *	top of what cfg holds: blank lines and "#" comments are skipped; an
 *	unknown key, a bad value or a missing "=" fails with err naming the
 *	line, the key and why (err->msg starts with the file name).
 *	config_set() sets one key from text, as the file would (tests, -o).
 *	config_check() checks what no single key can say: report_hour plus
 *	report_jitter must stay within the day (the daily run would slip
 *	into the next one), and reports_retention_days must be at least
 *	counters_retention_days (else a day whose report was pruned while
 *	its counts remain would be built and sent again with the same id);
 *	0, or -1 with err naming both keys. config_load() runs it on the
 *	whole file; mtastsd runs it again after -o overrides.
 *	Keys marked repeatable accumulate; others take the last value.
 *	Value syntax by type: durations are an integer with an optional
 *	unit s, m, h, d (default seconds) and are stored in milliseconds;
 *	some durations have a minimum (dns_timeout, fetch_timeout and
 *	fetch_connect_timeout 1s, fetch_backoff 5m as RFC 8461 §3.3 asks),
 *	and a value below it is refused unless the environment variable
 *	CONFIG_TEST_ENV is set (tests with second-long lifetimes only; each
 *	such value is logged as a warning);
 *	sizes take K, M, G (powers of 1024); booleans yes/no/true/false/1/0;
 *	modes are octal.
 *	config_dump() prints the effective configuration as the file would.
 *	config_free() releases strings and lists; cfg can then be reused.
 *	config_diff() calls fn with the name of every key whose value
 *	differs between a and b, in the table's order (strings and lists
 *	compared by content). config_copy_key() sets one key of dst to its
 *	value in src: 0, or -1 for an unknown key or one that is a string
 *	or a list (those are not replaced in a running configuration).
 *
 *	To add a key: a field below and a line in the table in config.c.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "mt_err.h"

#define CONFIG_DEFAULT_PATH "/etc/mtasts/mtastsd.conf"
#define CONFIG_LINE_MAX 4096
#define CONFIG_LIST_MAX 64	/* our limit on a repeatable key */
#define CONFIG_TEST_ENV "MTASTS_TEST_NO_MINIMUMS"	/* tests: minimums off */

typedef struct config_list {
    size_t n;
    char *v[CONFIG_LIST_MAX];
} config_list;

typedef struct mtasts_config {
    /* Discovery: DNS (resolver.c) */
    char *unbound_config;	/* unbound.conf(5) file for libunbound, or NULL */
    config_list trust_anchor_file;	/* extra trust anchor files */
    int dnssec;			/* validate with the root trust anchor */
    char *root_anchor_file;	/* system root key (dns-root-data) */
    uint64_t dns_timeout_ms;	/* one DNS query */

    /* Discovery: HTTPS (fetch.c) */
    char *ca_file;		/* CA bundle, NULL: the system's */
    char *ca_path;		/* CA directory, NULL: the system's */
    config_list connect_to;	/* libcurl HOST:PORT:ADDR:PORT, repeatable */
    config_list fetch_allow_address;	/* CIDR blocks fetch may connect to although private */
    char *proxy;		/* HTTPS proxy URL, NULL: none (never from the environment) */
    uint64_t fetch_timeout_ms;	/* whole fetch, RFC 8461 §3.3 suggests 60 s */
    uint64_t fetch_connect_timeout_ms;
    int smtp_probe_port;	/* mtasts check --probe */

    /* Daemon process and socket (mtastsd.c, server.c) */
    char *socket;
    unsigned socket_mode;
    char *socket_group;
    char *state_dir;
    char *user;
    char *pid_file;
    int max_clients;
    int max_request_size;
    uint64_t client_idle_timeout_ms;
    int log_debug;

    /* Policy life cycle (policy_cache.c) */
    uint64_t answer_deadline_ms;	/* longest a policy request waits for the network */
    uint64_t first_contact_window_ms;	/* tempfail window for a new domain, 0 = never */
    uint64_t txt_recheck_interval_ms;	/* re-check the TXT id of a cached policy */
    uint64_t fetch_backoff_ms;	/* after a failed fetch, per id; RFC 8461 §3.3: >= 5 min */
    uint64_t failure_recheck_interval_ms;	/* a no-policy outcome is answered from memory this long */
    uint64_t store_max_size;	/* LMDB map cap, bytes */
    int dane_admits_unlisted_mx;	/* an MX with valid TLSA may be used although unlisted */

    /* Proactive refresh and prefetch (refresh.c) */
    unsigned refresh_at_percent;	/* of max_age elapsed */
    uint64_t refresh_max_interval_ms;	/* at least this often */
    uint64_t refresh_min_interval_ms;	/* named minimum against refresh storms */
    uint64_t min_cache_lifetime_ms;	/* named minimum cache lifetime */
    unsigned refresh_jitter_percent;
    int refresh_concurrency;
    int refresh_per_host;
    char *prefetch_file;	/* domains to prefetch at start */

    /* TLS reporting (tlsrpt*.c) */
    int tlsrpt;			/* collect and send reports */
    char *organization_name;
    char *contact_info;
    char *report_submitter;	/* the submitter domain in file names and headers */
    char *report_from;		/* envelope and From: of mailed reports */
    char *sendmail_command;
    unsigned report_hour;	/* UTC hour after which yesterday's reports go out */
    uint64_t report_jitter_ms;
    uint64_t report_retry_ms;	/* RFC 8460 §5.4: retry for up to 24 hours */
    unsigned counters_retention_days;
    unsigned reports_retention_days;
    uint64_t tlsrpt_commit_interval_ms;	/* counters batched in memory this long */
    char *dkim_key_file;
    char *dkim_selector;
    char *dkim_domain;
} mtasts_config;

void config_defaults(mtasts_config *cfg);
int config_load(mtasts_config *cfg, const char *path, mt_err *err);
int config_set(mtasts_config *cfg, const char *key, const char *value, mt_err *err);
int config_check(const mtasts_config *cfg, mt_err *err);
void config_free(mtasts_config *cfg);
void config_dump(const mtasts_config *cfg, FILE *fp);
void config_diff(const mtasts_config *a, const mtasts_config *b,
		 void (*fn)(const char *key, void *arg), void *arg);
int config_copy_key(mtasts_config *dst, const mtasts_config *src, const char *key);

#endif
