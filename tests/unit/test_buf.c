/* test_buf - the growable byte buffer (shared/buf.c) */
#include <stdlib.h>

#include "buf.h"
#include "t.h"

static void empty_buffer_reads_as_empty_string(void)
{
    buf b = {0};

    T_EQ_STR(buf_str(&b), "");
    T_EQ_INT(b.len, 0);
}

static void append_keeps_trailing_nul(void)
{
    buf b;

    buf_init(&b);
    T_EQ_INT(buf_puts(&b, "abc"), 0);
    T_EQ_INT(buf_putc(&b, 'd'), 0);
    T_EQ_INT(buf_printf(&b, "-%d", 42), 0);
    T_EQ_STR(buf_str(&b), "abcd-42");
    T_EQ_INT(b.len, 7);
    buf_free(&b);
}

static void growth_past_many_doublings(void)
{
    buf b;
    int i;

    buf_init(&b);
    for (i = 0; i < 100000; i++)
	T_EQ_INT(buf_putc(&b, 'x'), 0);
    T_EQ_INT(b.len, 100000);
    T_ASSERT(b.data[100000] == 0);
    buf_free(&b);
}

static void consume_drops_front(void)
{
    buf b;

    buf_init(&b);
    buf_puts(&b, "hello world");
    buf_consume(&b, 6);
    T_EQ_STR(buf_str(&b), "world");
    buf_consume(&b, 100);
    T_EQ_STR(buf_str(&b), "");
    buf_free(&b);
}

static void steal_hands_over_storage(void)
{
    buf b;
    char *s;

    buf_init(&b);
    s = buf_steal(&b);
    T_ASSERT(s != NULL);
    T_EQ_STR(s, "");
    free(s);
    buf_puts(&b, "x");
    s = buf_steal(&b);
    T_EQ_STR(s, "x");
    T_ASSERT(b.data == NULL && b.len == 0);
    free(s);
}

int main(void)
{
    T_RUN(empty_buffer_reads_as_empty_string);
    T_RUN(append_keeps_trailing_nul);
    T_RUN(growth_past_many_doublings);
    T_RUN(consume_drops_front);
    T_RUN(steal_hands_over_storage);
    return t_done();
}
