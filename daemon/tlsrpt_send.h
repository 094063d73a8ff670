/*
 * NAME
 *	tlsrpt_send - the report outbox and its deliveries: https: POST and mailto:
 * SUMMARY
 *	built reports kept in LMDB with per-destination retry state, sent from the loop
 * SYNOPSIS
 *	#include "tlsrpt_send.h"
 *
 *	tlsrpt_sender *tlsrpt_sender_new(evloop *loop, const mtasts_config *cfg,
 *	                                 MDB_env *env, discovery *disc, mt_err *err);
 *	void tlsrpt_sender_free(tlsrpt_sender *s);
 *	int  tlsrpt_outbox_add(tlsrpt_sender *s, const tlsrpt_outbox_entry *e,
 *	                       mt_err *err);
 *	int  tlsrpt_outbox_get(tlsrpt_sender *s, uint32_t day, const char *domain,
 *	                       tlsrpt_outbox_entry *out, mt_err *err);
 *	int  tlsrpt_outbox_has(tlsrpt_sender *s, uint32_t day, const char *domain,
 *	                       mt_err *err);
 *	int  tlsrpt_outbox_list(tlsrpt_sender *s, uint32_t day,
 *	                        tlsrpt_outbox_cb cb, void *arg, mt_err *err);
 *	void tlsrpt_outbox_entry_free(tlsrpt_outbox_entry *e);
 *	int  tlsrpt_sender_run(tlsrpt_sender *s, int64_t now, uint32_t force_day,
 *	                       tlsrpt_run_cb done, void *arg);
 *	int  tlsrpt_sender_busy(const tlsrpt_sender *s);
 *	unsigned tlsrpt_sender_active(const tlsrpt_sender *s);
 *	unsigned tlsrpt_sender_scanned(const tlsrpt_sender *s);
 *	int  tlsrpt_outbox_prune(tlsrpt_sender *s, uint32_t first_kept_day,
 *	                         mt_err *err);
 * DESCRIPTION
 *	The outbox (named database "tlsrpt_outbox", key: day and policy
 *	domain) holds each built report: its id, its JSON text exactly as
 *	sent, and one delivery per rua URI with its state (pending, sent,
 *	failed), attempts, next attempt time and last error. A report is
 *	built once: retries send the same text with the same id (RFC 8460
 *	§4.4 report-id); a delivery marked sent is never sent again.
 *
 *	tlsrpt_outbox_add() stores a new entry; 0, 1 when (day, domain)
 *	already has one (it is left alone), -1 with err.
 *	tlsrpt_outbox_get() reads one: 1 found, 0 not, -1 with err.
 *	tlsrpt_outbox_has() says the same without reading the entry.
 *	tlsrpt_outbox_list() calls cb for each entry of day (every day when
 *	day is 0).
 *
 *	tlsrpt_sender_run() starts every delivery that is due at now and
 *	not already under way, and returns the number started: at most
 *	TLSRPT_SEND_PARALLEL run at once (sendmail children and POSTs
 *	together), the others wait in a queue, in outbox order, and start
 *	as places free up. Pending
 *	deliveries of force_day (a day number; 0 for none) are due now
 *	whatever their retry time: `mtasts report send` means now. Each runs on
 *	the loop: https: (RFC 8460 §5.2) by the daemon's own machinery: the
 *	URI's host resolved through disc (libunbound, DNSSEC-aware, with the
 *	address filter of policy fetches; connect_to routes it as it routes
 *	policy hosts), then fetch_post() on disc's libcurl client with those
 *	addresses (CURLOPT_RESOLVE): POST, "Content-Type:
 *	application/tlsrpt+gzip", TLS 1.2 or later verified against ca_file
 *	or the system's roots, no redirects, 2xx is success; mailto: by the RFC 8460 §5.3 message (tlsrpt_mail.c, DKIM-
 *	signed when dkim_key_file is set) written to sendmail_command
 *	(split on spaces, no shell, "-f report_from" appended) in a child
 *	process whose exit the loop watches (status 0 is success). The loop
 *	never blocks on either. A failed delivery is retried with back-off
 *	(TLSRPT_RETRY_FIRST doubling up to TLSRPT_RETRY_MAX) until
 *	report_retry (24 h, §5.4) after the report was built, then marked
 *	failed with a log line. When every delivery this run started has
 *	ended, done(arg, sent, failed) is called (from the loop).
 *	tlsrpt_sender_busy() says whether deliveries are under way or
 *	queued; tlsrpt_sender_active() how many are under way.
 *
 *	A run finds due deliveries through an index (named database
 *	"tlsrpt_outbox_due": each entry with a pending delivery, by its
 *	earliest next attempt time), kept in the same transaction as the
 *	entry; sent and failed entries are not in it, so the check every
 *	minute reads nothing when nothing is due. An outbox written before
 *	the index is indexed once, when the sender opens it.
 *	tlsrpt_sender_scanned() is the number of entries the last run read.
 *
 *	tlsrpt_sender_free() abandons deliveries under way (they stay
 *	pending); call it with the loop stopped and before discovery_free().
 *
 *	tlsrpt_outbox_prune() deletes entries of days before first_kept_day
 *	(reports_retention_days) that have nothing left to send.
 *
 *	Reports about reports: there are none. The sender counts nothing;
 *	the shipped Exim configuration recognises report messages
 *	("TLS-Required: No", envelope sender report_from) and neither
 *	enforces a policy on them nor reports their sessions (§5.3).
 */
#ifndef TLSRPT_SEND_H
#define TLSRPT_SEND_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "mt_err.h"

#include "config.h"
#include "discovery.h"
#include "evloop.h"
#include "tlsrpt_record.h"

#define TLSRPT_RETRY_FIRST 300	/* seconds before the first retry */
#define TLSRPT_RETRY_MAX 7200	/* longest wait between tries */
#define TLSRPT_SEND_TIMEOUT_MS 120000	/* one delivery: POST or sendmail */
#define TLSRPT_SEND_PARALLEL 8	/* our limit on deliveries under way at once */

typedef enum tlsrpt_delivery_state {
    TLSRPT_PENDING = 0,
    TLSRPT_SENT,
    TLSRPT_FAILED,
} tlsrpt_delivery_state;

typedef struct tlsrpt_delivery {
    char *uri;
    tlsrpt_delivery_state state;
    unsigned attempts;
    int64_t next;		/* Unix time of the next try */
    int64_t done;		/* when sent or given up */
    char *last_error;
} tlsrpt_delivery;

typedef struct tlsrpt_outbox_entry {
    uint32_t day;
    char *domain;
    char *report_id;
    char *json;			/* the report text, exactly as sent */
    int64_t created;
    size_t n_rua;
    tlsrpt_delivery rua[TLSRPT_MAX_RUA];	/* tlsrpt_record.h's limit */
} tlsrpt_outbox_entry;

typedef struct tlsrpt_sender tlsrpt_sender;
typedef int (*tlsrpt_outbox_cb)(const tlsrpt_outbox_entry *e, void *arg);
typedef void (*tlsrpt_run_cb)(void *arg, unsigned sent, unsigned failed);

tlsrpt_sender *tlsrpt_sender_new(evloop *loop, const mtasts_config *cfg, MDB_env *env,
				 discovery *disc, mt_err *err);
void tlsrpt_sender_free(tlsrpt_sender *s);
int tlsrpt_outbox_add(tlsrpt_sender *s, const tlsrpt_outbox_entry *e, mt_err *err);
int tlsrpt_outbox_get(tlsrpt_sender *s, uint32_t day, const char *domain,
		      tlsrpt_outbox_entry *out, mt_err *err);
int tlsrpt_outbox_has(tlsrpt_sender *s, uint32_t day, const char *domain, mt_err *err);
int tlsrpt_outbox_list(tlsrpt_sender *s, uint32_t day, tlsrpt_outbox_cb cb, void *arg,
		       mt_err *err);
void tlsrpt_outbox_entry_free(tlsrpt_outbox_entry *e);
int tlsrpt_sender_run(tlsrpt_sender *s, int64_t now, uint32_t force_day, tlsrpt_run_cb done,
		      void *arg);
int tlsrpt_sender_busy(const tlsrpt_sender *s);
unsigned tlsrpt_sender_active(const tlsrpt_sender *s);
unsigned tlsrpt_sender_scanned(const tlsrpt_sender *s);
int tlsrpt_outbox_prune(tlsrpt_sender *s, uint32_t first_kept_day, mt_err *err);

#endif
