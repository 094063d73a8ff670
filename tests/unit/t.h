/*
 * NAME
 *	t.h - the smallest unit-test framework that does the job
 * SYNOPSIS
 *	#include "t.h"
 *
 *	static void rule_name(void) { T_ASSERT(cond); T_EQ_STR(a, b); T_EQ_INT(a, b); }
 *	int main(void) { T_RUN(rule_name); return t_done(); }
 * DESCRIPTION
 *	Each T_RUN prints "PASS: name" or "FAIL: name: file:line: what";
 *	a failed assertion returns from the test function at once.
 *	t_done() returns the exit status: 0 when nothing failed.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;
static int t_current_failed;

#define T_FAIL_AT(...) do { \
    if (!t_current_failed) { printf("FAIL: %s: %s:%d: ", t_current_name, __FILE__, __LINE__); \
        printf(__VA_ARGS__); printf("\n"); } \
    t_current_failed = 1; return; } while (0)

static const char *t_current_name = "";

#define T_ASSERT(c) do { if (!(c)) T_FAIL_AT("assertion failed: %s", #c); } while (0)
#define T_EQ_INT(a, b) do { long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
    if (t_a_ != t_b_) T_FAIL_AT("%s == %lld, want %lld", #a, t_a_, t_b_); } while (0)
#define T_EQ_STR(a, b) do { const char *t_a_ = (a), *t_b_ = (b); \
    if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) \
        T_FAIL_AT("%s == \"%s\", want \"%s\"", #a, t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); } while (0)

#define T_RUN(fn) do { t_current_name = #fn; t_current_failed = 0; fn(); \
    if (t_current_failed) t_failures++; else printf("PASS: %s\n", #fn); fflush(stdout); } while (0)

/* t_rmtree - remove a test's scratch directory; says so when it cannot */
static inline int t_rmtree(const char *dir)
{
    char cmd[4200];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
	fprintf(stderr, "cannot remove %s\n", dir);
	return -1;
    }
    return 0;
}

static inline int t_done(void)
{
    return t_failures ? 1 : 0;
}

#endif
