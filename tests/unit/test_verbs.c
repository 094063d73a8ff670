/* test_verbs - answer formats of daemon/verbs.c that Exim's configuration reads */
#include <string.h>

#include "buf.h"
#include "verbs.h"
#include "t.h"

/* design.md "How": our pattern -> anchored, case-insensitive regex for
 * ignore_target_hosts, negated so that the host is kept */
static void allowed_item_for_a_name(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "mx1.example.com"), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)mx1\\.example\\.com$");
    buf_free(&b);
}

/* RFC 8461 §4.1: "*.example.com" matches exactly one left-most label */
static void allowed_item_for_a_wildcard_is_one_label(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "*.example.com"), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)[^.]+\\.example\\.com$");
    buf_free(&b);
}

static void allowed_item_drops_a_trailing_dot(void)
{
    buf b = {0};

    T_EQ_INT(verbs_allowed_item(&b, "mx.example.com."), 0);
    T_EQ_STR(buf_str(&b), "!^(?i)mx\\.example\\.com$");
    buf_free(&b);
}

/* the items need no percent-encoding: no space, '%' or '"' */
static void allowed_items_need_no_encoding(void)
{
    buf b = {0};
    size_t i;

    verbs_allowed_item(&b, "*.a-b.example.com");
    for (i = 0; i < b.len; i++)
	T_ASSERT(b.data[i] > 0x20 && b.data[i] < 0x7f && b.data[i] != '%' && b.data[i] != '"');
    buf_free(&b);
}

int main(void)
{
    T_RUN(allowed_item_for_a_name);
    T_RUN(allowed_item_for_a_wildcard_is_one_label);
    T_RUN(allowed_item_drops_a_trailing_dot);
    T_RUN(allowed_items_need_no_encoding);
    return t_done();
}
