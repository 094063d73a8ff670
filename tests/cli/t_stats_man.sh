#!/usr/bin/env bash
# t_stats_man.sh - every value of daemon/stats_table.c is documented under
# "stats" in mtastsd(8), and the page's list of levels is exactly the
# table's gauges (the Prometheus types of mtasts stats --prometheus).
set -u
. tests/lib.sh
page=packaging/man/mtastsd.8
table=daemon/stats_table.c
all=$(sed -n 's/^ *[CG]("\([a-z_]*\)".*/\1/p; s/^ *{"\([a-z_]*\)", STATS_[A-Z]*,.*/\1/p' "$table")
gauges=$(sed -n 's/^ *G("\([a-z_]*\)".*/\1/p; s/^ *{"\([a-z_]*\)", STATS_GAUGE,.*/\1/p' "$table" | sort)
[ "$(echo "$all" | wc -l)" -gt 30 ] || fail stats_man_table_read "found only: $all"
missing=""
for k in $all; do
    grep -Eq "^\.BR? $k( |$)" "$page" || missing="$missing $k"
done
expect_eq stats_man_documents_every_value "$missing" ""
levels=$(sed -n '/^The levels, which go up and down/,/^\.B mtasts stats/p' "$page" \
    | sed -n 's/^\.BR\{0,1\} \([a-z_]*\).*/\1/p' | grep -v '^mtasts$' | sort)
expect_eq stats_man_levels_are_the_gauges "$(echo $levels)" "$(echo $gauges)"
exit 0
