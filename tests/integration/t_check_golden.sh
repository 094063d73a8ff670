#!/usr/bin/env bash
# t_check_golden.sh - the human output of `mtasts check`, pinned: one golden
# file per test-world domain, tests/golden/check/<domain>.txt (the output,
# then "[exit N]").
#
#   UPDATE_GOLDEN=1 make check TESTS=t_check_golden   # rewrite them
#
# Review a rewrite with `git diff tests/golden/check/`: the explanations are
# the product here, so each change should read right.
set -u
. tests/lib.sh
M="$BUILD/mtasts"
Z=$WORLD_ZONE
G=tests/golden/check
tmp=$(mktemp -d /tmp/mtasts-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/check.conf" <<EOF
unbound_config = $WORLD_UNBOUND_CONF
ca_file = $WORLD_CA_FILE
fetch_allow_address = 127.0.2.0/24
fetch_timeout = 3s
fetch_connect_timeout = 2s
dns_timeout = 5s
EOF

# every domain of the world: each owner of an MX or _mta-sts record in its
# zones (the CNAME target of "cname" is a helper, not a domain)
domains=$(sed -n -e 's/^\([^ \t;$]*\)\.[ \t].*IN[ \t]\{1,\}MX[ \t].*/\1/p' \
                 -e 's/^_mta-sts\.\([^ \t;$]*\)\.[ \t].*/\1/p' \
                 "$WORLD_RUNDIR"/dns/*/zone | grep -v '^cname-target\.' | sort -u)
[ "$(echo "$domains" | wc -w)" -ge 40 ] || fail golden_domains_found "only: $domains"

# run DOMAIN - the output and exit status, as the golden file holds them
run() {
    { $WORLD_EXEC "$M" check -c "$tmp/check.conf" "$1" 2>&1; echo "[exit $?]"; } >"$tmp/$1.out"
}
pids=""
for d in $domains; do
    case $d in
    https-slow.*|https-noheaders.*) run "$d" & pids="$pids $!" ;;	# timeouts: meanwhile
    *) run "$d" ;;
    esac
done
# shellcheck disable=SC2086
wait $pids

if [ -n "${UPDATE_GOLDEN:-}" ]; then
    mkdir -p "$G"
    for d in $domains; do cp "$tmp/$d.out" "$G/$d.txt"; done
    echo "golden: wrote $(echo "$domains" | wc -w) files in $G"
fi
for d in $domains; do
    if [ ! -f "$G/$d.txt" ]; then
        fail "golden_$d" "no $G/$d.txt (UPDATE_GOLDEN=1 writes it)"
    elif diff -u "$G/$d.txt" "$tmp/$d.out" >"$tmp/diff"; then
        pass "golden_$d"
    else
        fail "golden_$d" "output differs: $(head -n 30 "$tmp/diff" | tr '\n' '|')"
    fi
done
# no golden file for a domain the world no longer has
for f in "$G"/*.txt; do
    d=$(basename "$f" .txt)
    grep -qx "$d" <<<"$domains" || fail "golden_stale_$d" "$f: no such domain in the world"
done
exit 0
