/*
 * NAME
 *	cli_check - mtasts check: discover, validate and explain one domain's MTA-STS
 * SUMMARY
 *	what a sender would find, step by step, with a verdict and what to fix
 * SYNOPSIS
 *	mtasts check [-c CONFIG] [--json] [--probe] DOMAIN
 *
 *	int cli_check(int argc, char **argv);
 * DESCRIPTION
 *	Runs the daemon's discovery engine (discovery.c) once, without the
 *	daemon, with everything asked for: the _mta-sts record (RFC 8461
 *	§3.1), the policy fetch (§3.3) and parse (§3.2), the MX hosts in
 *	preference order matched against the policy (§4.1) with their TLSA
 *	status (RFC 7672), and the _smtp._tls record (RFC 8460 §3).
 *
 *	The human output has one line per step, starting with a mark ("ok",
 *	"FAIL", "warn", "info"; detail lines are indented), then a
 *	"verdict:" line (enforce, testing, none or unknown) and one "fix:"
 *	line per failure saying what the domain owner must change, and
 *	"consider:" lines for weaker advice. Text that came from the network
 *	is shown with control characters replaced by '?'.
 *
 *	--json prints one JSON object instead, with the field names
 *	documented in mtasts(1) (section "check --json").
 *
 *	--probe then resolves each MX host's addresses and connects to each
 *	(port smtp_probe_port, 25 by default): EHLO, STARTTLS, TLS 1.2 or
 *	later, certificate valid for the MX name (smtp_probe.c), and says
 *	whether a sender enforcing the policy would deliver there.
 *
 *	-c CONFIG reads mtastsd.conf(5) (resolver, CA store, connect_to,
 *	fetch_allow_address, timeouts); without -c the default file is read
 *	when it exists, else built-in defaults apply.
 *
 *	Exit status: 0 when discovery completed, whatever it found; 1 on a
 *	temporary failure (DNS timeout or SERVFAIL, DNSSEC-bogus record,
 *	policy host unreachable); 2 on usage or configuration errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "sts_record.h"
#include "tlsrpt_record.h"

#include "cli.h"
#include "config.h"
#include "discovery.h"
#include "dns_rdata.h"
#include "evloop.h"
#include "log.h"
#include "resolver.h"
#include "smtp_probe.h"

#define CHECK_PROBE_ADDRS 4	/* addresses probed per MX host */
#define CHECK_SHORT_MAX_AGE 86400	/* below a day, warn (RFC 8461 §3.2 suggests weeks) */

/* The probes of one MX host */
typedef struct mx_probe {
    size_t n;
    smtp_probe_result res[CHECK_PROBE_ADDRS];
    char addrs[CHECK_PROBE_ADDRS][INET6_ADDRSTRLEN];
    int answers;		/* A and AAAA answers in */
    dns_outcome a_outcome, aaaa_outcome;
} mx_probe;

/* What the command is reporting */
typedef struct report {
    int json;
    json_t *steps;		/* [{"mark":..., "text":...}] */
    json_t *fixes;
    json_t *hints;
    buf text;			/* the human output */
} report;

/*
 * safe_text - text fit for a terminal and for JSON: control bytes and bad
 * UTF-8 as '?'; keep_lines keeps tab, CR and LF (JSON escapes them)
 */
static void safe_text(const char *in, buf *out, int keep_lines)
{
    const unsigned char *s = (const unsigned char *) in;

    while (*s) {
	unsigned cp = 0;
	size_t n = 0, i;

	if ((*s >= 0x20 && *s < 0x7f)
	    || (keep_lines && (*s == '\n' || *s == '\r' || *s == '\t'))) {
	    buf_putc(out, *s++);
	    continue;
	}
	if ((*s & 0xe0) == 0xc0)
	    n = 2, cp = *s & 0x1f;
	else if ((*s & 0xf0) == 0xe0)
	    n = 3, cp = *s & 0x0f;
	else if ((*s & 0xf8) == 0xf0)
	    n = 4, cp = *s & 0x07;
	for (i = 1; n && i < n; i++) {
	    if ((s[i] & 0xc0) != 0x80) {
		n = 0;
		break;
	    }
	    cp = cp << 6 | (s[i] & 0x3f);
	}
	/* printable UTF-8 only: no C1 controls, no overlong forms, no surrogates */
	if (n == 0 || cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
	    || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff) {
	    buf_putc(out, '?');
	    s++;
	    continue;
	}
	buf_append(out, s, n);
	s += n;
    }
}

/* vsay - one line of the report */
static void vsay(report *rp, const char *mark, const char *fmt, va_list ap)
{
    char raw[2048];
    buf clean;

    vsnprintf(raw, sizeof(raw), fmt, ap);
    buf_init(&clean);
    safe_text(raw, &clean, 0);
    if (rp->json) {
	json_t *o = json_object();

	json_object_set_new(o, "mark", json_string(*mark ? mark : "detail"));
	json_object_set_new(o, "text", json_string(buf_str(&clean)));
	json_array_append_new(rp->steps, o);
    } else if (*mark)
	buf_printf(&rp->text, "%-4s %s\n", mark, buf_str(&clean));
    else
	buf_printf(&rp->text, "       %s\n", buf_str(&clean));
    buf_free(&clean);
}

/* say - a step: mark is "ok", "FAIL", "warn", "info", or "" for a detail line */
static void __attribute__((format(printf, 3, 4)))
say(report *rp, const char *mark, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsay(rp, mark, fmt, ap);
    va_end(ap);
}

/* add_advice - one fix or hint, once */
static void add_advice(json_t *list, const char *fmt, va_list ap)
{
    char raw[1024];
    buf clean;
    size_t i;

    vsnprintf(raw, sizeof(raw), fmt, ap);
    buf_init(&clean);
    safe_text(raw, &clean, 0);
    for (i = 0; i < json_array_size(list); i++)
	if (strcmp(json_string_value(json_array_get(list, i)), buf_str(&clean)) == 0)
	    break;
    if (i == json_array_size(list))
	json_array_append_new(list, json_string(buf_str(&clean)));
    buf_free(&clean);
}

/* fix - what the domain owner must change */
static void __attribute__((format(printf, 2, 3)))
fix(report *rp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_advice(rp->fixes, fmt, ap);
    va_end(ap);
}

/* hint - weaker advice */
static void __attribute__((format(printf, 2, 3)))
hint(report *rp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_advice(rp->hints, fmt, ap);
    va_end(ap);
}

/* sec_words - a DNSSEC state in plain words */
static const char *sec_words(dns_sec s)
{
    switch (s) {
    case DNS_SEC_SECURE:
	return "DNSSEC: validated";
    case DNS_SEC_BOGUS:
	return "DNSSEC: BOGUS";
    case DNS_SEC_INSECURE:
	break;
    }
    return "DNSSEC: unsigned";
}

/* duration_text - seconds as "7d", "1d 12h", "30m", "90s" */
static const char *duration_text(uint32_t secs, char *out, size_t outsz)
{
    static const struct {
	uint32_t n;
	char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t i, o = 0;

    out[0] = 0;
    for (i = 0; i < 4; i++)
	if (secs >= units[i].n) {
	    o += (size_t) snprintf(out + o, outsz - o, "%s%u%c", o ? " " : "",
				   (unsigned) (secs / units[i].n), units[i].unit);
	    secs %= units[i].n;
	    if (o >= outsz)
		break;
	}
    if (out[0] == 0)
	snprintf(out, outsz, "0s");
    return out;
}

/* explain_txt - the _mta-sts record (RFC 8461 §3.1) */
static void explain_txt(report *rp, const disc_result *r)
{
    const char *d = r->domain;
    char line[DISC_TXT_MAX];
    const char *p;

    switch (r->txt_outcome) {
    case DNS_NXDOMAIN:
    case DNS_NODATA:
	say(rp, "FAIL", "_mta-sts.%s: no TXT record (%s, %s)", d,
	    r->txt_outcome == DNS_NXDOMAIN ? "NXDOMAIN" : "NODATA", sec_words(r->txt_sec));
	fix(rp, "to use MTA-STS, publish one TXT record at _mta-sts.%s such as "
	    "\"v=STSv1; id=20240101T000000\"", d);
	return;
    case DNS_BOGUS:
	say(rp, "FAIL", "%s", r->reason);
	fix(rp, "repair DNSSEC for _mta-sts.%s (signatures, DS records): validating "
	    "senders cannot trust it", d);
	return;
    case DNS_SERVFAIL:
    case DNS_TIMEOUT:
    case DNS_ERROR:
	say(rp, "FAIL", "%s", r->reason);
	fix(rp, "make sure the name servers of %s answer for _mta-sts.%s", d, d);
	return;
    case DNS_OK:
	break;
    }
    say(rp, r->txt_set == STS_SET_ONE ? "ok" : "FAIL", "_mta-sts.%s: %zu TXT record%s (%s)", d,
	r->txt_count, r->txt_count == 1 ? "" : "s", sec_words(r->txt_sec));
    for (p = r->txt; *p;) {
	size_t n = strcspn(p, "\n");

	snprintf(line, sizeof(line), "%.*s", (int) n, p);
	say(rp, "", "\"%s\"", line);
	p += n;
	if (*p == '\n')
	    p++;
    }
    switch (r->txt_set) {
    case STS_SET_ONE:
	say(rp, "ok", "the MTA-STS record is valid: policy id %s", r->id);
	break;
    case STS_SET_NONE:
	say(rp, "FAIL", "%s", r->reason);
	fix(rp, "to use MTA-STS, publish one TXT record at _mta-sts.%s starting with "
	    "\"v=STSv1;\", such as \"v=STSv1; id=20240101T000000\"", d);
	break;
    case STS_SET_MANY:
	say(rp, "FAIL", "%s", r->reason);
	fix(rp, "keep exactly one \"v=STSv1\" TXT record at _mta-sts.%s", d);
	break;
    case STS_SET_INVALID:
	say(rp, "FAIL", "%s", r->reason);
	fix(rp, "correct the record at _mta-sts.%s: \"v=STSv1; id=<1 to 32 letters or "
	    "digits>\" (RFC 8461 §3.1)", d);
	break;
    }
}

/* explain_policy_host - how mta-sts.<domain> was found */
static void explain_policy_host(report *rp, const disc_result *r)
{
    buf addrs;
    size_t i;

    if (r->policy_host[0] == 0)
	return;
    if (r->policy_host_routed) {
	say(rp, "info", "%s is reached as the configuration says (connect_to or proxy), "
	    "not looked up in DNS", r->policy_host);
	return;
    }
    if (r->n_policy_addr > 0) {
	buf_init(&addrs);
	for (i = 0; i < r->n_policy_addr; i++)
	    buf_printf(&addrs, "%s%s", i ? ", " : "", r->policy_addr[i]);
	say(rp, "ok", "%s has the address%s %s (%s)", r->policy_host,
	    r->n_policy_addr == 1 ? "" : "es", buf_str(&addrs), sec_words(r->policy_host_sec));
	buf_free(&addrs);
	if (r->n_refused_addr > 0)
	    say(rp, "warn", "%zu more address%s of %s %s private or special and not used",
		r->n_refused_addr, r->n_refused_addr == 1 ? "" : "es", r->policy_host,
		r->n_refused_addr == 1 ? "is" : "are");
	return;
    }
    if (r->fetch_problem == FETCH_OK)
	return;				/* did not get that far */
    say(rp, "FAIL", "%s", r->reason);
    if (r->fetch_problem == FETCH_REFUSED_ADDRESS)
	fix(rp, "give %s a public address: senders do not fetch policies from loopback, "
	    "private or other special addresses", r->policy_host);
    else if (r->policy_host_outcome == DNS_BOGUS)
	fix(rp, "repair DNSSEC for %s", r->policy_host);
    else if (r->policy_host_outcome == DNS_NXDOMAIN || r->policy_host_outcome == DNS_NODATA)
	fix(rp, "publish an A or AAAA record for %s", r->policy_host);
    else
	fix(rp, "make sure the name servers of %s answer for %s", r->domain, r->policy_host);
}

/* explain_fetch - the HTTPS GET (RFC 8461 §3.3) */
static void explain_fetch(report *rp, const disc_result *r)
{
    const char *h = r->policy_host;

    if (!r->policy_host_routed && r->n_policy_addr == 0)
	return;				/* no fetch was made */
    if (r->fetch_problem == FETCH_OK || r->fetch_problem == FETCH_BAD_POLICY) {
	say(rp, "ok", "https://%s%s: HTTP %ld, %s, %zu bytes%s%s", h, FETCH_PATH,
	    r->http_status, r->content_type, r->policy_len, r->fetch_ip[0] ? ", from " : "",
	    r->fetch_ip);
	return;
    }
    say(rp, "FAIL", "%s [%s]", r->reason, tlsrpt_fetch_failure_name(r->failure));
    switch (r->fetch_problem) {
    case FETCH_CERTIFICATE:
	fix(rp, "serve https://%s with a certificate that is valid for %s, unexpired, "
	    "and issued by a CA senders trust", h, h);
	break;
    case FETCH_TLS_VERSION:
	fix(rp, "enable TLS 1.2 or later on %s", h);
	break;
    case FETCH_REDIRECT:
	fix(rp, "serve the policy itself at https://%s%s with status 200: redirects are "
	    "not followed (RFC 8461 §3.3)", h, FETCH_PATH);
	break;
    case FETCH_STATUS:
	fix(rp, "serve the policy at https://%s%s with status 200", h, FETCH_PATH);
	break;
    case FETCH_MEDIA_TYPE:
	fix(rp, "serve the policy with \"Content-Type: text/plain\"");
	break;
    case FETCH_TOO_BIG:
	fix(rp, "keep the policy under %d bytes", POLICY_MAX_BODY);
	break;
    case FETCH_LOCAL:
	fix(rp, "(on this machine, not the domain) check ca_file and ca_path in the "
	    "configuration");
	break;
    default:
	fix(rp, "make https://%s reachable on port 443 and answer within the fetch timeout", h);
	break;
    }
}

/* explain_policy - the policy file (RFC 8461 §3.2) */
static void explain_policy(report *rp, const disc_result *r)
{
    char dur[64];
    size_t i;

    if (r->status != DISC_POLICY) {
	if (r->fetch_problem == FETCH_BAD_POLICY) {
	    say(rp, "FAIL", "%s [%s]", r->reason, tlsrpt_fetch_failure_name(r->failure));
	    fix(rp, "correct the policy file: it needs \"version: STSv1\", \"mode:\", "
		"\"max_age:\" and, unless the mode is none, \"mx:\" lines (RFC 8461 §3.2)");
	}
	return;
    }
    say(rp, "ok", "the policy is valid: mode %s, max_age %u (%s)",
	policy_mode_name(r->policy.mode), (unsigned) r->policy.max_age,
	duration_text(r->policy.max_age, dur, sizeof(dur)));
    for (i = 0; i < r->policy.n_mx; i++)
	say(rp, "", "mx: %s", r->policy.mx[i]);
    for (i = 0; i < r->n_policy_warn && i < DISC_MAX_WARN; i++)
	say(rp, "warn", "policy: %s", r->policy_warn[i]);
    if (r->n_policy_warn > DISC_MAX_WARN)
	say(rp, "warn", "policy: %zu more warnings", r->n_policy_warn - DISC_MAX_WARN);
    if (r->policy.mode != POLICY_MODE_NONE && r->policy.max_age < CHECK_SHORT_MAX_AGE) {
	say(rp, "warn", "max_age is shorter than a day: a sender's cached policy expires "
	    "quickly, which weakens the protection");
	hint(rp, "raise max_age to at least 604800 (a week); RFC 8461 §3.2 suggests weeks");
    }
    if (r->policy.mode == POLICY_MODE_NONE)
	say(rp, "info", "mode none: the domain withdraws MTA-STS; senders drop their cached "
	    "policies");
}

/* explain_probe - what the SMTP probes of one MX found */
static void explain_probe(report *rp, const disc_result *r, const disc_mx *mx,
			  const mx_probe *pr, int enforcing)
{
    size_t i;

    if (pr->n == 0) {
	say(rp, "FAIL", "probe %s: no address to connect to (A: %s, AAAA: %s)", mx->host,
	    dns_outcome_name(pr->a_outcome), dns_outcome_name(pr->aaaa_outcome));
	fix(rp, "publish an A or AAAA record for %s", mx->host);
	return;
    }
    for (i = 0; i < pr->n; i++) {
	const smtp_probe_result *p = &pr->res[i];

	if (p->deliverable) {
	    say(rp, "ok", "probe %s [%s]:%d: %s", mx->host, p->address, p->port, p->reason);
	    continue;
	}
	say(rp, enforcing && mx->matches ? "FAIL" : "warn", "probe %s [%s]:%d: %s [%s]",
	    mx->host, p->address, p->port, p->reason, p->result_type);
	if (!mx->matches && r->status == DISC_POLICY)
	    continue;			/* the host is not usable under the policy anyway */
	if (!p->connected || !p->greeted)
	    fix(rp, "make %s accept SMTP connections on %s port %d", mx->host, p->address,
		p->port);
	else if (!p->starttls_offered)
	    fix(rp, "offer STARTTLS on %s", mx->host);
	else if (!p->tls)
	    fix(rp, "enable TLS 1.2 or later for STARTTLS on %s", mx->host);
	else
	    fix(rp, "install a certificate on %s that is valid for the name %s, unexpired, "
		"and issued by a CA senders trust", mx->host, mx->host);
    }
}

/* explain_mx - the MX hosts, their match and TLSA status (RFC 8461 §4.1) */
static void explain_mx(report *rp, const disc_result *r, const mx_probe *probes)
{
    int have_policy = r->status == DISC_POLICY && r->policy.mode != POLICY_MODE_NONE;
    int enforcing = have_policy && r->policy.mode == POLICY_MODE_ENFORCE;
    size_t i, nmatch = 0;

    switch (r->mx_outcome) {
    case DNS_OK:
	if (r->null_mx) {
	    say(rp, "info", "%s has a null MX (RFC 7505): it accepts no mail", r->domain);
	    return;
	}
	say(rp, "ok", "%s has %zu MX host%s (%s)", r->domain, r->n_mx, r->n_mx == 1 ? "" : "s",
	    sec_words(r->mx_sec));
	break;
    case DNS_NODATA:
	say(rp, "info", "%s has no MX record: the domain itself is the mail host "
	    "(RFC 5321 §5.1) (%s)", r->domain, sec_words(r->mx_sec));
	break;
    case DNS_NXDOMAIN:
	say(rp, "FAIL", "%s does not exist in DNS (NXDOMAIN)", r->domain);
	return;
    default:
	say(rp, "FAIL", "cannot look up the MX records of %s: %s", r->domain,
	    dns_outcome_name(r->mx_outcome));
	fix(rp, "make sure the name servers of %s answer for its MX records", r->domain);
	return;
    }
    if (r->n_mx_skipped)
	say(rp, "warn", "%zu MX record%s skipped: not a usable host name", r->n_mx_skipped,
	    r->n_mx_skipped == 1 ? "" : "s");
    for (i = 0; i < r->n_mx; i++) {
	const disc_mx *mx = &r->mx[i];
	char tlsa[128];

	if (mx->tlsa_usable)
	    snprintf(tlsa, sizeof(tlsa), "DANE: valid TLSA records, DANE senders use them first");
	else if (mx->tlsa_outcome == DNS_BOGUS)
	    snprintf(tlsa, sizeof(tlsa), "DANE: the TLSA lookup FAILED DNSSEC validation");
	else if (mx->tlsa_outcome == DNS_OK && mx->tlsa_sec != DNS_SEC_SECURE)
	    snprintf(tlsa, sizeof(tlsa), "TLSA records exist but are not DNSSEC-validated: "
		     "DANE does not apply");
	else if (mx->tlsa_outcome == DNS_OK)
	    snprintf(tlsa, sizeof(tlsa), "TLSA records exist but none is usable for DANE");
	else if (mx->tlsa_outcome == DNS_NXDOMAIN || mx->tlsa_outcome == DNS_NODATA)
	    snprintf(tlsa, sizeof(tlsa), "no TLSA records");
	else
	    snprintf(tlsa, sizeof(tlsa), "TLSA lookup: %s", dns_outcome_name(mx->tlsa_outcome));
	if (!have_policy)
	    say(rp, "info", "MX %u %s%s; %s", mx->preference, mx->host,
		mx->implicit ? " (implicit)" : "", tlsa);
	else if (mx->matches) {
	    nmatch++;
	    say(rp, "ok", "MX %u %s%s matches the policy; %s", mx->preference, mx->host,
		mx->implicit ? " (implicit)" : "", tlsa);
	} else {
	    say(rp, enforcing ? "FAIL" : "warn", "MX %u %s%s does not match the policy: senders "
		"that enforce it will not deliver there; %s", mx->preference, mx->host,
		mx->implicit ? " (implicit)" : "", tlsa);
	    fix(rp, "add \"mx: %s\" (or a matching \"*.\" pattern) to the policy, or remove "
		"that MX record", mx->host);
	}
	if (mx->tlsa_outcome == DNS_BOGUS)
	    fix(rp, "repair DNSSEC for _25._tcp.%s: DANE senders will not deliver there",
		mx->host);
	if (probes)
	    explain_probe(rp, r, mx, &probes[i], enforcing);
    }
    if (probes && enforcing && nmatch > 0) {
	size_t npass = 0, j;

	for (i = 0; i < r->n_mx; i++)
	    for (j = 0; r->mx[i].matches && j < probes[i].n; j++)
		npass += probes[i].res[j].deliverable;
	if (npass == 0)
	    say(rp, "FAIL", "no MX host that matches the policy passes the probe: senders that "
		"enforce the policy cannot deliver mail to %s now", r->domain);
    }
    if (have_policy && r->n_mx > 0 && nmatch == 0)
	say(rp, "FAIL", "no MX host matches the policy: %s", enforcing ?
	    "senders that enforce it cannot deliver mail to this domain at all" :
	    "in enforce mode no mail could be delivered");
}

/* explain_tlsrpt - the _smtp._tls record (RFC 8460 §3) */
static void explain_tlsrpt(report *rp, const disc_result *r)
{
    buf rua;
    size_t i;

    if (r->tlsrpt_outcome == DNS_OK && r->tlsrpt_set == TLSRPT_SET_ONE) {
	buf_init(&rua);
	for (i = 0; i < r->tlsrpt.n_rua; i++)
	    buf_printf(&rua, "%s%s", i ? ", " : "", r->tlsrpt.rua[i]);
	say(rp, "ok", "TLS reports go to %s (_smtp._tls.%s, %s)", buf_str(&rua), r->domain,
	    sec_words(r->tlsrpt_sec));
	buf_free(&rua);
	return;
    }
    if (r->tlsrpt_outcome == DNS_NXDOMAIN || r->tlsrpt_outcome == DNS_NODATA
	|| (r->tlsrpt_outcome == DNS_OK && r->tlsrpt_set == TLSRPT_SET_NONE)) {
	say(rp, "warn", "%s", r->tlsrpt_reason);
	hint(rp, "publish a TXT record at _smtp._tls.%s such as \"v=TLSRPTv1; "
	     "rua=mailto:tlsrpt@%s\" to receive reports of failed TLS (RFC 8460)",
	     r->domain, r->domain);
	return;
    }
    say(rp, "FAIL", "%s", r->tlsrpt_reason);
    if (r->tlsrpt_outcome == DNS_OK)
	fix(rp, "keep exactly one valid \"v=TLSRPTv1; rua=...\" record at _smtp._tls.%s "
	    "(RFC 8460 §3)", r->domain);
    else
	fix(rp, "make _smtp._tls.%s resolve (and validate, if signed)", r->domain);
}

/* verdict - the one-word outcome and a sentence */
static const char *verdict(report *rp, const disc_result *r, char *why, size_t whysz)
{
    switch (r->status) {
    case DISC_POLICY:
	switch (r->policy.mode) {
	case POLICY_MODE_ENFORCE:
	    snprintf(why, whysz, "senders that apply MTA-STS deliver mail for %s only to MX "
		     "hosts matching the policy, over TLS 1.2 or later with a valid "
		     "certificate", r->domain);
	    return "enforce";
	case POLICY_MODE_TESTING:
	    snprintf(why, whysz, "senders deliver as without MTA-STS and report TLS failures "
		     "(TLS-RPT)");
	    hint(rp, "when every MX host passes (mtasts check --probe), switch the policy to "
		 "\"mode: enforce\" and change the record's id");
	    return "testing";
	case POLICY_MODE_NONE:
	    snprintf(why, whysz, "the policy switches MTA-STS off");
	    return "none";
	}
	break;
    case DISC_NO_POLICY:
	snprintf(why, whysz, "no MTA-STS policy applies: senders deliver as without it");
	return "none";
    case DISC_TEMPFAIL:
	snprintf(why, whysz, "a temporary failure: senders without a cached policy try "
		 "again later");
	return "unknown";
    case DISC_UNCHANGED:
    case DISC_TXT_OK:
	break;
    }
    snprintf(why, whysz, "?");
    return "unknown";
}

/* json_str - a JSON string of network text, made safe */
static json_t *json_str(const char *s)
{
    buf clean;
    json_t *j;

    buf_init(&clean);
    safe_text(s, &clean, 1);
    j = json_string(buf_str(&clean));
    buf_free(&clean);
    return j;
}

/* json_dns - outcome and DNSSEC of one lookup */
static void json_dns(json_t *o, const char *name, dns_outcome out, dns_sec sec)
{
    json_object_set_new(o, "name", json_str(name));
    json_object_set_new(o, "outcome", json_string(dns_outcome_name(out)));
    json_object_set_new(o, "dnssec", json_string(dns_sec_name(sec)));
}

/* to_json - the whole result as one object (field names: mtasts(1)) */
static json_t *to_json(const report *rp, const disc_result *r, const mx_probe *probes,
		       const char *verdict_word, const char *why, int exit_status)
{
    static const char *const set_names[] = {"one", "none", "many", "invalid"};
    json_t *o = json_object(), *txt = json_object(), *mx = json_object(), *hosts = json_array();
    json_t *tr = json_object(), *recs = json_array();
    char name[DOMAIN_BUF + 16];
    const char *p;
    size_t i, j;

    json_object_set_new(o, "domain", json_str(r->domain));
    json_object_set_new(o, "status", json_string(disc_status_name(r->status)));
    json_object_set_new(o, "verdict", json_string(verdict_word));
    json_object_set_new(o, "verdict_text", json_str(why));
    json_object_set_new(o, "reason", json_str(r->reason));

    snprintf(name, sizeof(name), "_mta-sts.%s", r->domain);
    json_dns(txt, name, r->txt_outcome, r->txt_sec);
    for (p = r->txt; *p;) {
	size_t n = strcspn(p, "\n");
	char line[DISC_TXT_MAX];

	snprintf(line, sizeof(line), "%.*s", (int) n, p);
	json_array_append_new(recs, json_str(line));
	p += n + (p[n] == '\n');
    }
    json_object_set_new(txt, "records", recs);
    json_object_set_new(txt, "result", r->txt_outcome == DNS_OK || r->txt_outcome == DNS_NXDOMAIN
			|| r->txt_outcome == DNS_NODATA
			? json_string(set_names[r->txt_set]) : json_null());
    json_object_set_new(txt, "id", r->id[0] ? json_string(r->id) : json_null());
    json_object_set_new(o, "txt", txt);

    if (r->policy_host[0]) {
	json_t *ph = json_object(), *addrs = json_array();

	json_dns(ph, r->policy_host, r->policy_host_outcome, r->policy_host_sec);
	if (r->policy_host_routed) {
	    json_object_set_new(ph, "outcome", json_null());
	    json_object_set_new(ph, "dnssec", json_null());
	}
	json_object_set_new(ph, "routed", json_boolean(r->policy_host_routed));
	for (i = 0; i < r->n_policy_addr; i++)
	    json_array_append_new(addrs, json_string(r->policy_addr[i]));
	json_object_set_new(ph, "addresses", addrs);
	json_object_set_new(ph, "refused_addresses", json_integer((json_int_t) r->n_refused_addr));
	json_object_set_new(o, "policy_host", ph);
    } else
	json_object_set_new(o, "policy_host", json_null());

    if (r->policy_host_routed || r->n_policy_addr > 0) {
	json_t *f = json_object();
	char url[DOMAIN_BUF + 64];

	snprintf(url, sizeof(url), "https://%s%s", r->policy_host, FETCH_PATH);
	json_object_set_new(f, "url", json_string(url));
	json_object_set_new(f, "http_status", r->http_status ? json_integer(r->http_status)
			    : json_null());
	json_object_set_new(f, "content_type", r->content_type[0] ? json_str(r->content_type)
			    : json_null());
	json_object_set_new(f, "ip", r->fetch_ip[0] ? json_string(r->fetch_ip) : json_null());
	json_object_set_new(f, "problem", json_string(fetch_problem_name(r->fetch_problem)));
	json_object_set_new(o, "fetch", f);
    } else
	json_object_set_new(o, "fetch", json_null());

    if (r->failure != FETCH_FAIL_NONE) {
	json_t *fl = json_object();

	json_object_set_new(fl, "result_type", json_string(tlsrpt_fetch_failure_name(r->failure)));
	json_object_set_new(fl, "problem", json_string(fetch_problem_name(r->fetch_problem)));
	json_object_set_new(fl, "temporary", json_boolean(r->status == DISC_TEMPFAIL));
	json_object_set_new(fl, "reason", json_str(r->reason));
	json_object_set_new(o, "failure", fl);
    } else
	json_object_set_new(o, "failure", json_null());

    if (r->status == DISC_POLICY) {
	json_t *pol = json_object(), *pats = json_array(), *warns = json_array();

	json_object_set_new(pol, "version", json_string("STSv1"));
	json_object_set_new(pol, "mode", json_string(policy_mode_name(r->policy.mode)));
	json_object_set_new(pol, "max_age", json_integer(r->policy.max_age));
	for (i = 0; i < r->policy.n_mx; i++)
	    json_array_append_new(pats, json_str(r->policy.mx[i]));
	json_object_set_new(pol, "mx", pats);
	for (i = 0; i < r->n_policy_warn && i < DISC_MAX_WARN; i++)
	    json_array_append_new(warns, json_str(r->policy_warn[i]));
	json_object_set_new(pol, "warnings", warns);
	json_object_set_new(pol, "text", json_str(r->policy_text ? r->policy_text : ""));
	json_object_set_new(o, "policy", pol);
    } else
	json_object_set_new(o, "policy", json_null());

    json_dns(mx, r->domain, r->mx_outcome, r->mx_sec);
    json_object_set_new(mx, "null_mx", json_boolean(r->null_mx));
    json_object_set_new(mx, "skipped", json_integer((json_int_t) r->n_mx_skipped));
    for (i = 0; i < r->n_mx; i++) {
	const disc_mx *m = &r->mx[i];
	json_t *h = json_object(), *tlsa = json_object();

	json_object_set_new(h, "host", json_string(m->host));
	json_object_set_new(h, "preference", json_integer(m->preference));
	json_object_set_new(h, "implicit", json_boolean(m->implicit));
	json_object_set_new(h, "matches", r->status == DISC_POLICY ? json_boolean(m->matches)
			    : json_null());
	json_object_set_new(tlsa, "outcome", json_string(dns_outcome_name(m->tlsa_outcome)));
	json_object_set_new(tlsa, "dnssec", json_string(dns_sec_name(m->tlsa_sec)));
	json_object_set_new(tlsa, "usable", json_boolean(m->tlsa_usable));
	json_object_set_new(h, "tlsa", tlsa);
	if (probes) {
	    json_t *pa = json_array();

	    for (j = 0; j < probes[i].n; j++) {
		const smtp_probe_result *p = &probes[i].res[j];
		json_t *po = json_object();

		json_object_set_new(po, "address", json_string(p->address));
		json_object_set_new(po, "port", json_integer(p->port));
		json_object_set_new(po, "connected", json_boolean(p->connected));
		json_object_set_new(po, "starttls", json_boolean(p->starttls_offered));
		json_object_set_new(po, "tls_version", p->tls ? json_string(p->tls_version)
				    : json_null());
		json_object_set_new(po, "certificate_valid", json_boolean(p->cert_valid));
		json_object_set_new(po, "deliverable", json_boolean(p->deliverable));
		json_object_set_new(po, "result_type", p->result_type
				    ? json_string(p->result_type) : json_null());
		json_object_set_new(po, "reason", json_str(p->reason));
		json_array_append_new(pa, po);
	    }
	    json_object_set_new(h, "probes", pa);
	}
	json_array_append_new(hosts, h);
    }
    json_object_set_new(mx, "hosts", hosts);
    json_object_set_new(o, "mx", mx);

    snprintf(name, sizeof(name), "_smtp._tls.%s", r->domain);
    json_dns(tr, name, r->tlsrpt_outcome, r->tlsrpt_sec);
    json_object_set_new(tr, "result", r->tlsrpt_outcome == DNS_OK
			|| r->tlsrpt_outcome == DNS_NXDOMAIN || r->tlsrpt_outcome == DNS_NODATA
			? json_string(set_names[r->tlsrpt_set]) : json_null());
    {
	json_t *rua = json_array();

	for (i = 0; i < r->tlsrpt.n_rua; i++)
	    json_array_append_new(rua, json_str(r->tlsrpt.rua[i]));
	json_object_set_new(tr, "rua", rua);
    }
    json_object_set_new(tr, "reason", json_str(r->tlsrpt_reason));
    json_object_set_new(o, "tlsrpt", tr);

    json_object_set(o, "steps", rp->steps);
    json_object_set(o, "fixes", rp->fixes);
    json_object_set(o, "suggestions", rp->hints);
    json_object_set_new(o, "exit", json_integer(exit_status));
    return o;
}

/* check_done - discovery's callback */
static void check_done(disc_result *r, void *arg)
{
    disc_result **slot = arg;

    *slot = r;
}

/* probe_addr_answer - an A or AAAA answer for a probed MX */
static void probe_addr_answer(const dns_answer *a, void *arg)
{
    mx_probe *pr = arg;
    size_t i;

    if (a->qtype == DNS_TYPE_A)
	pr->a_outcome = a->outcome;
    else
	pr->aaaa_outcome = a->outcome;
    for (i = 0; a->outcome == DNS_OK && i < a->n && pr->n < CHECK_PROBE_ADDRS; i++)
	if (dns_rdata_addr(a->qtype, a->rdata[i], (size_t) a->len[i], pr->addrs[pr->n],
			   INET6_ADDRSTRLEN) == 0)
	    pr->n++;
    pr->answers++;
}

/* run_probes - resolve every MX host, then probe each address (blocking, one at a time) */
static mx_probe *run_probes(evloop *loop, const mtasts_config *cfg, const disc_result *r,
			    mt_err *err)
{
    mx_probe *probes = calloc(r->n_mx ? r->n_mx : 1, sizeof(*probes));
    char helo[256];
    smtp_probe_opts o;
    resolver *res;
    size_t i, j;
    int pending = 0;

    if (probes == NULL || (res = resolver_new(loop, cfg, err)) == NULL) {
	free(probes);
	return NULL;
    }
    for (i = 0; i < r->n_mx; i++) {
	probes[i].a_outcome = probes[i].aaaa_outcome = DNS_ERROR;
	/* AAAA first: a dual-stack sender tries IPv6 first */
	if (resolver_query(res, r->mx[i].host, DNS_TYPE_AAAA, probe_addr_answer, &probes[i]))
	    pending++;
	if (resolver_query(res, r->mx[i].host, DNS_TYPE_A, probe_addr_answer, &probes[i]))
	    pending++;
    }
    for (;;) {
	int got = 0;

	for (i = 0; i < r->n_mx; i++)
	    got += probes[i].answers;
	if (got >= pending)
	    break;
	evloop_run_once(loop, 1000);
    }
    resolver_free(res);

    if (gethostname(helo, sizeof(helo)) != 0 || helo[0] == 0)
	snprintf(helo, sizeof(helo), "localhost");
    helo[sizeof(helo) - 1] = 0;
    memset(&o, 0, sizeof(o));
    o.helo = helo;
    o.ca_file = cfg->ca_file;
    o.ca_path = cfg->ca_path;
    o.timeout_ms = cfg->fetch_connect_timeout_ms ? cfg->fetch_connect_timeout_ms : 10000;
    for (i = 0; i < r->n_mx; i++)
	for (j = 0; j < probes[i].n; j++)
	    smtp_probe(r->mx[i].host, probes[i].addrs[j], cfg->smtp_probe_port, &o,
		       &probes[i].res[j]);
    return probes;
}

/* usage - the synopsis */
static int usage(FILE *fp, int status)
{
    fprintf(fp, "usage: mtasts check [-c CONFIG] [--json] [--probe] DOMAIN\n"
	    "  discover, validate and explain the MTA-STS policy of DOMAIN (mtasts(1))\n"
	    "  -c CONFIG  read this mtastsd.conf (default: %s when it exists)\n"
	    "  --json     print one JSON object\n"
	    "  --probe    also connect to each MX host: STARTTLS, TLS version, certificate\n",
	    CONFIG_DEFAULT_PATH);
    return status;
}

/* load_config - -c FILE, else the default file when it exists, else defaults */
static int load_config(mtasts_config *cfg, const char *path)
{
    mt_err e;

    config_defaults(cfg);
    if (path == NULL) {
	if (access(CONFIG_DEFAULT_PATH, F_OK) != 0)
	    return 0;
	path = CONFIG_DEFAULT_PATH;
    }
    if (config_load(cfg, path, &e) < 0) {
	fprintf(stderr, "mtasts check: %s\n", e.msg);
	return -1;
    }
    return 0;
}

/* cli_check - mtasts check [-c CONFIG] [--json] [--probe] DOMAIN */
int cli_check(int argc, char **argv)
{
    static const struct option longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"json", no_argument, NULL, 'j'},
	{"probe", no_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
    };
    const char *conf = NULL;
    char domain[DOMAIN_BUF], why[512];
    int json = 0, probe = 0, c, status;
    mtasts_config cfg;
    disc_result *r = NULL;
    mx_probe *probes = NULL;
    discovery *d;
    evloop *loop;
    report rp;
    mt_err e;
    const char *word;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1)
	switch (c) {
	case 'c':
	    conf = optarg;
	    break;
	case 'j':
	    json = 1;
	    break;
	case 'p':
	    probe = 1;
	    break;
	case 'h':
	    return usage(stdout, 0);
	default:
	    return usage(stderr, 2);
	}
    if (optind != argc - 1)
	return usage(stderr, 2);
    if (domain_normalise(argv[optind], strlen(argv[optind]), domain, sizeof(domain), &e) < 0) {
	fprintf(stderr, "mtasts check: not a domain MTA-STS applies to: %s\n", e.msg);
	return 2;
    }
    if (load_config(&cfg, conf) < 0)
	return 2;
    log_open("mtasts", 1, cfg.log_debug);
    if ((loop = evloop_new()) == NULL) {
	fprintf(stderr, "mtasts check: cannot create the event loop\n");
	config_free(&cfg);
	return 2;
    }
    if ((d = discovery_new(loop, &cfg, &e)) == NULL) {
	fprintf(stderr, "mtasts check: configuration: %s\n", e.msg);
	evloop_free(loop);
	config_free(&cfg);
	return 2;
    }
    if (discovery_start(d, domain, DISC_WITH_MX | DISC_WITH_TLSRPT, NULL, check_done, &r) < 0) {
	fprintf(stderr, "mtasts check: out of memory\n");
	discovery_free(d);
	evloop_free(loop);
	config_free(&cfg);
	return 2;
    }
    while (r == NULL)
	if (evloop_run_once(loop, -1) < 0)
	    break;
    discovery_free(d);
    if (r == NULL) {
	fprintf(stderr, "mtasts check: the event loop failed\n");
	evloop_free(loop);
	config_free(&cfg);
	return 2;
    }
    if (probe && r->n_mx > 0 && (probes = run_probes(loop, &cfg, r, &e)) == NULL) {
	fprintf(stderr, "mtasts check: probe: %s\n", e.msg);
	discovery_result_free(r);
	evloop_free(loop);
	config_free(&cfg);
	return 2;
    }

    memset(&rp, 0, sizeof(rp));
    rp.json = json;
    rp.steps = json_array();
    rp.fixes = json_array();
    rp.hints = json_array();
    buf_init(&rp.text);
    if (!json)
	buf_printf(&rp.text, "MTA-STS check of %s\n", domain);
    explain_txt(&rp, r);
    explain_policy_host(&rp, r);
    explain_fetch(&rp, r);
    explain_policy(&rp, r);
    explain_mx(&rp, r, probes);
    explain_tlsrpt(&rp, r);
    word = verdict(&rp, r, why, sizeof(why));
    status = r->status == DISC_TEMPFAIL ? 1 : 0;

    if (json) {
	json_t *o = to_json(&rp, r, probes, word, why, status);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (s)
	    printf("%s\n", s);
	free(s);
	json_decref(o);
    } else {
	size_t i;

	buf_printf(&rp.text, "verdict: %s: %s\n", word, why);
	for (i = 0; i < json_array_size(rp.fixes); i++)
	    buf_printf(&rp.text, "fix: %s\n", json_string_value(json_array_get(rp.fixes, i)));
	for (i = 0; i < json_array_size(rp.hints); i++)
	    buf_printf(&rp.text, "consider: %s\n", json_string_value(json_array_get(rp.hints, i)));
	fputs(buf_str(&rp.text), stdout);
    }
    fflush(stdout);
    buf_free(&rp.text);
    json_decref(rp.steps);
    json_decref(rp.fixes);
    json_decref(rp.hints);
    free(probes);
    discovery_result_free(r);
    evloop_free(loop);
    config_free(&cfg);
    return status;
}
