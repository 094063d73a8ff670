/*
 * NAME
 *	mt_err - the one error convention of exim-mtasts
 * SUMMARY
 *	where an input was wrong, and which rule it broke
 * SYNOPSIS
 *	#include "mt_err.h"
 *
 *	void mt_err_set(mt_err *err, unsigned line, unsigned col,
 *	                const char *rule, const char *fmt, ...);
 *	void mt_err_clear(mt_err *err);
 *	const char *mt_err_str(const mt_err *err, char *out, size_t outsz);
 * DESCRIPTION
 *	Functions that can fail return 0 on success and -1 on failure and
 *	fill a caller-provided mt_err. line and col are 1-based; 0 means
 *	"not applicable". rule names the standard and section broken
 *	("RFC 8461 §3.2"), or NULL when the failure is not a rule of a
 *	standard (out of memory, a local limit).
 *
 *	mt_err_set() accepts a NULL err, so callers that do not care may
 *	pass NULL.  mt_err_str() formats "line L, column C: msg (rule)".
 */
#ifndef MT_ERR_H
#define MT_ERR_H

#include <stddef.h>

#define MT_ERR_MSG_MAX 256

typedef struct mt_err {
    unsigned line;		/* 1-based; 0 = not applicable */
    unsigned col;		/* 1-based; 0 = not applicable */
    const char *rule;		/* static string such as "RFC 8461 §3.1" */
    char msg[MT_ERR_MSG_MAX];	/* what was wrong, in plain words */
} mt_err;

void mt_err_set(mt_err *err, unsigned line, unsigned col, const char *rule,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void mt_err_clear(mt_err *err);
const char *mt_err_str(const mt_err *err, char *out, size_t outsz);

#endif
