#!/usr/bin/env bash
# t_exim_module_abi.sh - mtasts_lookup.so builds for each supported Exim
# lookup ABI (4.96 to 4.99), refuses an unknown one at compile time with a
# message naming the supported ones, and exports one symbol only
# (exim-module/README.md). No Exim needed: the ABI is declared in the source.
set -u
. tests/lib.sh
tmp=$(mktemp -d /tmp/mtasts-abi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}

for abi in 4.96 4.97 4.98 4.99; do
    if make -s BUILD="$tmp/$abi" EXIM_ABI="$abi" "$tmp/$abi/mtasts_lookup.so" >"$tmp/$abi.log" 2>&1; then
        pass "module-builds-for-exim-$abi"
    else
        fail "module-builds-for-exim-$abi" "$(tail -n 3 "$tmp/$abi.log" | tr '\n' ' ')"
        continue
    fi
    syms=$(nm -D --defined-only "$tmp/$abi/mtasts_lookup.so" | awk '{ print $3 }' | tr '\n' ' ')
    expect_eq "module-$abi-exports-only-the-table" "$syms" "_lookup_module_info "
done

# the table: magic 0x4c4d4935 (lookupapi.h of 4.96-4.99), one lookup type
magic=$(objdump -s -j .data "$tmp/4.96/mtasts_lookup.so" 2>/dev/null | grep -c "35494d4c")
if [ "$magic" -ge 1 ]; then pass module-magic-4c4d4935; else fail module-magic-4c4d4935 "magic not in .data"; fi

for abi in 4.95 5.0; do
    if make -s BUILD="$tmp/$abi" EXIM_ABI="$abi" "$tmp/$abi/mtasts_lookup.so" >"$tmp/$abi.log" 2>&1; then
        fail "module-refuses-exim-$abi" "it built"
    else
        expect_match "module-refuses-exim-$abi" "$(cat "$tmp/$abi.log")" \
            'unknown Exim lookup ABI: build with EXIM_ABI=4\.96, 4\.97, 4\.98 or 4\.99'
    fi
done
# what the module takes from Exim: only functions and variables Exim exports
# to local_scan modules (local_scan.h), so it loads into any Exim that
# exports those; everything else comes from libc (versioned symbols)
LOCAL_SCAN_USED="debug_printf debug_selector log_write store_get_3"
from_exim=$(nm -D --undefined-only "$tmp/4.96/mtasts_lookup.so" | awk '{ print $2 }' |
    grep -v -e '@' -e '^_ITM_' -e '^__gmon_start__$' | sort | tr '\n' ' ')
expect_eq module-needs-only-local-scan-symbols "$from_exim" "$LOCAL_SCAN_USED "
# (t_exim_local_scan.sh checks this list against the built Exim's local_scan.h)
[ "$TESTS_FAILED" -eq 0 ]
