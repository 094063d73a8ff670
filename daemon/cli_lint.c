/*
 * NAME
 *	cli_lint - mtasts lint-policy and mtasts lint-record
 * SUMMARY
 *	tell a domain owner whether a policy file or a TXT record is valid
 * SYNOPSIS
 *	mtasts lint-policy [--mx HOST] [--json] FILE|-
 *	mtasts lint-record [--tlsrpt] [--json] 'TXT'
 *
 *	int cli_lint_policy(int argc, char **argv);
 *	int cli_lint_record(int argc, char **argv);
 * DESCRIPTION
 *	lint-policy reads a policy body (RFC 8461 §3.2) from FILE, or
 *	standard input for "-", and parses it with policy_parse_warn().
 *	lint-record parses one _mta-sts TXT record (RFC 8461 §3.1), or
 *	with --tlsrpt one _smtp._tls record (RFC 8460 §3), given as one
 *	argument with its strings already joined.
 *
 *	Valid: exit 0, a summary on stdout (or, with --json, one JSON
 *	object: {"version","mode","max_age","mx"[,"mx_match"]} for a
 *	policy, {"v","id"} or {"v","rua"} for a record). Lines the policy
 *	parser ignored or values it adjusted are warnings on stderr; they
 *	do not change the exit status. --mx HOST says whether HOST matches
 *	a pattern (RFC 8461 §4.1); it does not change the exit status.
 *	Invalid: exit 1, "mtasts: FILE: line L, column C: what (rule)" on
 *	stderr and nothing on stdout. Usage errors, an unreadable file or
 *	a bad --mx host name: exit 2.
 *
 *	Text from the input quoted in messages is shown with bytes outside
 *	printable ASCII replaced by '?', so a hostile file cannot write
 *	terminal control sequences.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "domain.h"
#include "mt_err.h"
#include "policy.h"
#include "sts_record.h"
#include "tlsrpt_record.h"
#include "cli.h"

/* print_safe - write s with bytes outside printable ASCII shown as '?' */
static void print_safe(FILE *fp, const char *s)
{
    for (; *s; s++) {
	unsigned char c = (unsigned char) *s;

	fputc(c >= 0x20 && c < 0x7f ? c : '?', fp);
    }
}

/* print_err - "mtasts: WHAT: KINDline L, column C: msg (rule)" on stderr */
static void print_err(const char *what, const mt_err *err, const char *kind)
{
    char out[MT_ERR_MSG_MAX + 128];
    mt_err safe = *err;
    size_t i;

    for (i = 0; safe.msg[i]; i++)	/* the message may quote the input */
	if ((unsigned char) safe.msg[i] < 0x20 || (unsigned char) safe.msg[i] >= 0x7f)
	    safe.msg[i] = '?';
    mt_err_str(&safe, out, sizeof(out));
    fprintf(stderr, "mtasts: ");
    print_safe(stderr, what);
    fprintf(stderr, ": %s%s\n", kind, out);
}

/* warn_cb - a policy_warn_fn printing each warning */
static void warn_cb(void *ctx, const mt_err *w)
{
    print_err((const char *) ctx, w, "warning: ");
}

/* read_all - the whole of FILE or stdin, at most limit + 1 bytes */
static int read_all(const char *path, size_t limit, buf *out)
{
    FILE *fp;
    char chunk[8192];
    size_t n;
    int rc = 0;

    if (strcmp(path, "-") == 0)
	fp = stdin;
    else if ((fp = fopen(path, "rb")) == NULL)
	return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
	if (buf_append(out, chunk, n) < 0) {
	    errno = ENOMEM;
	    rc = -1;
	    break;
	}
	if (out->len > limit)
	    break;
    }
    if (ferror(fp))
	rc = -1;
    if (fp != stdin)
	fclose(fp);
    return rc;
}

/* print_json - dump obj on stdout and release it; -1 if out of memory */
static int print_json(json_t *obj)
{
    char *s;

    if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
	json_decref(obj);
	fprintf(stderr, "mtasts: out of memory\n");
	return -1;
    }
    printf("%s\n", s);
    free(s);
    json_decref(obj);
    return 0;
}

/* policy_usage - the synopsis of lint-policy */
static void policy_usage(FILE *fp)
{
    fprintf(fp,
	    "usage: mtasts lint-policy [--mx HOST] [--json] FILE|-\n"
	    "\n"
	    "Check an MTA-STS policy file (RFC 8461 section 3.2); '-' reads standard input.\n"
	    "  --mx HOST   also say whether the MX host name HOST matches a pattern\n"
	    "  --json      print the parsed policy as one JSON object\n"
	    "Exit status: 0 valid, 1 invalid (the reason on stderr), 2 usage error.\n");
}

/* cli_lint_policy - mtasts lint-policy */
int cli_lint_policy(int argc, char **argv)
{
    const char *path = NULL, *mx = NULL;
    char host[DOMAIN_BUF];
    int json = 0, i, match = 0;
    policy p;
    mt_err err;
    buf body;

    for (i = 1; i < argc; i++) {
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
	    policy_usage(stdout);
	    return 0;
	} else if (strcmp(argv[i], "--json") == 0) {
	    json = 1;
	} else if (strcmp(argv[i], "--mx") == 0) {
	    if (++i >= argc) {
		fprintf(stderr, "mtasts: lint-policy: --mx needs a host name\n");
		policy_usage(stderr);
		return 2;
	    }
	    mx = argv[i];
	} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && path == NULL) {
	    path = argv[++i];
	} else if (argv[i][0] == '-' && argv[i][1] != 0) {
	    fprintf(stderr, "mtasts: lint-policy: unknown option '%s'\n", argv[i]);
	    policy_usage(stderr);
	    return 2;
	} else if (path == NULL) {
	    path = argv[i];
	} else {
	    fprintf(stderr, "mtasts: lint-policy: one FILE only\n");
	    policy_usage(stderr);
	    return 2;
	}
    }
    if (path == NULL) {
	policy_usage(stderr);
	return 2;
    }
    if (mx) {
	mt_err_clear(&err);
	if (domain_normalise(mx, strlen(mx), host, sizeof(host), &err) < 0) {
	    fprintf(stderr, "mtasts: lint-policy: --mx ");
	    print_safe(stderr, mx);
	    fprintf(stderr, ": ");
	    print_err("not a host name", &err, "");
	    return 2;
	}
    }
    buf_init(&body);
    if (read_all(path, POLICY_MAX_BODY, &body) < 0) {
	fprintf(stderr, "mtasts: lint-policy: %s: %s\n", path, strerror(errno));
	buf_free(&body);
	return 2;
    }
    mt_err_clear(&err);
    if (policy_parse_warn(buf_str(&body), body.len, &p, &err, warn_cb, (void *) path) < 0) {
	print_err(path, &err, "");
	buf_free(&body);
	return 1;
    }
    buf_free(&body);
    if (mx)
	match = policy_mx_matches(&p, host);
    if (json) {
	json_t *obj = json_object(), *arr = json_array();
	size_t k;

	if (obj && arr) {
	    json_object_set_new(obj, "version", json_string("STSv1"));
	    json_object_set_new(obj, "mode", json_string(policy_mode_name(p.mode)));
	    json_object_set_new(obj, "max_age", json_integer(p.max_age));
	    for (k = 0; k < p.n_mx; k++)
		json_array_append_new(arr, json_string(p.mx[k]));
	    json_object_set(obj, "mx", arr);
	    if (mx)
		json_object_set_new(obj, "mx_match", json_boolean(match));
	}
	json_decref(arr);
	policy_free(&p);
	return print_json(obj) < 0 ? 1 : 0;
    }
    printf("%s: valid MTA-STS policy (RFC 8461)\n", path);
    printf("version: STSv1\nmode: %s\nmax_age: %u\n", policy_mode_name(p.mode), (unsigned) p.max_age);
    for (i = 0; (size_t) i < p.n_mx; i++)
	printf("mx: %s\n", p.mx[i]);
    if (mx)
	printf("mx %s: %s\n", host, match ? "matches" : "matches no pattern");
    policy_free(&p);
    return 0;
}

/* record_usage - the synopsis of lint-record */
static void record_usage(FILE *fp)
{
    fprintf(fp,
	    "usage: mtasts lint-record [--tlsrpt] [--json] 'TXT'\n"
	    "\n"
	    "Check one _mta-sts TXT record (RFC 8461 section 3.1), or with --tlsrpt one\n"
	    "_smtp._tls record (RFC 8460 section 3); several strings are joined first.\n"
	    "  --tlsrpt    the record is a TLS-RPT record\n"
	    "  --json      print the parsed record as one JSON object\n"
	    "Exit status: 0 valid, 1 invalid (the reason on stderr), 2 usage error.\n");
}

/* cli_lint_record - mtasts lint-record */
int cli_lint_record(int argc, char **argv)
{
    const char *txt = NULL;
    int json = 0, tlsrpt = 0, i;
    mt_err err;

    for (i = 1; i < argc; i++) {
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
	    record_usage(stdout);
	    return 0;
	} else if (strcmp(argv[i], "--json") == 0) {
	    json = 1;
	} else if (strcmp(argv[i], "--tlsrpt") == 0) {
	    tlsrpt = 1;
	} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && txt == NULL) {
	    txt = argv[++i];
	} else if (argv[i][0] == '-' && txt == NULL) {
	    fprintf(stderr, "mtasts: lint-record: unknown option '%s'\n", argv[i]);
	    record_usage(stderr);
	    return 2;
	} else if (txt == NULL) {
	    txt = argv[i];
	} else {
	    fprintf(stderr, "mtasts: lint-record: one record only (quote it)\n");
	    record_usage(stderr);
	    return 2;
	}
    }
    if (txt == NULL) {
	record_usage(stderr);
	return 2;
    }
    mt_err_clear(&err);
    if (tlsrpt) {
	tlsrpt_record r;
	size_t k;

	if (tlsrpt_record_parse(txt, strlen(txt), &r, &err) < 0) {
	    print_err("lint-record", &err, "invalid TLS-RPT record: ");
	    return 1;
	}
	if (json) {
	    json_t *obj = json_object(), *arr = json_array();

	    if (obj && arr) {
		json_object_set_new(obj, "v", json_string("TLSRPTv1"));
		for (k = 0; k < r.n_rua; k++)
		    json_array_append_new(arr, json_string(r.rua[k]));
		json_object_set(obj, "rua", arr);
	    }
	    json_decref(arr);
	    tlsrpt_record_free(&r);
	    return print_json(obj) < 0 ? 1 : 0;
	}
	printf("valid TLS-RPT record (RFC 8460)\nv: TLSRPTv1\n");
	for (k = 0; k < r.n_rua; k++)
	    printf("rua: %s\n", r.rua[k]);
	tlsrpt_record_free(&r);
	return 0;
    } else {
	sts_record r;

	if (sts_record_parse(txt, strlen(txt), &r, &err) < 0) {
	    print_err("lint-record", &err, "invalid MTA-STS record: ");
	    return 1;
	}
	if (json) {
	    json_t *obj = json_object();

	    if (obj) {
		json_object_set_new(obj, "v", json_string("STSv1"));
		json_object_set_new(obj, "id", json_string(r.id));
	    }
	    return print_json(obj) < 0 ? 1 : 0;
	}
	printf("valid MTA-STS record (RFC 8461)\nv: STSv1\nid: %s\n", r.id);
	return 0;
    }
}
