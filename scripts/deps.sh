#!/bin/sh
# deps.sh - install, with apt-get, every Debian package the build and the
# tests need. Idempotent: installs only what is missing, and says what.
set -eu

PACKAGES="
build-essential clang pkg-config libclang-rt-14-dev
libunbound-dev libcurl4-openssl-dev liblmdb-dev lmdb-utils libssl-dev
libidn2-dev zlib1g-dev libjansson-dev libopendkim-dev opendkim-tools
postfix-mta-sts-resolver python3-uvloop libpsl-dev
dns-root-data ca-certificates openssl
nsd ldnsutils unbound bind9-dnsutils
nginx-light libnginx-mod-http-echo
swaks libnet-ssleay-perl jq python3-aiosmtpd exim4-daemon-heavy
iproute2 valgrind dpkg-dev
libgnutls28-dev libpcre2-dev libdb5.3-dev libidn-dev libidn2-dev patch xz-utils
python3 python3-cryptography curl unbound-host
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps: all $(echo $PACKAGES | wc -w) packages already installed"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
