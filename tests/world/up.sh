#!/usr/bin/env bash
# NAME
#	up.sh - start the hermetic test world
# SYNOPSIS
#	tests/world/up.sh RUNDIR > env.sh
# DESCRIPTION
#	Creates a network namespace with a unique name (mtw-<random>) and,
#	inside it, on loopback addresses and standard ports:
#	  - NSD (127.0.1.1:53) serving example.test and two delegated zones,
#	    signed now with fresh ECDSAP256SHA256 keys (ldns);
#	  - a validating unbound (127.0.0.1:53), the namespace's resolver
#	    through /etc/netns/<ns>/resolv.conf;
#	  - nginx (127.0.2.1:443, TLS 1.1 only on 127.0.2.2:443) serving the
#	    MTA-STS policy hosts by SNI, good and broken;
#	  - an HTTPS collector of TLS-RPT reports (127.0.2.3:443);
#	  - SMTP MX servers (127.0.3.x:25) with good and broken STARTTLS, and
#	    a report-mail sink.
#	Every file lives under RUNDIR; certificates come from a test CA made
#	now. Prints `export NAME=value` lines on stdout (also kept in
#	RUNDIR/world.env); progress and errors go to stderr. Exits non-zero,
#	after stopping what it started, when anything fails.
#
#	Running it again on a RUNDIR whose world is up prints the same
#	exports. tests/world/down.sh RUNDIR stops it. The domains, hosts and
#	exports are described in tests/world/README.md.
set -euo pipefail

RUNDIR=${1:?usage: up.sh RUNDIR}
mkdir -p "$RUNDIR"
RUNDIR=$(cd "$RUNDIR" && pwd)
export WORLD_RUNDIR=$RUNDIR
case $0 in */*) WORLD_DIR=${0%/*};; *) WORLD_DIR=.;; esac
WORLD_DIR=$(cd "$WORLD_DIR" && pwd)
. "$WORLD_DIR/lib.sh"

MODDIR_TOP=/etc/exim-mtasts-test	# build-exim.sh's LOOKUP_MODULE_DIR is under it

say() { echo "world: $*" >&2; }
# lap WHAT - log the time since the start (stderr)
lap() { ms_since "$started"; say "$MS ms: $*"; }
# ms_since T0 - set MS to the milliseconds since T0 (an EPOCHREALTIME value)
ms_since() { local a=${EPOCHREALTIME/./} b=${1/./}; MS=$(( (a - b) / 1000 )); }
# nap - sleep 20 ms without forking sleep(1): read times out on a silent
# pipe (opened once every server has started, so that none inherits it)
nap() {
    [ -n "${NAP_FD:-}" ] || exec {NAP_FD}<> <(:)
    read -r -t 0.02 -u "$NAP_FD" _ || :
}
die() { say "error: $*"; exit 1; }

# world_is_up - the namespace exists and every recorded server is alive
world_is_up() {
    local ns f
    [ -f "$RUNDIR/world.env" ] && read -r ns < "$RUNDIR/netns" 2>/dev/null || return 1
    [ -e "/run/netns/$ns" ] || return 1
    for f in "$RUNDIR"/pids/*.pid; do
        [ -f "$f" ] && read -r pid < "$f" && kill -0 "$pid" 2>/dev/null || return 1
    done
}

if world_is_up; then
    cat "$RUNDIR/world.env"
    exit 0
fi
"$WORLD_DIR/down.sh" "$RUNDIR" >/dev/null 2>&1 || true

started=$EPOCHREALTIME
# shellcheck disable=SC2154 # rc is set inside the trap
trap 'rc=$?; if [ $rc -ne 0 ]; then say "failed; stopping"; "$WORLD_DIR/down.sh" "$RUNDIR" >&2 || true; fi' EXIT

# --- the module-capable Exim (cached; built here the first time) -----------
EXIM_MODULES=$("$WORLD_DIR/build-exim.sh") || die "tests/world/build-exim.sh failed: no module-capable Exim"
EXIM_CACHE=${EXIM_MODULES%/bin/*}
EXIM_STOCK=/usr/sbin/exim4
[ -x "$EXIM_STOCK" ] || die "$EXIM_STOCK missing (apt-get install exim4-daemon-heavy)"
[ -d "$MODDIR_TOP/lookups" ] || die "$MODDIR_TOP/lookups missing (run tests/world/build-exim.sh as root)"

# --- run dir ------------------------------------------------------------------
# 0755 so that Exim, which drops to Debian-exim, can reach CA and configs.
chmod 0755 "$RUNDIR"
D_CA=$RUNDIR/ca D_DNS=$RUNDIR/dns D_WWW=$RUNDIR/www D_NGX=$RUNDIR/nginx
D_UB=$RUNDIR/unbound D_MX=$RUNDIR/mx D_RPT=$RUNDIR/tlsrpt D_PID=$RUNDIR/pids
D_LOG=$RUNDIR/log D_EXIM=$RUNDIR/exim-etc
rm -rf "$D_CA" "$D_DNS" "$D_WWW" "$D_NGX" "$D_UB" "$D_MX" "$D_RPT" "$D_PID" "$D_LOG" "$D_EXIM"
mkdir -p "$D_PID" "$D_LOG" "$D_EXIM/lookups"
chmod 0755 "$D_PID" "$D_LOG" "$D_EXIM" "$D_EXIM/lookups"

# --- files: certificates, zones, policies, configurations (gen.py, background) --
"$WORLD_PY" "$WORLD_DIR/gen.py" "$RUNDIR" > "$D_LOG/gen.log" 2>&1 &
gen_pid=$!

# --- the namespace (meanwhile) ----------------------------------------------------
printf -v NS 'mtw-%08x%02x' "$SRANDOM" $((SRANDOM % 256))
echo "$NS" > "$RUNDIR/netns"
export WORLD_NETNS=$NS
ip netns add "$NS" || die "ip netns add $NS failed"
mkdir -p "/etc/netns/$NS"
printf 'nameserver 127.0.0.1\noptions edns0 trust-ad\n' > "/etc/netns/$NS/resolv.conf"
# `ip netns exec` bind-mounts this over /etc/exim-mtasts-test: the world's
# own lookup module directory for the module-capable Exim.
ln -sfn "$D_EXIM" "/etc/netns/$NS/exim-mtasts-test"
# Exim drops to Debian-exim: let it bind port 25 inside the namespace.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_unprivileged_port_start=0
lap "namespace"

# --- the servers -------------------------------------------------------------------
# start NAME CMD... - run CMD in the namespace, in the background, logged
start() {
    local name=$1; shift
    ip netns exec "$NS" "$@" </dev/null >"$D_LOG/$name.log" 2>&1 &
    echo $! > "$D_PID/$name.pid"
}
# the SMTP servers and the TLS-RPT collector (rptd.py in a thread of mxd.py):
# Python starts while gen.py works, then waits for the files and addresses
start mxd "$WORLD_PY" "$WORLD_DIR/mxd.py" "$D_MX/servers.json" "$D_MX" "$D_MX/ready" "$D_LOG/go"

wait $gen_pid || { cat "$D_LOG/gen.log" >&2; die "gen.py failed"; }
. "$RUNDIR/world.vars"
[ "$RESOLVER_ADDR" = 127.0.0.1 ] || die "resolv.conf names 127.0.0.1, gen.py says $RESOLVER_ADDR"
{
    echo "link set lo up"
    for a in $ADDRS; do echo "addr add $a/32 dev lo"; done
} > "$RUNDIR/ip.batch"
ip -n "$NS" -batch "$RUNDIR/ip.batch" || die "configuring lo in $NS failed"
: > "$D_LOG/go"
lap "files"

# the HTTPS and SMTP servers need only files: start them while DNS is signed
# (mxd.py, started above, waits for $D_LOG/go)
start nginx nginx -e "$D_NGX/error.log" -p "$D_NGX" -c "$D_NGX/nginx.conf"

# --- DNSSEC: the child zone first, its DS into the parent; insecure unsigned --------
# (gen.py wrote insecure.example.test's zone.signed: it is served unsigned)
kpids=()
for z in "child.$ZONE" "$ZONE"; do
    (cd "$D_DNS/$z" && exec ldns-keygen -a ECDSAP256SHA256 -k "$z" > keyname) &
    kpids+=($!)
done
for p in "${kpids[@]}"; do wait "$p" || die "ldns-keygen failed"; done
read -r key < "$D_DNS/$ZONE/keyname"
read -r ds < "$D_DNS/$ZONE/$key.ds" || die "no DS for $ZONE"
printf '%s\n' "$ds" > "$D_DNS/trust-anchor.ds"
start unbound unbound -d -c "$D_UB/unbound.conf"	# needs only the trust anchor
read -r key < "$D_DNS/child.$ZONE/keyname"
read -r ds < "$D_DNS/child.$ZONE/$key.ds" || die "no DS for child.$ZONE"
printf '%s\n' "$ds" >> "$D_DNS/$ZONE/zone"
world_sign_zone "child.$ZONE" || die "signing child.$ZONE failed"
world_sign_zone "$ZONE" || die "signing $ZONE failed"
lap "signed"
start nsd nsd -d -c "$D_DNS/nsd.conf"

# wait until every server has said it is ready (files: no fork), then until
# every address listens (ss), 5 s at most
n=250
for f in "$D_MX/ready" "$D_NGX/nginx.pid" "$D_DNS/nsd.pid" "$D_UB/unbound.pid"; do
    while [ ! -s "$f" ]; do
        [ -n "${WORLD_DEBUG:-}" ] && lap "waiting for $f"
        for p in "$D_PID"/*.pid; do
            read -r pid < "$p"
            kill -0 "$pid" 2>/dev/null || { p=${p##*/}; tail -n 20 "$D_LOG/${p%.pid}.log" >&2; die "${p%.pid} exited"; }
        done
        n=$((n - 1)); [ $n -gt 0 ] || die "no $f after 5 s"
        nap
    done
done
want="$NSD_ADDR:53 $RESOLVER_ADDR:53 $POLICY_ADDR:443 $POLICY_TLS11_ADDR:443 $TLSRPT_ADDR:443"
for l in "${MX_TABLE[@]}"; do set -- $l; want="$want $3:25"; done
while :; do
    listening=" $(ip netns exec "$NS" ss -Hltn | while read -r _ _ _ local _; do printf '%s ' "$local"; done)"
    missing=""
    for w in $want; do [[ $listening == *" $w "* ]] || missing="$missing $w"; done
    [ -z "$missing" ] && break
    n=$((n - 1)); [ $n -gt 0 ] || die "not listening after 5 s:$missing"
    nap
done
lap "listening"

# --- the exports (README.md says what each is) ------------------------------------
ENV=""
# ex NAME VALUE - add an export line, the value shell-quoted (no fork)
ex() { local v; printf -v v '%q' "$2"; ENV+="export $1=$v"$'\n'; }
ex WORLD_RUNDIR "$RUNDIR"
ex WORLD_NETNS "$NS"
ex WORLD_EXEC "ip netns exec $NS"
ex WORLD_EXEC_SH "$WORLD_DIR/exec.sh"
ex WORLD_LIB "$WORLD_DIR/lib.sh"
ex WORLD_ZONE "$ZONE"
ex WORLD_DNS_ADDR "$NSD_ADDR"
ex WORLD_DNS_PORT 53
ex WORLD_RESOLVER_ADDR "$RESOLVER_ADDR"
ex WORLD_RESOLVER_PORT 53
ex WORLD_TRUST_ANCHOR "$D_DNS/trust-anchor.ds"
ex WORLD_UNBOUND_CONF "$D_DNS/libunbound.conf"
ex WORLD_CA_FILE "$D_CA/ca.crt"
ex WORLD_CA_KEY "$D_CA/ca.key"
ex WORLD_CERT_DIR "$D_CA"
ex WORLD_POLICY_ADDR "$POLICY_ADDR"
ex WORLD_POLICY_TLS11_ADDR "$POLICY_TLS11_ADDR"
ex WORLD_POLICY_REFUSED_ADDR "$REFUSED_ADDR"
ex WORLD_WWW "$D_WWW"
ex WORLD_CONNECT_TO_FILE "$D_NGX/connect-to"
ex WORLD_CONNECT_TO "$CONNECT_TO"
ex WORLD_SET_POLICY "$WORLD_DIR/set-policy.sh"
ex WORLD_TLSRPT_URL "$RUA_HTTPS"
ex WORLD_TLSRPT_ADDR "$TLSRPT_ADDR"
ex WORLD_TLSRPT_DIR "$D_RPT"
ex WORLD_REPORT_RCPT "$REPORT_RCPT"
ex WORLD_DKIM_DOMAIN "reporter.$ZONE"
ex WORLD_DKIM_SELECTOR tlsrpt
ex WORLD_DKIM_KEY "$D_CA/dkim.key"
ex WORLD_MX_DIR "$D_MX"
ex WORLD_MX_HOSTS "$D_MX/hosts"
for l in "${MX_TABLE[@]}"; do
    set -- $l
    ex "WORLD_MX_${1^^}" "$3"
done
ex WORLD_EXIM_STOCK "$EXIM_STOCK"
ex WORLD_EXIM_MODULES "$EXIM_MODULES"
ex WORLD_EXIM_SRC "$EXIM_CACHE/src"
ex WORLD_EXIM_LOOKUP_MODULE_DIR "$D_EXIM/lookups"
ex WORLD_EXIM_LOOKUP_MODULE_DIR_BUILTIN "$MODDIR_TOP/lookups"
printf '%s' "$ENV" > "$RUNDIR/world.env.tmp"
mv "$RUNDIR/world.env.tmp" "$RUNDIR/world.env"
printf '%s' "$ENV"
ms_since "$started"
say "up in $MS ms: namespace $NS, run dir $RUNDIR"
