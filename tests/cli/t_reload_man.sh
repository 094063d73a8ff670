#!/usr/bin/env bash
# t_reload_man.sh - the keys SIGHUP reloads (reloadable[] in
# daemon/mtastsd.c) are exactly those mtastsd(8), SIGNALS, lists, and each
# is a key of mtastsd.conf(5) with a number, boolean or duration value.
set -u
. tests/lib.sh
code=$(sed -n '/^static const char \*const reloadable\[\] = {/,/^};/p' daemon/mtastsd.c \
    | grep -o '"[a-z_]*"' | tr -d '"' | sort)
page=$(sed -n '/^\.B SIGHUP$/,/^The log line$/p' packaging/man/mtastsd.8 \
    | sed -n 's/^\.BR\{0,1\} \([a-z_]*\).*/\1/p' | sort)
[ "$(echo "$code" | wc -l)" -ge 10 ] || fail reload_man_table_read "found only: $code"
expect_eq reload_man_lists_the_reloadable_keys "$(echo $page)" "$(echo $code)"
bad=""
for k in $code; do
    grep -Eq "^ *K(MS|MSMIN|NUM)?\($k, *(C_BOOL|C_INT|C_UINT|C_DURATION|C_SIZE|\")" daemon/config.c \
        || bad="$bad $k"
done
expect_eq reload_keys_are_scalar_config_keys "$bad" ""
exit 0
