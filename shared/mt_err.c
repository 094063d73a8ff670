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
 *	See mt_err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mt_err.h"

/* mt_err_set - record where an input went wrong and why */
void mt_err_set(mt_err *err, unsigned line, unsigned col, const char *rule,
		const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
	return;
    err->line = line;
    err->col = col;
    err->rule = rule;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* mt_err_clear - reset to "no error" */
void mt_err_clear(mt_err *err)
{
    if (err == NULL)
	return;
    memset(err, 0, sizeof(*err));
}

/* mt_err_str - "line L, column C: message (rule)", leaving out what is unknown */
const char *mt_err_str(const mt_err *err, char *out, size_t outsz)
{
    char where[64] = "";

    if (err->line && err->col)
	snprintf(where, sizeof(where), "line %u, column %u: ", err->line, err->col);
    else if (err->line)
	snprintf(where, sizeof(where), "line %u: ", err->line);
    else if (err->col)
	snprintf(where, sizeof(where), "column %u: ", err->col);
    if (err->rule)
	snprintf(out, outsz, "%s%s (%s)", where, err->msg, err->rule);
    else
	snprintf(out, outsz, "%s%s", where, err->msg);
    return out;
}
