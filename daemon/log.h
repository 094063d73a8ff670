/*
 * NAME
 *	log - the one logging call
 * SYNOPSIS
 *	#include <syslog.h>
 *	#include "log.h"
 *
 *	void log_open(const char *ident, int foreground, int debug);
 *	void log_reopen(void);
 *	void log_msg(int prio, const char *fmt, ...);
 *	int  log_debug_enabled(void);
 * DESCRIPTION
 *	In the foreground, lines go to stderr as "ident[pid]: LEVEL: text";
 *	otherwise to syslog (LOG_MAIL). LOG_DEBUG lines are dropped unless
 *	debug is on. Every line about a domain names the domain.
 *	Before log_open() messages go to stderr.
 */
#ifndef LOG_H
#define LOG_H

#include <syslog.h>

void log_open(const char *ident, int foreground, int debug);
void log_reopen(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_debug_enabled(void);

#endif
