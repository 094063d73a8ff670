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
void buf_truncate(buf *b, size_t len);
 *	void buf_truncate(buf *b, size_t len);
 *	int  buf_reserve(buf *b, size_t more);
 *	int  buf_append(buf *b, const void *data, size_t len);
 *	int  buf_puts(buf *b, const char *s);
 *	int  buf_putc(buf *b, int c);
 *	int  buf_printf(buf *b, const char *fmt, ...);
 *	void buf_consume(buf *b, size_t n);
 *	char *buf_steal(buf *b);
 *	const char *buf_str(const buf *b);
 * DESCRIPTION
 *	A buf owns b->data (malloc'ed), holding b->len bytes followed by a
 *	NUL that is not counted, so b->data can be used as a C string when
 *	the content has no NUL of its own. A zeroed buf is a valid empty
 *	buf (b->data may then be NULL: use buf_str() to read it).
 *
 *	Appending functions return 0, or -1 when memory runs out or the
 *	buffer would exceed BUF_MAX (the content is then unchanged).
 *	buf_truncate() keeps the first len bytes (len <= b->len): how a
 *	writer takes back what it appended when a later step fails.
 *	buf_consume() drops n bytes from the front. buf_steal() hands the
 *	storage to the caller (free() it) and leaves b empty.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

#define BUF_MAX ((size_t)1 << 30)	/* no single buffer grows past 1 GiB */

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b);
void buf_truncate(buf *b, size_t len);
int buf_reserve(buf *b, size_t more);
int buf_append(buf *b, const void *data, size_t len);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, int c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_consume(buf *b, size_t n);
char *buf_steal(buf *b);

/* buf_str - the content as a C string, "" when empty */
static inline const char *buf_str(const buf *b)
{
    return b->data ? b->data : "";
}

#endif
