/*
 * NAME
 *	tlsrpt_build - from counts to a built report in the outbox, and the report verb's count
 * DESCRIPTION
 *	See tlsrpt_build.h.
 */
#include <stdlib.h>
#include <string.h>

#include "mt_err.h"
#include "policy.h"
#include "tlsrpt_record.h"

#include "config.h"
#include "tlsrpt_build.h"
#include "tlsrpt_counters.h"
#include "tlsrpt_report.h"
#include "tlsrpt_send.h"

/* tlsrpt_count_verb - count one "report" request */
int tlsrpt_count_verb(tlsrpt_counters *c, const tlsrpt_verb_args *a,
		      const tlsrpt_applied *policy, int64_t now)
{
    tlsrpt_result r;
    char *tlsa = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    r.when = now;
    r.domain = a->domain;
    r.result = a->result;
    r.sending_ip = a->sip[0] ? a->sip : NULL;
    r.receiving_mx = a->mx[0] ? a->mx : NULL;
    r.receiving_ip = a->ip[0] ? a->ip : NULL;
    r.helo = a->helo;
    r.reason = a->result == TLSRPT_SUCCESS ? NULL : a->reason;
    if (!a->policy_auto && a->policy == TLSRPT_POLICY_TLSA) {
	size_t i;

	r.policy_type = TLSRPT_POLICY_TLSA;
	/* records ";"-separated on the wire, one per line in policy-string */
	if (a->tlsa && (tlsa = strdup(a->tlsa)) != NULL)
	    for (i = 0; tlsa[i]; i++)
		if (tlsa[i] == ';')
		    tlsa[i] = '\n';
	r.policy_string = tlsa;
	r.mx_host = r.receiving_mx;
    } else if (!a->policy_auto && a->policy == TLSRPT_POLICY_NONE) {
	r.policy_type = TLSRPT_POLICY_NONE;
    } else if (policy && policy->mode != POLICY_MODE_NONE) {
	r.policy_type = TLSRPT_POLICY_STS;
	r.policy_string = policy->text;
	r.mx_host = policy->mx;
    } else
	r.policy_type = a->policy_auto ? TLSRPT_POLICY_NONE : TLSRPT_POLICY_STS;
    rc = tlsrpt_counters_add(c, &r, a->count);
    free(tlsa);
    return rc;
}

/* report_json - the JSON of a domain's day from the counts: 0, 1 none, -1 */
static int report_json(tlsrpt_counters *c, const mtasts_config *cfg, uint32_t day,
		       const char *domain, char **json, char *id, size_t idsz, mt_err *err)
{
    tlsrpt_data d;
    tlsrpt_report_meta m;
    int rc;

    if (cfg->organization_name == NULL || cfg->report_submitter == NULL) {
	mt_err_set(err, 0, 0, "RFC 8460 §4.4", "organization_name and report_submitter must "
		   "be set to build reports");
	return -1;
    }
    if (tlsrpt_counters_commit(c, err) < 0)
	return -1;
    if ((rc = tlsrpt_counters_read(c, day, domain, &d, err)) != 0)
	return rc;
    if (tlsrpt_report_id(day, domain, cfg->report_submitter, id, idsz) < 0) {
	tlsrpt_data_free(&d);
	mt_err_set(err, 0, 0, NULL, "report id for %s: too long", domain);
	return -1;
    }
    m.organization_name = cfg->organization_name;
    m.contact_info = cfg->contact_info ? cfg->contact_info : cfg->report_from;
    m.report_id = id;
    *json = tlsrpt_report_json(&d, &m, err);
    tlsrpt_data_free(&d);
    return *json ? 0 : -1;
}

/* tlsrpt_show - the report as sent, or as it would be built now */
int tlsrpt_show(tlsrpt_counters *c, tlsrpt_sender *s, const mtasts_config *cfg, uint32_t day,
		const char *domain, char **json, int *built, mt_err *err)
{
    tlsrpt_outbox_entry e;
    char id[TLSRPT_REPORT_ID_MAX];
    int rc;

    *json = NULL;
    *built = 0;
    if ((rc = tlsrpt_outbox_get(s, day, domain, &e, err)) < 0)
	return -1;
    if (rc == 1) {
	*json = e.json;
	e.json = NULL;
	*built = 1;
	tlsrpt_outbox_entry_free(&e);
	return 0;
    }
    return report_json(c, cfg, day, domain, json, id, sizeof(id), err);
}

/* same_destination - two rua URIs that reach the same place: the same
 * text, or mailto: URIs of the same address (domain and local part
 * compared without case: one mailbox in practice) */
static int same_destination(const char *a, const char *b)
{
    char x[TLSRPT_ADDR_MAX], y[TLSRPT_ADDR_MAX];

    if (strcmp(a, b) == 0)
	return 1;
    return tlsrpt_mailto_address(a, x, sizeof(x)) == 0
	&& tlsrpt_mailto_address(b, y, sizeof(y)) == 0 && strcasecmp(x, y) == 0;
}

/* tlsrpt_build - build one domain's report of a day into the outbox */
int tlsrpt_build(tlsrpt_counters *c, tlsrpt_sender *s, const mtasts_config *cfg, uint32_t day,
		 const char *domain, const tlsrpt_record *rec, int64_t now, mt_err *err)
{
    tlsrpt_outbox_entry e, old;
    char id[TLSRPT_REPORT_ID_MAX], *json = NULL;
    size_t i, k;
    int rc;

    if ((rc = tlsrpt_outbox_get(s, day, domain, &old, err)) < 0)
	return -1;
    if (rc == 1) {
	tlsrpt_outbox_entry_free(&old);
	return 2;
    }
    if ((rc = report_json(c, cfg, day, domain, &json, id, sizeof(id), err)) != 0)
	return rc;
    memset(&e, 0, sizeof(e));
    e.day = day;
    e.domain = (char *) domain;
    e.report_id = id;
    e.json = json;
    e.created = now;
    for (i = 0; i < rec->n_rua && e.n_rua < TLSRPT_MAX_RUA; i++) {
	if (strncasecmp(rec->rua[i], "mailto:", 7) != 0
	    && strncasecmp(rec->rua[i], "https:", 6) != 0)
	    continue;
	for (k = 0; k < e.n_rua && !same_destination(e.rua[k].uri, rec->rua[i]); k++)
	    ;
	if (k < e.n_rua)
	    continue;		/* listed twice: one delivery */
	e.rua[e.n_rua].uri = rec->rua[i];
	e.rua[e.n_rua].next = now;
	e.n_rua++;
    }
    rc = tlsrpt_outbox_add(s, &e, err);
    free(json);
    return rc < 0 ? -1 : rc == 1 ? 2 : 0;
}
