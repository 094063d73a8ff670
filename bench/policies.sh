#!/bin/sh
# policies.sh - the benchmark's synthetic policies, as mtasts cache import reads them
#
#   bench/policies.sh DOMAIN_FILE [FETCHED]
#
# One JSON line per domain of DOMAIN_FILE: an enforce policy with
# max_age one week and the MX patterns mx1.DOMAIN and mx2.DOMAIN (the
# same policy bench/peer.py gives the peer), fetched at FETCHED (Unix
# seconds, default now), TXT id 20240101T000000.
set -eu
exec awk -v now="${2:-$(date +%s)}" '
    /^[ \t]*(#|$)/ { next }
    { d = $1
      printf "{\"domain\":\"%s\",\"id\":\"20240101T000000\",\"policy\":\"version: STSv1\\nmode: enforce\\nmx: mx1.%s\\nmx: mx2.%s\\nmax_age: 604800\\n\",\"fetched\":%d}\n", d, d, d, now }
' "$1"
