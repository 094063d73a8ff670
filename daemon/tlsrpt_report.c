/*
 * NAME
 *	tlsrpt_report - the RFC 8460 aggregate report: JSON (§4.4) and gzip (§5.2)
 * DESCRIPTION
 *	See tlsrpt_report.h. The field names below are RFC 8460 §4.4's,
 *	letter by letter; tests/tlsrpt_schema.py checks every report the
 *	tests build against the same list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "buf.h"
#include "mt_err.h"

#include "tlsrpt_report.h"

#define TLSRPT_GZIP_MAX (64u << 20)	/* our limit on an inflated report */

/* set_str - add key: string when s is set and not empty */
static int set_str(json_t *obj, const char *key, const char *s)
{
    if (s == NULL || *s == 0)
	return 0;
    return json_object_set_new(obj, key, json_string(s));
}

/* lines_array - a JSON array of the "\n"-separated lines of s */
static json_t *lines_array(const char *s)
{
    json_t *a = json_array();
    const char *p = s, *nl;

    if (a == NULL)
	return NULL;
    while (*p) {
	nl = strchr(p, '\n');
	size_t n = nl ? (size_t) (nl - p) : strlen(p);

	/* a policy file may end its lines with CRLF (RFC 8461 §3.2) */
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
	    n--;
	if (n > 0 && json_array_append_new(a, json_stringn(p, n)) < 0) {
	    json_decref(a);
	    return NULL;
	}
	p = nl ? nl + 1 : p + strlen(p);
    }
    return a;
}

/* day_datetime - RFC 3339 UTC date-time of a day's first or last second */
static void day_datetime(uint32_t day, int last, char out[32])
{
    time_t t = (time_t) day * TLSRPT_DAY_SECONDS + (last ? TLSRPT_DAY_SECONDS - 1 : 0);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* failure_json - one failure-details entry */
static json_t *failure_json(const tlsrpt_failure *f)
{
    json_t *o = json_object();

    if (o == NULL)
	return NULL;
    if (json_object_set_new(o, "result-type", json_string(tlsrpt_result_name(f->result))) < 0
	|| set_str(o, "sending-mta-ip", f->sending_ip) < 0
	|| set_str(o, "receiving-mx-hostname", f->mx_host) < 0
	|| set_str(o, "receiving-mx-helo", f->helo) < 0
	|| set_str(o, "receiving-ip", f->receiving_ip) < 0
	|| json_object_set_new(o, "failed-session-count", json_integer((json_int_t) f->count)) < 0
	|| set_str(o, "failure-reason-code", f->reason) < 0) {
	json_decref(o);
	return NULL;
    }
    return o;
}

/* policy_json - one policies[] entry: policy, summary, failure-details */
static json_t *policy_json(const tlsrpt_data *d, const tlsrpt_policy_counts *p)
{
    json_t *o = json_object(), *pol = json_object(), *sum = json_object();
    json_t *details = json_array();
    size_t i;

    if (o == NULL || pol == NULL || sum == NULL || details == NULL)
	goto fail;
    if (json_object_set_new(pol, "policy-type", json_string(tlsrpt_policy_name(p->type))) < 0)
	goto fail;
    if (p->type != TLSRPT_POLICY_NONE && p->policy_string && *p->policy_string)
	if (json_object_set_new(pol, "policy-string", lines_array(p->policy_string)) < 0)
	    goto fail;
    if (json_object_set_new(pol, "policy-domain", json_string(d->domain)) < 0)
	goto fail;
    if (p->type != TLSRPT_POLICY_NONE && p->mx_host && *p->mx_host)
	if (json_object_set_new(pol, "mx-host", lines_array(p->mx_host)) < 0)
	    goto fail;
    if (json_object_set_new(sum, "total-successful-session-count",
			    json_integer((json_int_t) p->success)) < 0
	|| json_object_set_new(sum, "total-failure-session-count",
			       json_integer((json_int_t) p->failure)) < 0)
	goto fail;
    for (i = 0; i < p->n_fail; i++)
	if (json_array_append_new(details, failure_json(&p->fail[i])) < 0)
	    goto fail;
    if (json_object_set_new(o, "policy", pol) < 0) {
	pol = NULL;
	goto fail;
    }
    pol = NULL;
    if (json_object_set_new(o, "summary", sum) < 0) {
	sum = NULL;
	goto fail;
    }
    sum = NULL;
    if (p->n_fail > 0) {
	if (json_object_set_new(o, "failure-details", details) < 0) {
	    details = NULL;
	    goto fail;
	}
    } else
	json_decref(details);
    return o;
  fail:
    json_decref(o);
    json_decref(pol);
    json_decref(sum);
    json_decref(details);
    return NULL;
}

/* tlsrpt_report_json - the RFC 8460 §4.4 report as compact JSON text */
char *tlsrpt_report_json(const tlsrpt_data *d, const tlsrpt_report_meta *m, mt_err *err)
{
    json_t *root = json_object(), *range = json_object(), *pols = json_array();
    char start[32], end[32];
    char *text = NULL;
    size_t i;

    if (root == NULL || range == NULL || pols == NULL)
	goto oom;
    day_datetime(d->day, 0, start);
    day_datetime(d->day, 1, end);
    if (json_object_set_new(range, "start-datetime", json_string(start)) < 0
	|| json_object_set_new(range, "end-datetime", json_string(end)) < 0)
	goto oom;
    for (i = 0; i < d->n_policies; i++)
	if (json_array_append_new(pols, policy_json(d, &d->policies[i])) < 0)
	    goto oom;
    /* organization-name and report-id are required; json_string(NULL) fails */
    if (json_object_set_new(root, "organization-name",
			    json_string(m->organization_name ? m->organization_name : "")) < 0)
	goto oom;
    if (json_object_set_new(root, "date-range", range) < 0) {
	range = NULL;
	goto oom;
    }
    range = NULL;
    if (json_object_set_new(root, "contact-info",
			    json_string(m->contact_info ? m->contact_info : "")) < 0
	|| json_object_set_new(root, "report-id", json_string(m->report_id)) < 0)
	goto oom;
    if (json_object_set_new(root, "policies", pols) < 0) {
	pols = NULL;
	goto oom;
    }
    pols = NULL;
    text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (text == NULL)
	goto oom;
    json_decref(root);
    return text;
  oom:
    mt_err_set(err, 0, 0, NULL, "report for %s: cannot build the JSON (a value is not UTF-8, "
	       "or out of memory)", d->domain);
    json_decref(root);
    json_decref(range);
    json_decref(pols);
    return NULL;
}

/* tlsrpt_report_id - the report id of a domain's day: "YYYYMMDD<hex16>@submitter" */
int tlsrpt_report_id(uint32_t day, const char *domain, const char *submitter, char *out,
		     size_t outsz)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    char date[TLSRPT_DAY_BUF], ymd[9];
    buf in = {0};
    size_t i;
    int n;

    /* one report per submitter, domain and day: the id names exactly that */
    if (buf_printf(&in, "%u", (unsigned) day) < 0 || buf_append(&in, "", 1) < 0
	|| buf_append(&in, domain, strlen(domain) + 1) < 0 || buf_puts(&in, submitter) < 0) {
	buf_free(&in);
	return -1;
    }
    SHA256((const unsigned char *) in.data, in.len, md);
    buf_free(&in);
    tlsrpt_day_format(day, date);
    for (i = 0, n = 0; date[i] && n < 8; i++)
	if (date[i] != '-')
	    ymd[n++] = date[i];
    ymd[n] = 0;
    n = snprintf(out, outsz, "%s%02x%02x%02x%02x%02x%02x%02x%02x@%s", ymd,
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], submitter);
    return n < 0 || (size_t) n >= outsz ? -1 : 0;
}

/* tlsrpt_report_filename - the RFC 8460 §5.1 file name of a gzipped report */
int tlsrpt_report_filename(const char *submitter, const char *domain, uint32_t day,
			   const char *report_id, char *out, size_t outsz)
{
    int64_t begin = (int64_t) day * TLSRPT_DAY_SECONDS;
    const char *at = strchr(report_id, '@');
    int idlen = at ? (int) (at - report_id) : (int) strlen(report_id);
    int n;

    n = snprintf(out, outsz, "%s!%s!%lld!%lld!%.*s.json.gz", submitter, domain,
		 (long long) begin, (long long) (begin + TLSRPT_DAY_SECONDS - 1), idlen, report_id);
    return n < 0 || (size_t) n >= outsz ? -1 : 0;
}

/* tlsrpt_gzip - compress into the gzip format (RFC 8460 §5.2) */
int tlsrpt_gzip(const void *data, size_t len, buf *out, mt_err *err)
{
    z_stream z;
    int rc;

    memset(&z, 0, sizeof(z));
    /* windowBits 15 + 16: a gzip header and trailer rather than zlib's */
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
	mt_err_set(err, 0, 0, NULL, "gzip: cannot initialise zlib");
	return -1;
    }
    z.next_in = (Bytef *) data;
    z.avail_in = (uInt) len;
    do {
	if (buf_reserve(out, 16384) < 0) {
	    deflateEnd(&z);
	    mt_err_set(err, 0, 0, NULL, "gzip: out of memory");
	    return -1;
	}
	z.next_out = (Bytef *) out->data + out->len;
	z.avail_out = (uInt) (out->cap - out->len - 1);
	rc = deflate(&z, Z_FINISH);
	out->len = (size_t) ((char *) z.next_out - out->data);
	out->data[out->len] = 0;
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
	mt_err_set(err, 0, 0, NULL, "gzip: deflate failed (%d)", rc);
	return -1;
    }
    return 0;
}

/* tlsrpt_gunzip - inflate a gzip stream */
int tlsrpt_gunzip(const void *data, size_t len, buf *out, mt_err *err)
{
    z_stream z;
    int rc;
    size_t start = out->len;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
	mt_err_set(err, 0, 0, NULL, "gunzip: cannot initialise zlib");
	return -1;
    }
    z.next_in = (Bytef *) data;
    z.avail_in = (uInt) len;
    do {
	if (out->len - start > TLSRPT_GZIP_MAX || buf_reserve(out, 16384) < 0) {
	    inflateEnd(&z);
	    mt_err_set(err, 0, 0, NULL, "gunzip: too big");
	    return -1;
	}
	z.next_out = (Bytef *) out->data + out->len;
	z.avail_out = (uInt) (out->cap - out->len - 1);
	rc = inflate(&z, Z_NO_FLUSH);
	out->len = (size_t) ((char *) z.next_out - out->data);
	out->data[out->len] = 0;
    } while (rc == Z_OK);
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
	mt_err_set(err, 0, 0, NULL, "gunzip: not a complete gzip stream (%d)", rc);
	return -1;
    }
    return 0;
}

/* tlsrpt_data_free - release what a tlsrpt_data holds */
void tlsrpt_data_free(tlsrpt_data *d)
{
    size_t i, j;

    if (d == NULL)
	return;
    for (i = 0; i < d->n_policies; i++) {
	tlsrpt_policy_counts *p = &d->policies[i];

	for (j = 0; j < p->n_fail; j++) {
	    free(p->fail[j].sending_ip);
	    free(p->fail[j].mx_host);
	    free(p->fail[j].helo);
	    free(p->fail[j].receiving_ip);
	    free(p->fail[j].reason);
	}
	free(p->fail);
	free(p->policy_string);
	free(p->mx_host);
    }
    free(d->policies);
    free(d->domain);
    memset(d, 0, sizeof(*d));
}
