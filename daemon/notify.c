/*
 * NAME
 *	notify - the systemd notification protocol, without libsystemd
 * SYNOPSIS
 *	#include "notify.h"
 *
 *	int      notify_send(const char *state);
 *	uint64_t notify_watchdog_ms(void);
 * DESCRIPTION
 *	See notify.h and sd_notify(3): a datagram of "KEY=VALUE" lines to
 *	the AF_UNIX socket named by $NOTIFY_SOCKET.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* notify_send - one state datagram to the service manager */
int notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa;
    socklen_t len;
    ssize_t n;
    int fd;

    if (path == NULL || *path == 0)
	return 1;
    if ((path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
	return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    if (path[0] == '@')
	sa.sun_path[0] = 0;		/* abstract namespace */
    len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path));
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &sa, len);
    close(fd);
    return n == (ssize_t) strlen(state) ? 0 : -1;
}

/* notify_watchdog_ms - the keep-alive period, or 0 */
uint64_t notify_watchdog_ms(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    unsigned long long u;
    char *end;

    if (usec == NULL)
	return 0;
    if (pid && strtol(pid, NULL, 10) != (long) getpid())
	return 0;
    errno = 0;
    u = strtoull(usec, &end, 10);
    if (errno || *end || u == 0)
	return 0;
    return u / 2000 ? u / 2000 : 1;
}
