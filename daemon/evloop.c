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
 *	See evloop.h. Watchers live in an array indexed by fd; each slot has
 *	a generation number carried in the epoll event, so an event that was
 *	already fetched for a descriptor that a callback closed (and that
 *	was then reused) is dropped instead of reaching the new owner.
 *	Timers are a binary min-heap ordered by (due time, sequence).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

#define EVLOOP_BATCH 256	/* events fetched per epoll_wait */

typedef struct ev_watch {
    ev_fd_cb cb;
    void *arg;
    unsigned events;
    uint32_t gen;
} ev_watch;

struct ev_timer {
    uint64_t due;
    uint64_t seq;
    size_t heap_ix;
    ev_timer_cb cb;
    void *arg;
};

struct evloop {
    int epfd;
    int stop;
    uint64_t now;
    uint64_t seq;
    ev_watch *w;
    size_t nw;
    ev_timer **heap;
    size_t nheap, capheap;
};

/* clock_ms - CLOCK_MONOTONIC in milliseconds */
static uint64_t clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* evloop_new - an empty loop */
evloop *evloop_new(void)
{
    evloop *loop = calloc(1, sizeof(*loop));

    if (loop == NULL)
	return NULL;
    if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
	free(loop);
	return NULL;
    }
    loop->now = clock_ms();
    return loop;
}

/* evloop_free - release the loop and any timers not yet fired */
void evloop_free(evloop *loop)
{
    size_t i;

    if (loop == NULL)
	return;
    for (i = 0; i < loop->nheap; i++)
	free(loop->heap[i]);
    free(loop->heap);
    free(loop->w);
    close(loop->epfd);
    free(loop);
}

/* epoll_mask - our event bits to epoll's */
static uint32_t epoll_mask(unsigned events)
{
    uint32_t m = 0;

    if (events & EV_READ)
	m |= EPOLLIN | EPOLLRDHUP;
    if (events & EV_WRITE)
	m |= EPOLLOUT;
    return m;
}

/* evloop_watch - add fd, or change its events and callback */
int evloop_watch(evloop *loop, int fd, unsigned events, ev_fd_cb cb, void *arg)
{
    struct epoll_event ev;
    ev_watch *w;
    int op;

    if (fd < 0)
	return -1;
    if ((size_t) fd >= loop->nw) {
	size_t n = loop->nw ? loop->nw : 64;
	ev_watch *nwv;

	while (n <= (size_t) fd)
	    n *= 2;
	if ((nwv = realloc(loop->w, n * sizeof(*nwv))) == NULL)
	    return -1;
	memset(nwv + loop->nw, 0, (n - loop->nw) * sizeof(*nwv));
	loop->w = nwv;
	loop->nw = n;
    }
    w = &loop->w[fd];
    op = w->cb ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (op == EPOLL_CTL_ADD)
	w->gen++;
    memset(&ev, 0, sizeof(ev));
    ev.events = epoll_mask(events);
    ev.data.u64 = ((uint64_t) w->gen << 32) | (uint32_t) fd;
    if (epoll_ctl(loop->epfd, op, fd, &ev) < 0)
	return -1;
    w->cb = cb;
    w->arg = arg;
    w->events = events;
    return 0;
}

/* evloop_unwatch - stop watching fd (call before closing it) */
void evloop_unwatch(evloop *loop, int fd)
{
    if (fd < 0 || (size_t) fd >= loop->nw || loop->w[fd].cb == NULL)
	return;
    (void) epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    loop->w[fd].cb = NULL;
    loop->w[fd].arg = NULL;
    loop->w[fd].events = 0;
    loop->w[fd].gen++;
}

/* timer_before - heap order: due time, then insertion order */
static int timer_before(const ev_timer *a, const ev_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* heap_set - place t at index i */
static void heap_set(evloop *loop, size_t i, ev_timer *t)
{
    loop->heap[i] = t;
    t->heap_ix = i;
}

/* heap_up - restore heap order upwards from i */
static void heap_up(evloop *loop, size_t i)
{
    ev_timer *t = loop->heap[i];

    while (i > 0) {
	size_t p = (i - 1) / 2;

	if (!timer_before(t, loop->heap[p]))
	    break;
	heap_set(loop, i, loop->heap[p]);
	i = p;
    }
    heap_set(loop, i, t);
}

/* heap_down - restore heap order downwards from i */
static void heap_down(evloop *loop, size_t i)
{
    ev_timer *t = loop->heap[i];

    for (;;) {
	size_t c = 2 * i + 1;

	if (c >= loop->nheap)
	    break;
	if (c + 1 < loop->nheap && timer_before(loop->heap[c + 1], loop->heap[c]))
	    c++;
	if (!timer_before(loop->heap[c], t))
	    break;
	heap_set(loop, i, loop->heap[c]);
	i = c;
    }
    heap_set(loop, i, t);
}

/* heap_remove - take the timer at index i out of the heap */
static void heap_remove(evloop *loop, size_t i)
{
    ev_timer *last = loop->heap[--loop->nheap];

    if (i == loop->nheap)
	return;
    heap_set(loop, i, last);
    heap_down(loop, i);
    heap_up(loop, last->heap_ix);
}

/* evloop_timer - call cb once, delay_ms from now */
ev_timer *evloop_timer(evloop *loop, uint64_t delay_ms, ev_timer_cb cb, void *arg)
{
    ev_timer *t;

    if (loop->nheap == loop->capheap) {
	size_t n = loop->capheap ? loop->capheap * 2 : 64;
	ev_timer **h = realloc(loop->heap, n * sizeof(*h));

	if (h == NULL)
	    return NULL;
	loop->heap = h;
	loop->capheap = n;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL)
	return NULL;
    t->due = loop->now + delay_ms;
    t->seq = loop->seq++;
    t->cb = cb;
    t->arg = arg;
    heap_set(loop, loop->nheap++, t);
    heap_up(loop, t->heap_ix);
    return t;
}

/* evloop_timer_cancel - forget a timer that has not fired */
void evloop_timer_cancel(evloop *loop, ev_timer *t)
{
    if (t == NULL)
	return;
    heap_remove(loop, t->heap_ix);
    free(t);
}

/* evloop_now_ms - the loop's cached monotonic clock */
uint64_t evloop_now_ms(evloop *loop)
{
    return loop->now;
}

/* run_timers - fire every timer that is due; returns how many */
static int run_timers(evloop *loop)
{
    int n = 0;

    while (loop->nheap > 0 && loop->heap[0]->due <= loop->now) {
	ev_timer *t = loop->heap[0];
	ev_timer_cb cb = t->cb;
	void *arg = t->arg;

	heap_remove(loop, 0);
	free(t);
	cb(loop, arg);
	n++;
    }
    return n;
}

/* evloop_run_once - wait at most max_wait_ms, dispatch what is ready */
int evloop_run_once(evloop *loop, int max_wait_ms)
{
    struct epoll_event evs[EVLOOP_BATCH];
    int timeout = max_wait_ms;
    int n, i, ran = 0;

    loop->now = clock_ms();
    if (loop->nheap > 0) {
	uint64_t due = loop->heap[0]->due;
	int until = due <= loop->now ? 0
	    : (due - loop->now > 86400000u ? 86400000 : (int) (due - loop->now));

	if (timeout < 0 || until < timeout)
	    timeout = until;
    }
    n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH, timeout);
    if (n < 0 && errno != EINTR)
	return -1;
    loop->now = clock_ms();
    for (i = 0; i < n; i++) {
	int fd = (int) (uint32_t) evs[i].data.u64;
	uint32_t gen = (uint32_t) (evs[i].data.u64 >> 32);
	unsigned ready = 0;
	ev_watch *w;

	if ((size_t) fd >= loop->nw)
	    continue;
	w = &loop->w[fd];
	if (w->cb == NULL || w->gen != gen)
	    continue;			/* closed or reused by an earlier callback */
	if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
	    ready |= EV_READ;
	if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
	    ready |= EV_WRITE;
	if (evs[i].events & (EPOLLHUP | EPOLLERR))
	    ready |= EV_ERROR;
	ready &= w->events | EV_ERROR;
	if (ready == 0)
	    continue;
	w->cb(loop, fd, ready, w->arg);
	ran++;
    }
    ran += run_timers(loop);
    return ran;
}

/* evloop_run - dispatch until evloop_stop() */
void evloop_run(evloop *loop)
{
    loop->stop = 0;
    while (!loop->stop)
	if (evloop_run_once(loop, -1) < 0)
	    break;
}

/* evloop_stop - make evloop_run() return after the current iteration */
void evloop_stop(evloop *loop)
{
    loop->stop = 1;
}
