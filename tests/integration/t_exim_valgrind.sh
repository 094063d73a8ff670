#!/usr/bin/env bash
# t_exim_valgrind.sh - mtasts_lookup.so under valgrind inside Exim: no
# invalid access, no use of uninitialised memory, no leak, and nothing that
# grows per lookup. Exim's own definite leak at start-up (exim-valgrind.supp)
# is suppressed; its store pools are left as they are ("possibly lost").
# Both in exim -be and in a real delivery (every process followed).
. tests/lib.sh
. tests/integration/exim_lib.sh
Z=${WORLD_ZONE:-example.test}

el_daemon_start || { fail valgrind-daemon "mtastsd did not start"; exit 1; }
el_exim vg module || { fail valgrind-config "did not load"; exit 1; }
EXIM=$(el_bin vg)
CONF=$EL_TOP/vg/exim4.conf
el_fake_start garbage garbage
el_fake_start silent silent
el_fake_start oneshot oneshot
VG=(valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --suppressions=tests/integration/exim-valgrind.supp)

# vg NAME INPUT - exim -be under valgrind; NAME.out/NAME.vg kept
vg() {
    printf '%s\n' "$2" > "$EL_TOP/$1.in"
    el_in "${VG[@]}" --log-file="$EL_TOP/$1.vg" "$EXIM" -C "$CONF" -be < "$EL_TOP/$1.in" > "$EL_TOP/$1.out" 2>&1
}

q="\${lookup mtasts,socket=$EL_SOCK{ping}}
\${lookup mtasts,socket=$EL_SOCK{policy enforce.$Z}}
\${lookup mtasts,socket=$EL_SOCK{allowed enforce.$Z}}
\${lookup mtasts,socket=$EL_SOCK{mx enforce.$Z mx1.$Z}}
\${lookup mtasts,socket=$EL_SOCK{policy b64:\${base64:enforce.$Z}}}
\${lookup mtasts,socket=$EL_TOP/nothing.sock{ping}}
\${lookup mtasts,socket=$EL_SOCK,bogus{ping}}
\${lookup mtasts,socket=$EL_SOCK{report x=b64:abc}}
\${lookup mtasts,socket=$EL_SOCK{ping\\nping}}
\${lookup mtasts,socket=$EL_TOP/garbage.sock{ping}}
\${lookup mtasts,socket=$EL_TOP/silent.sock,timeout=1s{ping}}
\${lookup mtasts,socket=$EL_TOP/oneshot.sock{policy a.$Z}}\${lookup mtasts,socket=$EL_TOP/oneshot.sock{policy b.$Z}}"
if vg all "$q"; then
    pass valgrind-every-path-clean
else
    fail valgrind-every-path-clean "$(head -c 2000 "$EL_TOP/all.vg")"
fi
expect_match valgrind-lookups-answered "$(tr '\n' ' ' < "$EL_TOP/all.out")" \
    '> ok version=.*ok mode=enforce.*tempfail reason=daemon-unreachable.*error reason=bad-option.*error reason=bad-query.*error reason=bad-answer.*tempfail reason=daemon-unreachable'

# the version report (it allocates in Exim's store)
if el_in "${VG[@]}" --log-file="$EL_TOP/bv.vg" "$EXIM" -C "$CONF" -d -bV >"$EL_TOP/bv.out" 2>&1; then
    pass valgrind-version-report-clean
else
    fail valgrind-version-report-clean "$(head -c 2000 "$EL_TOP/bv.vg")"
fi

# no growth per lookup: 1 and 300 lookups (distinct queries: no cache) leave
# the same definitely lost bytes, and no leak record names the module. (The
# "possibly lost" bytes do grow: Exim keeps every answer in its lookup cache
# and -be never tidies it up; that store is Exim's, not the module's.)
many=""; for i in $(seq 300); do many="$many\${lookup mtasts,socket=$EL_SOCK{mx enforce.$Z h$i.$Z}}
"; done
VG=(valgrind --vgdb=no --leak-check=full --show-leak-kinds=definite
    --suppressions=tests/integration/exim-valgrind.supp)
vg one "\${lookup mtasts,socket=$EL_SOCK{mx enforce.$Z h0.$Z}}"
vg many "$many"
lost() { sed -n "s/.*$2 lost: \([0-9,]*\) bytes.*/\1/p" "$EL_TOP/$1.vg" | tr -d ,; }
expect_eq valgrind-no-definite-loss-per-lookup "$(lost many definitely)" "$(lost one definitely)"
if grep -q "mtasts_lookup" "$EL_TOP/many.vg"; then
    fail valgrind-no-module-frame-in-any-report "$(grep -B3 -A3 mtasts_lookup "$EL_TOP/many.vg" | head -20)"
else
    pass valgrind-no-module-frame-in-any-report
fi

# a real delivery under valgrind, every process Exim forks or re-executes
# followed: the enforce router's lookups, the transport's event_action
# reports, the module's tidy-up in each process; no error or leak record in
# any of them names the module. (Exim 4.96 has reports of its own here:
# poll() in par_reduce, an unset byte in its GnuTLS verify_certificate, leaks
# in its TLS and regex code; none passes through the module.)
mkdir -p "$EL_TOP/vgd"; chmod 1777 "$EL_TOP/vgd"
R="vg$$@enforce.$Z"
printf 'From: vg@%s\nTo: %s\nSubject: valgrind\n\nvalgrind delivery\n' "$EL_SENDER_DOMAIN" "$R" |
    el_in valgrind -q --vgdb=no --trace-children=yes --leak-check=full --show-leak-kinds=definite \
        --suppressions="$PWD/tests/integration/exim-valgrind.supp" --log-file="$EL_TOP/vgd/%p.vg" \
        "$EXIM" -C "$CONF" -odi -f "vg@$EL_SENDER_DOMAIN" "$R" >"$EL_TOP/vgd.out" 2>&1
line=$(grep -F "=> $R " "$EL_TOP/vg/log/mainlog" | tail -n 1)
expect_match valgrind-delivery-verified "$line" "R=mtasts_enforce T=mtasts_enforce_smtp .* X=TLS1\.[23]:.* CV=yes"
nvg=$(ls "$EL_TOP/vgd" | wc -l)
[ "$nvg" -ge 2 ] && pass valgrind-delivery-processes-followed || fail valgrind-delivery-processes-followed "$nvg valgrind logs"
if grep -q "FATAL" "$EL_TOP"/vgd/*.vg 2>/dev/null; then
    fail valgrind-delivery-ran "$(grep -h FATAL "$EL_TOP"/vgd/*.vg | head -3)"
else
    pass valgrind-delivery-ran
fi
if grep -q "mtasts_lookup" "$EL_TOP"/vgd/*.vg 2>/dev/null; then
    fail valgrind-delivery-nothing-in-the-module "$(grep -h -B6 -A3 mtasts_lookup "$EL_TOP"/vgd/*.vg | head -30)"
else
    pass valgrind-delivery-nothing-in-the-module
fi

[ "$TESTS_FAILED" -eq 0 ]
