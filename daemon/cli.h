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

#define CLI_COMMANDS

#endif
