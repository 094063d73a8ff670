/*
 * NAME
 *	evloop - the one event loop: file descriptors and timers over epoll
 * SUMMARY
 *	Redis' ae in spirit: a few hundred lines, nothing else
 * SYNOPSIS
 *	#include "evloop.h"
 *
 *	evloop *evloop_new(void);
 *	void    evloop_free(evloop *loop);
 *	int     evloop_watch(evloop *loop, int fd, unsigned events,
 *	                     ev_fd_cb cb, void *arg);
 *	void    evloop_unwatch(evloop *loop, int fd);
 *	ev_timer *evloop_timer(evloop *loop, uint64_t delay_ms,
 *	                     ev_timer_cb cb, void *arg);
 *	void    evloop_timer_cancel(evloop *loop, ev_timer *t);
 *	uint64_t evloop_now_ms(evloop *loop);
 *	int     evloop_run_once(evloop *loop, int max_wait_ms);
 *	void    evloop_run(evloop *loop);
 *	void    evloop_stop(evloop *loop);
 * DESCRIPTION
 *	evloop_watch() adds fd, or changes its events and callback when
 *	already watched. events is EV_READ and/or EV_WRITE; the callback
 *	gets the events that are ready (EV_ERROR is added on hang-up or
 *	error, together with EV_READ so a read sees the end). A callback may
 *	unwatch or close any fd, its own included, and add or cancel timers.
 *
 *	evloop_timer() calls cb once, delay_ms from now. The handle is valid
 *	until the callback starts or the timer is cancelled; after that it
 *	must not be used. Timers due at the same time fire in the order they
 *	were added.
 *
 *	evloop_now_ms() is CLOCK_MONOTONIC in milliseconds, read once per
 *	loop iteration. evloop_run() runs until evloop_stop() is called.
 *	evloop_run_once() waits at most max_wait_ms (-1: until an event or
 *	timer) and dispatches what is ready; returns the number of callbacks
 *	run, or -1 on an epoll error.
 */
#ifndef EVLOOP_H
#define EVLOOP_H

#include <stdint.h>

#define EV_READ 1u
#define EV_WRITE 2u
#define EV_ERROR 4u

typedef struct evloop evloop;
typedef struct ev_timer ev_timer;
typedef void (*ev_fd_cb)(evloop *loop, int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(evloop *loop, void *arg);

evloop *evloop_new(void);
void evloop_free(evloop *loop);
int evloop_watch(evloop *loop, int fd, unsigned events, ev_fd_cb cb, void *arg);
void evloop_unwatch(evloop *loop, int fd);
ev_timer *evloop_timer(evloop *loop, uint64_t delay_ms, ev_timer_cb cb, void *arg);
void evloop_timer_cancel(evloop *loop, ev_timer *t);
uint64_t evloop_now_ms(evloop *loop);
int evloop_run_once(evloop *loop, int max_wait_ms);
void evloop_run(evloop *loop);
void evloop_stop(evloop *loop);

#endif
