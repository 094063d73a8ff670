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
 *	See log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "mtasts";
static int log_to_stderr = 1;
static int log_debug_on = 0;

/* log_open - choose stderr or syslog */
void log_open(const char *ident, int foreground, int debug)
{
    log_ident = ident;
    log_to_stderr = foreground;
    log_debug_on = debug;
    if (!foreground)
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_reopen - reconnect to syslog (SIGHUP) */
void log_reopen(void)
{
    if (!log_to_stderr) {
	closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
    }
}

/* log_debug_enabled - whether LOG_DEBUG lines are kept */
int log_debug_enabled(void)
{
    return log_debug_on;
}

/* level_name - a short word for a syslog priority */
static const char *level_name(int prio)
{
    switch (prio) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT:
	return "critical";
    case LOG_ERR:
	return "error";
    case LOG_WARNING:
	return "warning";
    case LOG_NOTICE:
	return "notice";
    case LOG_INFO:
	return "info";
    default:
	return "debug";
    }
}

/* log_msg - one line, to stderr or syslog */
void log_msg(int prio, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (prio == LOG_DEBUG && !log_debug_on)
	return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_to_stderr)
	fprintf(stderr, "%s[%ld]: %s: %s\n", log_ident, (long) getpid(),
		level_name(prio), line);
    else
	syslog(prio, "%s: %s", level_name(prio), line);
}
