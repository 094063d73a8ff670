/*
 * NAME
 *	t_store.h - a unit-test check of the whole policy store
 * SYNOPSIS
 *	#include "t_store.h"
 *
 *	uint64_t t_store_whole(store *s);
 * DESCRIPTION
 *	t_store_whole() returns the number of records in the store when
 *	every one decodes and every record that says has_policy holds its
 *	policy text (design.md "Storage": a policy is never stored without
 *	it); 0 otherwise, with a "#" line saying what was wrong.
 */
#ifndef T_STORE_H
#define T_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

typedef struct t_store_count {
    uint64_t n;				/* records that decode */
    uint64_t textless;			/* has_policy without text */
} t_store_count;

/* t_store_count_one - store_foreach(): count a record, and a policy without text */
static int t_store_count_one(const char *domain, const store_rec *r, void *arg)
{
    t_store_count *c = arg;

    (void) domain;
    c->n++;
    if (r->has_policy && (r->text == NULL || r->text_len == 0))
	c->textless++;
    return 0;
}

/* t_store_whole - the records, when all decode and every policy has its text; else 0 */
static inline uint64_t t_store_whole(store *s)
{
    t_store_count c = {0, 0};
    store_stats st;
    mt_err err;

    if (store_foreach(s, t_store_count_one, &c, &err) < 0 || store_info(s, &st) < 0)
	return 0;
    if (c.n != st.entries || c.textless)
	printf("# %llu of %llu records decode, %llu policies without text\n",
	       (unsigned long long) c.n, (unsigned long long) st.entries,
	       (unsigned long long) c.textless);
    return c.n == st.entries && c.textless == 0 ? c.n : 0;
}

#endif
