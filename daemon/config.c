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
 *	void config_free(mtasts_config *cfg);
 *	void config_dump(const mtasts_config *cfg, FILE *fp);
 *	void config_diff(const mtasts_config *a, const mtasts_config *b,
 *	                 void (*fn)(const char *key, void *arg), void *arg);
 *	int  config_copy_key(mtasts_config *dst, const mtasts_config *src,
 *	                     const char *key);
 * DESCRIPTION
 *	See config.h. One table names every key with its type, field and
 *	default; parsing, defaults and dumping all walk that table, so a key
 *	is added in one place. Defaults here are the documented ones
 *	(packaging/man/mtastsd.conf.5).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mt_err.h"
#include "proto.h"

#include "config.h"
#include "log.h"

typedef enum ctype {
    C_STR,			/* char * */
    C_LIST,			/* config_list, repeatable */
    C_BOOL,			/* int */
    C_INT,			/* int, >= 0 */
    C_UINT,			/* unsigned, >= 0 */
    C_MODE,			/* unsigned, octal */
    C_DURATION,			/* uint64_t milliseconds; text: N[s|m|h|d] */
    C_SIZE,			/* uint64_t bytes; text: N[K|M|G] */
} ctype;

typedef struct ckey {
    const char *name;
    ctype type;
    size_t off;
    const char *dflt;		/* NULL: no default (unset) */
    uint64_t max;		/* for numbers: upper bound (0 = none) */
    const char *min;		/* for durations: lower bound (NULL = none) */
    uint64_t nmin;		/* for whole numbers: lower bound */
    const char *nmin_why;	/* ... and why, for the error */
} ckey;

#define STR(x) #x
#define XSTR(x) STR(x)		/* a numeric constant as a default's text */

#define K(name, type, dflt, max) {#name, type, offsetof(mtasts_config, name), dflt, max, NULL, 0, NULL}
/* durations: the key is "name", the field name_ms */
#define KMS(name, dflt) {#name, C_DURATION, offsetof(mtasts_config, name##_ms), dflt, 0, NULL, 0, NULL}
/* durations with a floor: 0 or a tiny value would switch the limit off */
#define KMSMIN(name, dflt, min) \
    {#name, C_DURATION, offsetof(mtasts_config, name##_ms), dflt, 0, min, 0, NULL}
/* whole numbers with a floor below which the daemon cannot work */
#define KNUM(name, type, dflt, nmin, max, why) \
    {#name, type, offsetof(mtasts_config, name), dflt, max, NULL, nmin, why}

static const ckey keys[] = {
    K(unbound_config, C_STR, NULL, 0),
    K(trust_anchor_file, C_LIST, NULL, 0),
    K(dnssec, C_BOOL, "yes", 0),
    K(root_anchor_file, C_STR, "/usr/share/dns/root.key", 0),
    KMSMIN(dns_timeout, "10s", "1s"),
    K(ca_file, C_STR, NULL, 0),
    K(ca_path, C_STR, NULL, 0),
    K(connect_to, C_LIST, NULL, 0),
    K(fetch_allow_address, C_LIST, NULL, 0),
    K(proxy, C_STR, NULL, 0),
    KMSMIN(fetch_timeout, "60s", "1s"),	/* 0: libcurl would never time out */
    KMSMIN(fetch_connect_timeout, "10s", "1s"),
    K(smtp_probe_port, C_INT, "25", 65535),
    K(socket, C_STR, "/run/mtasts/mtastsd.sock", 0),
    K(socket_mode, C_MODE, "0660", 07777),
    K(socket_group, C_STR, NULL, 0),
    K(state_dir, C_STR, "/var/lib/mtasts", 0),
    K(user, C_STR, NULL, 0),
    K(pid_file, C_STR, NULL, 0),
    K(max_clients, C_INT, "1024", 1000000),
    KNUM(max_request_size, C_INT, XSTR(PROTO_LINE_MAX), PROTO_REQUEST_MIN, PROTO_LINE_MAX,
	 "the longest query: a verb, then a domain and a host of 253 octets in base64"),
    KMS(client_idle_timeout, "60s"),
    K(log_debug, C_BOOL, "no", 0),
    KMS(answer_deadline, "5s"),
    KMS(first_contact_window, "10m"),
    KMS(txt_recheck_interval, "1h"),
    KMSMIN(fetch_backoff, "5m", "5m"),	/* RFC 8461 §3.3: at least five minutes */
    KMS(failure_recheck_interval, "1m"),
    K(store_max_size, C_SIZE, "1G", 0),
    K(dane_admits_unlisted_mx, C_BOOL, "no", 0),
    K(refresh_at_percent, C_UINT, "50", 100),
    KMS(refresh_max_interval, "1d"),
    KMS(refresh_min_interval, "5m"),
    KMS(min_cache_lifetime, "1h"),
    K(refresh_jitter_percent, C_UINT, "10", 100),
    K(refresh_concurrency, C_INT, "16", 10000),
    K(refresh_per_host, C_INT, "2", 10000),
    K(prefetch_file, C_STR, NULL, 0),
    K(tlsrpt, C_BOOL, "yes", 0),
    K(organization_name, C_STR, NULL, 0),
    K(contact_info, C_STR, NULL, 0),
    K(report_submitter, C_STR, NULL, 0),
    K(report_from, C_STR, NULL, 0),
    K(sendmail_command, C_STR, "/usr/sbin/sendmail -i -t", 0),
    K(report_hour, C_UINT, "1", 23),
    KMS(report_jitter, "1h"),
    KMS(report_retry, "24h"),
    KNUM(counters_retention_days, C_UINT, "14", 1, 3650,
	 "0 would prune yesterday's counts before its reports are built"),
    K(reports_retention_days, C_UINT, "30", 3650),
    KMS(tlsrpt_commit_interval, "1s"),
    K(dkim_key_file, C_STR, NULL, 0),
    K(dkim_selector, C_STR, NULL, 0),
    K(dkim_domain, C_STR, NULL, 0),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* field - the address of a key's field in cfg */
static void *field(mtasts_config *cfg, const ckey *k)
{
    return (char *) cfg + k->off;
}

/* find_key - the table entry for a key name */
static const ckey *find_key(const char *name)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
	if (strcmp(keys[i].name, name) == 0)
	    return &keys[i];
    return NULL;
}

/* parse_number - digits, then an optional unit from units[] with its multiplier */
static int parse_number(const char *v, const char *units, const uint64_t *mult,
			uint64_t *out)
{
    uint64_t n = 0, m = 1;
    const char *p = v;

    if (!isdigit((unsigned char) *p))
	return -1;
    while (isdigit((unsigned char) *p)) {
	if (n > (UINT64_MAX - 9) / 10)
	    return -1;
	n = n * 10 + (uint64_t) (*p++ - '0');
    }
    if (*p) {
	const char *u = units ? strchr(units, *p) : NULL;

	if (u == NULL || p[1] != 0)
	    return -1;
	m = mult[u - units];
    }
    if (m && n > UINT64_MAX / m)
	return -1;
    *out = n * m;
    return 0;
}

/*
 * below_min_allowed - tests may set a duration below its minimum (seconds-long
 * lifetimes) with CONFIG_TEST_ENV set; never silently: it is logged.
 */
static int below_min_allowed(const ckey *k, const char *v)
{
    const char *t = getenv(CONFIG_TEST_ENV);

    if (t == NULL || *t == 0)
	return 0;
    log_msg(LOG_WARNING, "%s = %s is below its minimum %s: allowed for tests only (%s is set)",
	    k->name, v, k->min, CONFIG_TEST_ENV);
    return 1;
}

/* set_value - store one value of key k */
static int set_value(mtasts_config *cfg, const ckey *k, const char *v, char *why, size_t whysz)
{
    static const uint64_t dur_mult[] = {1000, 60000, 3600000, 86400000};
    static const uint64_t size_mult[] = {1024, 1024 * 1024, 1024 * 1024 * 1024,
					 1024, 1024 * 1024, 1024 * 1024 * 1024};
    void *f = field(cfg, k);
    uint64_t n;
    char *end;

    switch (k->type) {
    case C_STR:
	free(*(char **) f);
	if ((*(char **) f = strdup(v)) == NULL)
	    return snprintf(why, whysz, "out of memory"), -1;
	return 0;
    case C_LIST: {
	config_list *l = f;

	if (l->n >= CONFIG_LIST_MAX)
	    return snprintf(why, whysz, "more than %d values", CONFIG_LIST_MAX), -1;
	if ((l->v[l->n] = strdup(v)) == NULL)
	    return snprintf(why, whysz, "out of memory"), -1;
	l->n++;
	return 0;
    }
    case C_BOOL:
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
	    *(int *) f = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
	    *(int *) f = 0;
	else
	    return snprintf(why, whysz, "'%s' is not yes or no", v), -1;
	return 0;
    case C_INT:
    case C_UINT:
	if (parse_number(v, NULL, NULL, &n) < 0 || n > INT_MAX || (k->max && n > k->max))
	    return snprintf(why, whysz, "'%s' is not a whole number from %llu to %llu", v,
			    (unsigned long long) k->nmin,
			    (unsigned long long) (k->max ? k->max : INT_MAX)), -1;
	if (n < k->nmin)
	    return snprintf(why, whysz, "'%s' is below the minimum of %llu (%s)", v,
			    (unsigned long long) k->nmin, k->nmin_why), -1;
	if (k->type == C_INT)
	    *(int *) f = (int) n;
	else
	    *(unsigned *) f = (unsigned) n;
	return 0;
    case C_MODE:
	errno = 0;
	n = strtoull(v, &end, 8);
	if (errno || end == v || *end || n > k->max || *v == '-')
	    return snprintf(why, whysz, "'%s' is not an octal mode such as 0660", v), -1;
	*(unsigned *) f = (unsigned) n;
	return 0;
    case C_DURATION:
	if (parse_number(v, "smhd", dur_mult, &n) < 0)
	    return snprintf(why, whysz, "'%s' is not a duration such as 30s, 10m, 2h or 1d", v), -1;
	if (strspn(v, "0123456789") == strlen(v))
	    n *= 1000;		/* a bare number is seconds */
	if (k->min) {
	    uint64_t min;

	    (void) parse_number(k->min, "smhd", dur_mult, &min);
	    if (n < min && !below_min_allowed(k, v))
		return snprintf(why, whysz, "'%s' is below the minimum of %s", v, k->min), -1;
	}
	*(uint64_t *) f = n;
	return 0;
    case C_SIZE:
	if (parse_number(v, "KMGkmg", size_mult, &n) < 0)
	    return snprintf(why, whysz, "'%s' is not a size such as 512M or 2G", v), -1;
	*(uint64_t *) f = n;
	return 0;
    }
    return -1;
}

/* config_defaults - every key at its documented default */
void config_defaults(mtasts_config *cfg)
{
    char why[128];
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < NKEYS; i++)
	if (keys[i].dflt)
	    (void) set_value(cfg, &keys[i], keys[i].dflt, why, sizeof(why));
}

/* config_set - set one key from its text form */
int config_set(mtasts_config *cfg, const char *key, const char *value, mt_err *err)
{
    const ckey *k = find_key(key);
    char why[256];

    if (k == NULL) {
	mt_err_set(err, 0, 0, NULL, "unknown key '%s'", key);
	return -1;
    }
    if (set_value(cfg, k, value, why, sizeof(why)) < 0) {
	mt_err_set(err, 0, 0, NULL, "%s: %s", key, why);
	return -1;
    }
    return 0;
}

/* config_check - what no single key can say */
int config_check(const mtasts_config *cfg, mt_err *err)
{
    if ((uint64_t) cfg->report_hour * 3600000 + cfg->report_jitter_ms >= 86400000) {
	mt_err_set(err, 0, 0, NULL, "report_hour = %u plus report_jitter = %llus reaches past "
		   "the end of the UTC day: lower one of them", cfg->report_hour,
		   (unsigned long long) (cfg->report_jitter_ms / 1000));
	return -1;
    }
    if (cfg->reports_retention_days < cfg->counters_retention_days) {
	mt_err_set(err, 0, 0, NULL, "reports_retention_days = %u is below "
		   "counters_retention_days = %u: a day whose report was pruned while its "
		   "counts remain would be sent again with the same report id; keep reports "
		   "at least as long as counts", cfg->reports_retention_days,
		   cfg->counters_retention_days);
	return -1;
    }
    return 0;
}

/* trim - strip leading and trailing white space in place */
static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char) *s))
	s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char) e[-1]))
	*--e = 0;
    return s;
}

/* config_load - read a file on top of cfg */
int config_load(mtasts_config *cfg, const char *path, mt_err *err)
{
    char line[CONFIG_LINE_MAX + 2];
    unsigned lineno = 0;
    FILE *fp;

    if ((fp = fopen(path, "r")) == NULL) {
	mt_err_set(err, 0, 0, NULL, "%s: cannot open: %s", path, strerror(errno));
	return -1;
    }
    while (fgets(line, sizeof(line), fp)) {
	char *eq, *key, *val, why[256];
	const ckey *k;

	lineno++;
	if (strlen(line) > CONFIG_LINE_MAX) {
	    mt_err_set(err, lineno, 0, NULL, "%s: line %u: longer than %d bytes",
		       path, lineno, CONFIG_LINE_MAX);
	    goto fail;
	}
	key = trim(line);
	if (*key == 0 || *key == '#')
	    continue;
	if ((eq = strchr(key, '=')) == NULL) {
	    mt_err_set(err, lineno, 0, NULL, "%s: line %u: expected 'key = value'", path, lineno);
	    goto fail;
	}
	*eq = 0;
	key = trim(key);
	val = trim(eq + 1);
	if ((k = find_key(key)) == NULL) {
	    mt_err_set(err, lineno, 0, NULL, "%s: line %u: unknown key '%s'", path, lineno, key);
	    goto fail;
	}
	if (set_value(cfg, k, val, why, sizeof(why)) < 0) {
	    mt_err_set(err, lineno, 0, NULL, "%s: line %u: %s: %s", path, lineno, key, why);
	    goto fail;
	}
    }
    if (ferror(fp)) {
	mt_err_set(err, lineno, 0, NULL, "%s: read error: %s", path, strerror(errno));
	goto fail;
    }
    fclose(fp);
    {
	mt_err why;

	if (config_check(cfg, &why) < 0) {
	    mt_err_set(err, 0, 0, NULL, "%s: %s", path, why.msg);
	    return -1;
	}
    }
    return 0;
fail:
    fclose(fp);
    return -1;
}

/* config_free - release strings and lists */
void config_free(mtasts_config *cfg)
{
    size_t i, j;

    for (i = 0; i < NKEYS; i++) {
	void *f = field(cfg, &keys[i]);

	if (keys[i].type == C_STR) {
	    free(*(char **) f);
	    *(char **) f = NULL;
	} else if (keys[i].type == C_LIST) {
	    config_list *l = f;

	    for (j = 0; j < l->n; j++)
		free(l->v[j]);
	    l->n = 0;
	}
    }
}

/* config_dump - the effective configuration, as a file would say it */
void config_dump(const mtasts_config *cfg, FILE *fp)
{
    size_t i, j;

    for (i = 0; i < NKEYS; i++) {
	const void *f = (const char *) cfg + keys[i].off;
	const char *n = keys[i].name;

	switch (keys[i].type) {
	case C_STR:
	    if (*(char *const *) f)
		fprintf(fp, "%s = %s\n", n, *(char *const *) f);
	    else
		fprintf(fp, "# %s is not set\n", n);
	    break;
	case C_LIST:
	    for (j = 0; j < ((const config_list *) f)->n; j++)
		fprintf(fp, "%s = %s\n", n, ((const config_list *) f)->v[j]);
	    break;
	case C_BOOL:
	    fprintf(fp, "%s = %s\n", n, *(const int *) f ? "yes" : "no");
	    break;
	case C_INT:
	    fprintf(fp, "%s = %d\n", n, *(const int *) f);
	    break;
	case C_UINT:
	    fprintf(fp, "%s = %u\n", n, *(const unsigned *) f);
	    break;
	case C_MODE:
	    fprintf(fp, "%s = %04o\n", n, *(const unsigned *) f);
	    break;
	case C_DURATION: {
	    uint64_t ms = *(const uint64_t *) f;

	    if (ms % 1000)
		fprintf(fp, "%s = %llu # milliseconds cannot be written; rounded\n", n,
			(unsigned long long) (ms / 1000));
	    else
		fprintf(fp, "%s = %llus\n", n, (unsigned long long) (ms / 1000));
	    break;
	}
	case C_SIZE:
	    fprintf(fp, "%s = %llu\n", n, (unsigned long long) *(const uint64_t *) f);
	    break;
	}
    }
}

/* scalar_size - the size of a key's field, 0 for strings and lists */
static size_t scalar_size(ctype t)
{
    switch (t) {
    case C_BOOL:
    case C_INT:
	return sizeof(int);
    case C_UINT:
    case C_MODE:
	return sizeof(unsigned);
    case C_DURATION:
    case C_SIZE:
	return sizeof(uint64_t);
    default:
	return 0;
    }
}

/* same_str - two optional strings are equal */
static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* same_value - key k has the same value in a and b */
static int same_value(const mtasts_config *a, const mtasts_config *b, const ckey *k)
{
    const char *fa = (const char *) a + k->off, *fb = (const char *) b + k->off;
    const config_list *la = (const void *) fa, *lb = (const void *) fb;
    size_t i;

    switch (k->type) {
    case C_STR:
	return same_str(*(char *const *) (const void *) fa, *(char *const *) (const void *) fb);
    case C_LIST:
	if (la->n != lb->n)
	    return 0;
	for (i = 0; i < la->n; i++)
	    if (!same_str(la->v[i], lb->v[i]))
		return 0;
	return 1;
    default:
	return memcmp(fa, fb, scalar_size(k->type)) == 0;
    }
}

/* config_diff - name every key whose value differs between a and b */
void config_diff(const mtasts_config *a, const mtasts_config *b,
		 void (*fn)(const char *key, void *arg), void *arg)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
	if (!same_value(a, b, &keys[i]))
	    fn(keys[i].name, arg);
}

/* config_copy_key - one number, boolean or duration of src into dst */
int config_copy_key(mtasts_config *dst, const mtasts_config *src, const char *key)
{
    const ckey *k = find_key(key);
    size_t n;

    if (k == NULL || (n = scalar_size(k->type)) == 0)
	return -1;
    memcpy(field(dst, k), (const char *) src + k->off, n);
    return 0;
}
