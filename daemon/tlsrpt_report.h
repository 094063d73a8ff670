/*
 * NAME
 *	tlsrpt_report - the RFC 8460 aggregate report: JSON (§4.4) and gzip (§5.2)
 * SUMMARY
 *	one policy domain, one UTC day: counts in, report text out
 * SYNOPSIS
 *	#include "tlsrpt_report.h"
 *
 *	char *tlsrpt_report_json(const tlsrpt_data *d,
 *	                         const tlsrpt_report_meta *m, mt_err *err);
 *	int  tlsrpt_report_id(uint32_t day, const char *domain,
 *	                      const char *submitter, char *out, size_t outsz);
 *	int  tlsrpt_report_filename(const char *submitter, const char *domain,
 *	                            uint32_t day, const char *report_id,
 *	                            char *out, size_t outsz);
 *	int  tlsrpt_gzip(const void *data, size_t len, buf *out, mt_err *err);
 *	int  tlsrpt_gunzip(const void *data, size_t len, buf *out, mt_err *err);
 *	void tlsrpt_data_free(tlsrpt_data *d);
 * DESCRIPTION
 *	tlsrpt_data holds what was counted for one policy domain on one UTC
 *	day (tlsrpt_counters_read() fills it): one entry per applied policy
 *	with its success count and its failure details.
 *
 *	tlsrpt_report_json() builds the report of RFC 8460 §4.4 with
 *	jansson, keys in the RFC's order: organization-name, date-range
 *	{start-datetime, end-datetime} (RFC 3339, UTC, the whole day,
 *	§4.1), contact-info, report-id, policies[] of {policy{policy-type,
 *	policy-string[], policy-domain, mx-host[]}, summary{
 *	total-successful-session-count, total-failure-session-count},
 *	failure-details[]{result-type, sending-mta-ip,
 *	receiving-mx-hostname, receiving-mx-helo, receiving-ip,
 *	failed-session-count, failure-reason-code}}. Optional fields that
 *	were not observed are left out rather than sent empty; policy-string
 *	and mx-host are left out for no-policy-found. Returns the compact
 *	JSON text (malloc'ed, the caller frees it), or NULL with err.
 *
 *	tlsrpt_report_id() gives the report id "<local>@<submitter>" of a
 *	domain's day, where local is the day (YYYYMMDD) and 16 hex digits
 *	of a SHA-256 of day, domain and submitter: unique (§4.4: we build
 *	one report per submitter, domain and day), stable (a resent report,
 *	and `mtasts report show` before it is built, carry the same id), of
 *	the msg-id form the Subject wants (§5.3), and its local part is the
 *	unique-id of the file name (letters and digits, §5.1).
 *	tlsrpt_report_filename() writes the §5.1 name
 *	"<submitter>!<policy-domain>!<begin>!<end>!<unique-id>.json.gz".
 *	Both return 0, or -1 when out is too small.
 *
 *	tlsrpt_gzip() compresses with zlib into the gzip format (RFC 1952)
 *	that application/tlsrpt+gzip names (§5.2); tlsrpt_gunzip() undoes
 *	it (tests, and `mtasts report show` of a stored report). Both append
 *	to out and return 0, or -1 with err.
 */
#ifndef TLSRPT_REPORT_H
#define TLSRPT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mt_err.h"

#include "tlsrpt_types.h"

#define TLSRPT_REPORT_ID_MAX 320	/* 8 + 16 + "@" + a domain name */
#define TLSRPT_FILENAME_MAX 640

/* One row of failure-details (RFC 8460 §4.4); NULL strings: not observed */
typedef struct tlsrpt_failure {
    tlsrpt_result_type result;
    char *sending_ip;
    char *mx_host;
    char *helo;
    char *receiving_ip;
    char *reason;		/* failure-reason-code */
    uint64_t count;
} tlsrpt_failure;

/* One applied policy and what happened under it */
typedef struct tlsrpt_policy_counts {
    tlsrpt_policy_type type;
    char *policy_string;	/* lines separated by "\n", or NULL */
    char *mx_host;		/* MX patterns separated by "\n", or NULL */
    uint64_t success;
    uint64_t failure;		/* sum of the failure counts */
    size_t n_fail;
    tlsrpt_failure *fail;
} tlsrpt_policy_counts;

/* What was counted for one policy domain on one UTC day */
typedef struct tlsrpt_data {
    uint32_t day;
    char *domain;
    size_t n_policies;
    tlsrpt_policy_counts *policies;
} tlsrpt_data;

/* What the report says about its sender */
typedef struct tlsrpt_report_meta {
    const char *organization_name;
    const char *contact_info;
    const char *report_id;
} tlsrpt_report_meta;

char *tlsrpt_report_json(const tlsrpt_data *d, const tlsrpt_report_meta *m, mt_err *err);
int tlsrpt_report_id(uint32_t day, const char *domain, const char *submitter, char *out,
		     size_t outsz);
int tlsrpt_report_filename(const char *submitter, const char *domain, uint32_t day,
			   const char *report_id, char *out, size_t outsz);
int tlsrpt_gzip(const void *data, size_t len, buf *out, mt_err *err);
int tlsrpt_gunzip(const void *data, size_t len, buf *out, mt_err *err);
void tlsrpt_data_free(tlsrpt_data *d);

#endif
