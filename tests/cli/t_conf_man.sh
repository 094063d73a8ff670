#!/usr/bin/env bash
# t_conf_man.sh - every key of daemon/config.c's table is documented in
# mtastsd.conf(5), with its default (and its minimum), and the page formats
# without warnings. A default written as a constant (XSTR(PROTO_LINE_MAX))
# is read from its #define; a whole number's minimum from mtastsd's error.
set -u
. tests/lib.sh
page=packaging/man/mtastsd.conf.5
keys=$(sed -n 's/^ *K\(MS\|MSMIN\|NUM\)\{0,1\}(\([a-z_0-9]*\),.*/\2/p' daemon/config.c)
[ -n "$keys" ] || fail conf_man_keys_found "no keys found in daemon/config.c"
missing=""
for k in $keys; do
    grep -q "^\.BI $k " "$page" || missing="$missing $k"
done
expect_eq conf_man_documents_every_key "$missing" ""
# a default in the table is named in the page (durations and literals)
undocumented=""
while read -r k d; do
    grep -A8 "^\.BI $k " "$page" | grep -qF -- "$d" || undocumented="$undocumented $k=$d"
done < <(sed -n 's/^ *K(\([a-z_0-9]*\), C_[A-Z]*, "\([^"]*\)".*/\1 \2/p; s/^ *KMS(\([a-z_0-9]*\), "\([^"]*\)").*/\1 \2/p; s/^ *KMSMIN(\([a-z_0-9]*\), "\([^"]*\)", "\([^"]*\)").*/\1 \2\n\1 \3/p' daemon/config.c
    sed -n 's/^ *KNUM(\([a-z_0-9]*\), C_[A-Z]*, XSTR(\([A-Z_0-9]*\)).*/\1 \2/p' daemon/config.c |
    while read -r k c; do
        echo "$k $(sed -n "s/^#define $c \([0-9][0-9]*\).*/\1/p" shared/*.h daemon/*.h)"
    done
    for k in $(sed -n 's/^ *KNUM(\([a-z_0-9]*\),.*/\1/p' daemon/config.c); do
        echo "$k $("$BUILD/mtastsd" -c /dev/null -o "$k=0" -T 2>&1 | sed -n 's/.*minimum of \([0-9]*\).*/\1/p')"
    done)
expect_eq conf_man_states_every_default "$undocumented" ""
warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
expect_eq conf_man_formats_cleanly "$warn" ""
exit 0
