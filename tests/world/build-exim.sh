#!/usr/bin/env bash
# NAME
#	build-exim.sh - build, once per machine, an Exim 4.96 that loads
#	lookup modules
# SYNOPSIS
#	tests/world/build-exim.sh
#
#	EXIM_MTASTS_CACHE=/var/cache/exim-mtasts/exim-4.96-modules (default)
# DESCRIPTION
#	Debian's exim4 packages are built without LOOKUP_MODULE_DIR, so they
#	cannot load mtasts_lookup.so. This script builds Debian's own exim4
#	source package (apt-get source, Debian's patches and Debian's
#	"heavy" EDITME) with:
#	  LOOKUP_MODULE_DIR=/etc/exim-mtasts-test/lookups
#	  EXTRALIBS_EXIM=-export-dynamic -rdynamic
#	  BIN_DIRECTORY=<cache>/bin (so the default exim_path is this binary)
#	  the one-character fix of Exim bug 2899 in src/drtables.c (NUL->NULL)
#	and without the lookups and authenticators that need database, LDAP,
#	SASL, PAM, SPF or Perl libraries.
#
#	The result goes to the cache directory and is reused by every later
#	call: <cache>/bin/exim (the binary), <cache>/src (the configured
#	source tree, for Exim's headers), <cache>/build-info. Concurrent
#	calls are serialised by flock on <cache>.lock.
#
#	The module directory is under /etc on purpose: `ip netns exec NS`
#	bind-mounts each entry of /etc/netns/NS/ over /etc/, so every test
#	world maps /etc/exim-mtasts-test to a directory of its own run dir
#	(tests/world/up.sh) and several worlds never share a module. The
#	script creates an empty /etc/exim-mtasts-test/lookups as the mount
#	point (and so that Exim outside a world finds the directory).
#
#	Prints the binary's path on stdout; progress and errors on stderr.
#	Needs root (apt-get) the first time only.
set -euo pipefail

RECIPE=3	# bump when the recipe changes: forces a rebuild
CACHE=${EXIM_MTASTS_CACHE:-/var/cache/exim-mtasts/exim-4.96-modules}
MODDIR_TOP=/etc/exim-mtasts-test
MODDIR=$MODDIR_TOP/lookups
UPSTREAM=4.96
SRC_LIST=/etc/apt/sources.list.d/exim-mtasts-src.sources

say() { echo "build-exim: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ensure_moddir - the machine-wide mount point of the per-world module dir
ensure_moddir() {
    [ -d "$MODDIR" ] && return 0
    mkdir -p "$MODDIR" 2>/dev/null || die "cannot create $MODDIR (run once as root)"
}

# cached - true when the cache holds a build of this recipe
cached() {
    [ -x "$CACHE/bin/exim" ] && [ -f "$CACHE/build-info" ] &&
        grep -qx "recipe=$RECIPE" "$CACHE/build-info"
}

if cached; then
    ensure_moddir
    echo "$CACHE/bin/exim"
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "no cached build in $CACHE, and building needs root"
mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
flock 9
if cached; then		# another process built it while we waited
    ensure_moddir
    echo "$CACHE/bin/exim"
    exit 0
fi
ensure_moddir

# deb-src lines of our own, for bookworm and its updates
srcs=$(apt-cache showsrc exim4 2>/dev/null || true)
if ! grep -q "^Version: $UPSTREAM-" <<<"$srcs"; then
    say "adding $SRC_LIST and running apt-get update"
    cat > "$SRC_LIST" <<'EOF'
# deb-src for tests/world/build-exim.sh of exim-mtasts (a module-capable Exim)
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q >&2 || die "apt-get update failed"
fi

work=$(mktemp -d "$(dirname "$CACHE")/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# The installed version first, then every other 4.96 the mirrors offer
# (a security mirror may list a version it no longer serves).
installed=$(dpkg-query -W -f='${Version}' exim4-base 2>/dev/null || true)
versions=$( { [ -n "$installed" ] && echo "$installed";
              apt-cache showsrc exim4 | sed -n 's/^Version: //p' | sort -rV; } |
            grep "^$UPSTREAM-" | awk '!seen[$0]++')
got=""
for v in $versions; do
    say "fetching exim4 $v source"
    if apt-get source -q "exim4=$v" >apt-source.log 2>&1; then got=$v; break; fi
    rm -rf exim4-* exim4_*
done
[ -n "$got" ] || { cat apt-source.log >&2; die "apt-get source exim4 failed for: $versions"; }
src=$(find . -maxdepth 1 -type d -name "exim4-$UPSTREAM*" | head -n 1)
[ -n "$src" ] || die "no exim4-$UPSTREAM source tree after apt-get source"
cd "$src"

# Exim bug 2899: 4.96 passes NUL (a char) where a pointer is expected and
# the module loader does not compile.
sed -i 's/regex_match(regex_islookupmod, US name, len, NUL))/regex_match(regex_islookupmod, US name, len, NULL))/' src/drtables.c
grep -q 'regex_islookupmod, US name, len, NULL)' src/drtables.c || die "bug 2899 fix did not apply"

# Debian's heavy configuration, as debian/rules makes it ...
patch -s -o EDITME.light src/EDITME debian/EDITME.exim4-light.diff
patch -s -o EDITME.heavy EDITME.light debian/EDITME.exim4-heavy.diff
mkdir -p Local
# ... less what needs libraries the tests do not use ...
sed -E \
    -e '/^LOOKUP_(LDAP|MYSQL|NIS|PGSQL|SQLITE)=/d' \
    -e '/^LIBS \+= -lnsl/d' -e '/^LDAP_LIB_TYPE=/d' \
    -e '/^LOOKUP_(INCLUDE|LIBS)=/d' \
    -e '/^AUTH_CYRUS_SASL=/d' -e '/^AUTH_LIBS=/d' -e '/^CYRUS_SASLAUTHD_SOCKET=/d' \
    -e '/^EXIM_PERL=/d' -e '/^SUPPORT_PAM=/d' -e '/^EXTRALIBS=/d' \
    -e '/^SUPPORT_SPF=/d' -e '/^LDFLAGS \+= -lspf2/d' \
    -e 's|^BIN_DIRECTORY=.*|BIN_DIRECTORY='"$CACHE"'/bin|' \
    EDITME.heavy > Local/Makefile
# ... plus module loading.
cat >> Local/Makefile <<EOF

# exim-mtasts tests/world/build-exim.sh
LOOKUP_MODULE_DIR=$MODDIR
CFLAGS_DYNAMIC=-shared -rdynamic -fPIC
EXTRALIBS_EXIM=-export-dynamic -rdynamic
EOF
cp EDITME.heavy Local/Makefile.debian-heavy

say "building (make -j2)"
if ! make -j2 FULLECHO='' >build.log 2>&1; then
    tail -n 40 build.log >&2
    die "make failed (log: $PWD/build.log, kept)"
fi
bin=$(ls -d build-*/exim | head -n 1)
[ -x "$bin" ] || die "no exim binary after make"
"$bin" -bV -C /dev/null >/dev/null 2>&1 || true

# Install into the cache: bin/ with the binary and its utilities, src/ the tree.
stage="$CACHE.new.$$"
rm -rf "$stage"
mkdir -p "$stage/bin"
bdir=$(dirname "$bin")
for f in exim exim_dbmbuild exim_dumpdb exim_fixdb exim_tidydb exim_lock exinext exiwhat exiqgrep exigrep eximstats; do
    [ -f "$bdir/$f" ] && cp "$bdir/$f" "$stage/bin/"
done
cd "$work"
mv "$src" "$stage/src"
{
    echo "recipe=$RECIPE"
    echo "debian_version=$got"
    echo "lookup_module_dir=$MODDIR"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$stage/build-info"
rm -rf "$CACHE.old"
[ -e "$CACHE" ] && mv "$CACHE" "$CACHE.old"
mv "$stage" "$CACHE"
rm -rf "$CACHE.old"
say "built Exim $got with LOOKUP_MODULE_DIR=$MODDIR in $CACHE"
echo "$CACHE/bin/exim"
