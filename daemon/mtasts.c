/*
 * NAME
 *	mtasts - the exim-mtasts command line
 * SUMMARY
 *	lint, check, query, prefetch, cache, report, stats
 * SYNOPSIS
 *	mtasts [--help | --version]
 *	mtasts COMMAND [OPTIONS] [ARGS]
 * DESCRIPTION
 *	The command table below names every verb; each verb lives in its own
 *	file (cli_<verb>.c) and is documented in mtasts(1).
 *	Exit status: 0 success, 1 the checked thing is bad or a temporary
 *	failure, 2 usage or configuration error.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The verbs; each cli_<verb>.c provides its function. */
static const cli_command commands[] = {
    CLI_COMMANDS
    {NULL, NULL, NULL},
};

/* usage - the command list */
static void usage(FILE *fp)
{
    const cli_command *c;

    fprintf(fp, "usage: mtasts COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (c = commands; c->name; c++)
	fprintf(fp, "  %-14s %s\n", c->name, c->summary);
    fprintf(fp, "\n'mtasts COMMAND --help' for a command's options; man mtasts(1).\n");
}

int main(int argc, char **argv)
{
    const cli_command *c;

    if (argc < 2) {
	usage(stderr);
	return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
	|| strcmp(argv[1], "help") == 0) {
	usage(stdout);
	return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
	printf("mtasts %s\n", MTASTS_VERSION);
	return 0;
    }
    for (c = commands; c->name; c++)
	if (strcmp(argv[1], c->name) == 0)
	    return c->run(argc - 1, argv + 1);
    fprintf(stderr, "mtasts: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
