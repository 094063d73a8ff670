/* test_evloop - the event loop (daemon/evloop.c) */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "t.h"

static int order[8], norder;

static void record_timer(evloop *loop, void *arg)
{
    (void) loop;
    order[norder++] = (int) (long) arg;
}

static void timers_fire_in_due_then_insertion_order(void)
{
    evloop *loop = evloop_new();

    norder = 0;
    evloop_timer(loop, 20, record_timer, (void *) 3L);
    evloop_timer(loop, 5, record_timer, (void *) 1L);
    evloop_timer(loop, 5, record_timer, (void *) 2L);
    while (norder < 3)
	T_ASSERT(evloop_run_once(loop, 1000) >= 0);
    T_EQ_INT(order[0], 1);
    T_EQ_INT(order[1], 2);
    T_EQ_INT(order[2], 3);
    evloop_free(loop);
}

static void cancelled_timer_never_fires(void)
{
    evloop *loop = evloop_new();
    ev_timer *t;

    norder = 0;
    t = evloop_timer(loop, 1, record_timer, (void *) 9L);
    evloop_timer(loop, 10, record_timer, (void *) 1L);
    evloop_timer_cancel(loop, t);
    while (norder < 1)
	evloop_run_once(loop, 1000);
    T_EQ_INT(norder, 1);
    T_EQ_INT(order[0], 1);
    evloop_free(loop);
}

static int got_read;

static void on_read(evloop *loop, int fd, unsigned ev, void *arg)
{
    char c;

    (void) arg;
    if (ev & EV_READ && read(fd, &c, 1) == 1)
	got_read = c;
    evloop_unwatch(loop, fd);
}

static void readable_fd_dispatches_callback(void)
{
    evloop *loop = evloop_new();
    int sv[2];

    T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    got_read = 0;
    T_EQ_INT(evloop_watch(loop, sv[0], EV_READ, on_read, NULL), 0);
    T_EQ_INT(write(sv[1], "z", 1), 1);
    evloop_run_once(loop, 1000);
    T_EQ_INT(got_read, 'z');
    close(sv[0]);
    close(sv[1]);
    evloop_free(loop);
}

static void many_timers_keep_heap_order(void)
{
    evloop *loop = evloop_new();
    ev_timer *ts[200];
    int i;

    norder = 0;
    for (i = 0; i < 200; i++)
	ts[i] = evloop_timer(loop, (uint64_t) (1000 + (i * 37) % 200), record_timer, (void *) 0L);
    for (i = 0; i < 200; i++)
	if (i % 3)
	    evloop_timer_cancel(loop, ts[i]);
    evloop_free(loop);		/* frees the rest; ASan checks it */
    T_ASSERT(1);
}

int main(void)
{
    T_RUN(timers_fire_in_due_then_insertion_order);
    T_RUN(cancelled_timer_never_fires);
    T_RUN(readable_fd_dispatches_callback);
    T_RUN(many_timers_keep_heap_order);
    return t_done();
}
