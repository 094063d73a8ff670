/*
 * NAME
 *	cache_import - fill the policy store from a file, offline
 * DESCRIPTION
 *	See cache_import.h. Lines are read with getline(), parsed with
 *	jansson, checked with the project's own parsers (the same a fetch
 *	goes through), and collected into a batch that goes to the store in
 *	one transaction.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "sts_record.h"

#include "cache_import.h"
#include "config.h"
#include "refresh.h"
#include "store.h"

typedef struct batch {
    size_t n;
    char (*domain)[DOMAIN_BUF];
    store_rec *rec;
    const char **domains;		/* store_put_many()'s arguments */
    const store_rec **recs;
} batch;

/* id_valid - RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT) */
static int id_valid(const char *id)
{
    size_t n = strlen(id), i;

    if (n == 0 || n > STS_ID_MAX)
	return 0;
    for (i = 0; i < n; i++)
	if (!isalnum((unsigned char) id[i]))
	    return 0;
    return 1;
}

/* drop - empty the batch without writing it */
static void drop(batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++)
	store_rec_free(&b->rec[i]);
    b->n = 0;
}

/* flush - write the batch in one transaction and empty it */
static int flush(store *st, batch *b, mt_err *err)
{
    size_t i;
    int rc;

    for (i = 0; i < b->n; i++) {
	b->domains[i] = b->domain[i];
	b->recs[i] = &b->rec[i];
    }
    rc = b->n ? store_put_many(st, b->domains, b->recs, b->n, err) : 0;
    drop(b);
    return rc;
}

/* one_line - check one JSON object and add its record to the batch; -1 with why */
static int one_line(const mtasts_config *cfg, const char *line, size_t len, int64_t now,
		    batch *b, int *expired, char *why, size_t whysz)
{
    json_error_t jerr;
    json_t *o, *jd, *ji, *jp, *jf;
    const char *text;
    store_rec *r = &b->rec[b->n];
    policy pol = {0};
    int64_t fetched, life;
    mt_err err;
    char es[300];

    if ((o = json_loadb(line, len, 0, &jerr)) == NULL) {
	snprintf(why, whysz, "not JSON: %s", jerr.text);
	return -1;
    }
    jd = json_object_get(o, "domain");
    ji = json_object_get(o, "id");
    jp = json_object_get(o, "policy");
    jf = json_object_get(o, "fetched");
    if (!json_is_object(o) || !json_is_string(jd) || !json_is_string(ji) || !json_is_string(jp)
	|| (jf && !json_is_integer(jf))) {
	snprintf(why, whysz, "want an object with strings domain, id, policy"
		 " and an optional integer fetched");
	goto bad;
    }
    if (domain_normalise(json_string_value(jd), json_string_length(jd), b->domain[b->n],
			 DOMAIN_BUF, &err) < 0) {
	snprintf(why, whysz, "domain: %s", mt_err_str(&err, es, sizeof(es)));
	goto bad;
    }
    if (!id_valid(json_string_value(ji))) {
	snprintf(why, whysz, "id: 1 to 32 letters or digits (RFC 8461 §3.1)");
	goto bad;
    }
    text = json_string_value(jp);
    if (policy_parse(text, json_string_length(jp), &pol, &err) < 0) {
	snprintf(why, whysz, "policy: %s", mt_err_str(&err, es, sizeof(es)));
	goto bad;
    }
    fetched = jf ? (int64_t) json_integer_value(jf) : now;
    if (fetched <= 0 || fetched > now + 60) {
	snprintf(why, whysz, "fetched: not a time in the past");
	policy_free(&pol);
	goto bad;
    }
    store_rec_init(r);
    r->has_policy = 1;
    r->mode = pol.mode;
    snprintf(r->id, sizeof(r->id), "%s", json_string_value(ji));
    r->max_age = pol.max_age;
    r->fetched = fetched;
    /* as policy_cache does: the named minimum lifetime */
    life = (int64_t) pol.max_age;
    if (life < (int64_t) (cfg->min_cache_lifetime_ms / 1000))
	life = (int64_t) (cfg->min_cache_lifetime_ms / 1000);
    r->expires = fetched + life;
    r->refresh_due = r->expires > now ? refresh_due_time(cfg, b->domain[b->n], fetched, r->expires)
	: now;
    r->first_contact = fetched;
    if (store_rec_set_mx(r, pol.mx, pol.n_mx) < 0
	|| store_rec_set_text(r, text, json_string_length(jp)) < 0) {
	snprintf(why, whysz, "out of memory");
	store_rec_free(r);
	policy_free(&pol);
	goto bad;
    }
    *expired = r->expires <= now;
    policy_free(&pol);
    json_decref(o);
    b->n++;
    return 0;
bad:
    json_decref(o);
    return -1;
}

/* cache_import - every line of in into the store */
int cache_import(store *st, const mtasts_config *cfg, FILE *in, const char *name, int64_t now,
		 cache_import_stats *stats, mt_err *err)
{
    batch b = {0};
    char *line = NULL, why[512];
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int rc = 0;

    memset(stats, 0, sizeof(*stats));
    b.domain = calloc(CACHE_IMPORT_BATCH, sizeof(*b.domain));
    b.rec = calloc(CACHE_IMPORT_BATCH, sizeof(*b.rec));
    b.domains = calloc(CACHE_IMPORT_BATCH, sizeof(*b.domains));
    b.recs = calloc(CACHE_IMPORT_BATCH, sizeof(*b.recs));
    if (!b.domain || !b.rec || !b.domains || !b.recs) {
	mt_err_set(err, 0, 0, NULL, "import: out of memory");
	rc = -1;
	goto done;
    }
    while ((len = getline(&line, &cap, in)) >= 0) {
	size_t l = (size_t) len;
	int expired = 0;

	lineno++;
	while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
	    l--;
	if (l == 0 || line[0] == '#')
	    continue;
	stats->lines++;
	if (l > CACHE_IMPORT_LINE_MAX) {
	    fprintf(stderr, "%s:%lu: line too long\n", name, lineno);
	    stats->bad++;
	    continue;
	}
	if (one_line(cfg, line, l, now, &b, &expired, why, sizeof(why)) < 0) {
	    fprintf(stderr, "%s:%lu: %s\n", name, lineno, why);
	    stats->bad++;
	    continue;
	}
	stats->imported++;
	stats->expired += (uint64_t) expired;
	if (b.n == CACHE_IMPORT_BATCH) {
	    size_t pending = b.n;

	    if (flush(st, &b, err) < 0) {
		stats->imported -= pending;
		rc = -1;
		goto done;
	    }
	}
    }
    if (ferror(in)) {
	mt_err_set(err, 0, 0, NULL, "import: reading %s failed", name);
	stats->imported -= b.n;
	rc = -1;
	goto done;
    }
    {
	size_t pending = b.n;

	if (flush(st, &b, err) < 0) {
	    stats->imported -= pending;
	    rc = -1;
	}
    }
done:
    if (b.rec)
	drop(&b);
    free(line);
    free(b.domain);
    free(b.rec);
    free(b.domains);
    free(b.recs);
    return rc;
}
