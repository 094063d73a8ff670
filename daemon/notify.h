/*
 * NAME
 *	notify - the systemd notification protocol, without libsystemd
 * SYNOPSIS
 *	#include "notify.h"
 *
 *	int      notify_send(const char *state);
 *	uint64_t notify_watchdog_ms(void);
 * DESCRIPTION
 *	notify_send() sends state ("READY=1", "STOPPING=1", "WATCHDOG=1",
 *	"RELOADING=1", "STATUS=...") as one datagram to $NOTIFY_SOCKET (a
 *	path, or "@name" for the abstract namespace). Returns 0 when sent,
 *	1 when there is no NOTIFY_SOCKET (not under systemd), -1 on error.
 *
 *	notify_watchdog_ms() is half of $WATCHDOG_USEC in milliseconds when
 *	the watchdog is on for this process ($WATCHDOG_PID unset or ours),
 *	else 0: how often to send "WATCHDOG=1".
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

int notify_send(const char *state);
uint64_t notify_watchdog_ms(void);

#endif
