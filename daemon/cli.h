/*
 * NAME
 *	cli - the verbs of the mtasts command line
 * SYNOPSIS
 *	#include "cli.h"
 * DESCRIPTION
 *	Each verb is a function int cli_<verb>(int argc, char **argv) in
 *	daemon/cli_<verb>.c, with argv[0] the verb itself; it returns the
 *	exit status (0 ok, 1 bad/temporary failure, 2 usage or configuration).
 *	To add a verb: declare it here and add a line to CLI_COMMANDS.
 */
#ifndef CLI_H
#define CLI_H

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

int cli_lint_policy(int argc, char **argv);
int cli_lint_record(int argc, char **argv);
/* asking mtastsd (daemon issue): cli_query.c, cli_cache.c, cli_stats.c */
int cli_query(int argc, char **argv);
int cli_cache(int argc, char **argv);
int cli_stats(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_cache_import(int argc, char **argv);	/* "cache import", cli_cache_import.c */
int cli_prefetch(int argc, char **argv);

#define CLI_COMMANDS \
    {"lint-policy", cli_lint_policy, "check an MTA-STS policy file (RFC 8461 3.2)"}, \
    {"lint-record", cli_lint_record, "check an _mta-sts or _smtp._tls TXT record"}, \
    {"query", cli_query, "ask mtastsd for a domain's policy (or an MX verdict)"}, \
    {"cache", cli_cache, "list, show or flush mtastsd's policy cache"}, \
    {"stats", cli_stats, "mtastsd's counters (--prometheus for scraping)"}, \
    {"check", cli_check, "discover, validate and explain a domain's MTA-STS (RFC 8461)"}, \
    {"report", cli_report, "TLS-RPT reports: list, show, send (RFC 8460)"}, \
    {"prefetch", cli_prefetch, "have mtastsd discover and cache a list of domains"}, \
    /* every entry ends with ", \" so that adding one never touches another */

#endif
