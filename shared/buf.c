/*
 * NAME
 *	buf - the one growable byte buffer
 * SUMMARY
 *	append-only bytes with a NUL kept after the end
 * SYNOPSIS
 *	#include "buf.h"
 *
 *	void buf_init(buf *b);
 *	void buf_free(buf *b);
 *	void buf_reset(buf *b);
 *	int  buf_reserve(buf *b, size_t more);
 *	int  buf_append(buf *b, const void *data, size_t len);
 *	int  buf_puts(buf *b, const char *s);
 *	int  buf_putc(buf *b, int c);
 *	int  buf_printf(buf *b, const char *fmt, ...);
 *	void buf_consume(buf *b, size_t n);
 *	char *buf_steal(buf *b);
 *	const char *buf_str(const buf *b);
 * DESCRIPTION
 *	See buf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* buf_init - an empty buffer */
void buf_init(buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

/* buf_free - release the storage */
void buf_free(buf *b)
{
    free(b->data);
    buf_init(b);
}

/* buf_reset - empty the buffer, keeping its storage */
void buf_reset(buf *b)
{
    buf_truncate(b, 0);
}

/* buf_truncate - keep the first len bytes */
void buf_truncate(buf *b, size_t len)
{
    b->len = len;
    if (b->data)
	b->data[len] = 0;
}

/* buf_reserve - make room for more bytes plus the trailing NUL */
int buf_reserve(buf *b, size_t more)
{
    size_t need, cap;
    char *p;

    if (more > BUF_MAX - b->len - 1)
	return -1;
    need = b->len + more + 1;
    if (need <= b->cap)
	return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
	cap *= 2;
    if ((p = realloc(b->data, cap)) == NULL)
	return -1;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = 0;
    return 0;
}

/* buf_append - append len bytes */
int buf_append(buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) < 0)
	return -1;
    if (len)
	memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

/* buf_puts - append a C string */
int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
int buf_putc(buf *b, int c)
{
    char ch = (char) c;

    return buf_append(b, &ch, 1);
}

/* buf_printf - append formatted text */
int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t) n) < 0)
	return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t) n;
    return 0;
}

/* buf_consume - drop n bytes from the front */
void buf_consume(buf *b, size_t n)
{
    if (n >= b->len) {
	buf_reset(b);
	return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = 0;
}

/* buf_steal - hand the storage to the caller and leave b empty */
char *buf_steal(buf *b)
{
    char *p;

    if (b->data == NULL && buf_reserve(b, 0) < 0)
	return NULL;
    p = b->data;
    buf_init(b);
    return p;
}
