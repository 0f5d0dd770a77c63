#!/usr/bin/env bash
# Builds the static-musl toolchain pieces of kdumpkit into OUTDIR:
#
#   OUTDIR/uapi/            symlinks to the Linux UAPI headers (-idirafter)
#   OUTDIR/lib/libglibcshim.a   glibc-only symbols Debian's libstdc++ needs
#   OUTDIR/prefix/          zstd, OpenSSL 3, libcurl (HTTP/HTTPS), zlib, lzo2,
#                           libssh2 (OpenSSL backend, for sftp:// and ssh://):
#                           static libraries + headers, compiled with musl
#                           from Debian's source packages
#   OUTDIR/versions.txt     "name version" of every third-party library
#   OUTDIR/versions.h       #define KDK_DEP_VERSIONS "..."
#   OUTDIR/sources.txt      which Debian source package each one came from
#   OUTDIR/smoke            toolchain smoke test (built with musl.cmake, run)
#   OUTDIR/logs/            one log per step
#
# Usage: toolchain/build.sh OUTDIR
#
# Every step is stamped (OUTDIR/.stamps) with a key made of its inputs, so a
# second run with nothing changed only compares one fingerprint.
# The library sources are the Debian source packages locked in
# toolchain/sources.lock (fetched and verified by toolchain/sources.sh, with a
# fallback when the mirror lacks a locked version); downloads are kept in
# ${KDUMPKIT_CACHE:-~/.cache/kdumpkit}/sources and survive `rm -rf build`.
# `toolchain/sources.sh lock` moves the lock to newer versions.
# (the whole script is one compound command, so bash parses it completely
# before running: editing it during a build cannot derail the build)
{
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi

TC_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mkdir -p "$1"
OUT=$(cd "$1" && pwd -P)
CACHE=${KDUMPKIT_CACHE:-${HOME:-/root}/.cache/kdumpkit}
STAMPS=$OUT/.stamps
LOGS=$OUT/logs
PREFIX=$OUT/prefix
JOBS=$(nproc 2>/dev/null || echo 2)

# The Debian packages whose versions decide what the compiler produces.
COMPILER_PKGS=(gcc-12 g++-12 libstdc++-12-dev libgcc-12-dev musl musl-dev
  linux-libc-dev binutils cmake)

log() { printf 'toolchain: %s\n' "$*"; }
die() {
  printf 'toolchain: ERROR: %s\n' "$*" >&2
  exit 1
}
sha() { sha256sum | cut -c1-64; }

# ---------------------------------------------------------------------------
# Fast path: one fingerprint over every input of this script.
fingerprint() {
  (
    cd "$TC_SRC"
    find . -type f ! -name '*~' ! -name '.*' -print0 | LC_ALL=C sort -z |
      xargs -0 sha256sum
    dpkg-query -W -f='${Package} ${Version}\n' "${COMPILER_PKGS[@]}" 2>&1
    if [ -f "$STAMPS/resolved" ]; then cat "$STAMPS/resolved"; fi
  ) | sha
}

FP=$(fingerprint)
if [ -f "$STAMPS/complete" ] && [ "$(cat "$STAMPS/complete")" = "$FP" ] &&
  [ -x "$OUT/smoke" ] && [ -f "$OUT/versions.h" ]; then
  log "up to date ($OUT)"
  exit 0
fi
rm -f "$STAMPS/complete"
mkdir -p "$STAMPS" "$LOGS" "$PREFIX/lib" "$PREFIX/include" "$OUT/lib" "$CACHE"

for tool in musl-gcc g++-12 make perl dpkg-source apt-get file nm readelf cmake autoreconf; do
  command -v "$tool" >/dev/null ||
    die "'$tool' not found; install toolchain/packages.txt (scripts/install-deps.sh)"
done
COMPILER_ID=$(dpkg-query -W -f='${Package} ${Version}\n' "${COMPILER_PKGS[@]}" 2>&1 | sha)

# run_step NAME KEY FUNCTION: runs FUNCTION (output to logs/NAME.log) unless
# the stamp of NAME already holds KEY. Prints one line; on failure the log's
# tail and exits.
run_step() {
  local name=$1 key=$2 fn=$3 rc start
  if [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$key" ]; then
    log "$name: cached"
    return 0
  fi
  rm -f "$STAMPS/$name"
  start=$SECONDS
  set +e
  (
    set -euo pipefail
    "$fn"
  ) >"$LOGS/$name.log" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    printf 'toolchain: %s FAILED (exit %d), last lines of %s:\n' "$name" $rc "$LOGS/$name.log" >&2
    tail -n 40 "$LOGS/$name.log" | sed 's/^/  | /' >&2
    exit 1
  fi
  echo "$key" >"$STAMPS/$name"
  log "$name: done ($((SECONDS - start)) s)"
}

# key_of NAME PARTS...: a step key from the step's function bodies and
# whatever else is passed.
key_of() {
  local f
  {
    for f in "$@"; do
      if declare -F -- "$f" >/dev/null 2>&1; then declare -f -- "$f"; else echo "$f"; fi
    done
    echo "$COMPILER_ID"
  } | sha
}

# ---------------------------------------------------------------------------
# 1. Linux UAPI headers for musl builds (used with -idirafter).
step_uapi() {
  local d=$OUT/uapi
  rm -rf "$d.tmp"
  mkdir -p "$d.tmp"
  ln -s /usr/include/linux "$d.tmp/linux"
  ln -s /usr/include/x86_64-linux-gnu/asm "$d.tmp/asm"
  ln -s /usr/include/asm-generic "$d.tmp/asm-generic"
  ln -s /usr/include/mtd "$d.tmp/mtd"
  for l in "$d.tmp"/*; do
    [ -d "$l/" ] || { echo "missing $(readlink "$l") (linux-libc-dev)"; exit 1; }
  done
  rm -rf "$d"
  mv "$d.tmp" "$d"
}
run_step uapi "$(key_of step_uapi)" step_uapi

# ---------------------------------------------------------------------------
# 2. Source packages: the versions locked in sources.lock, or the fallback
#    sources.sh chooses (and says so) when the mirror lacks a locked one.
SRCCACHE=$CACHE/sources
# Debian source package -> library name used in versions.txt
SRC_PKGS=(libzstd openssl curl zlib lzo2 libssh2)
declare -A LIB_OF=([libzstd]=zstd [openssl]=openssl [curl]=curl [zlib]=zlib [lzo2]=lzo [libssh2]=libssh2)

if KDK_SOURCE_PACKAGES="${SRC_PKGS[*]}" "$TC_SRC/sources.sh" fetch "$STAMPS/resolved.new" 2>"$LOGS/sources.log"; then
  cat "$LOGS/sources.log" | sed 's/^sources: /toolchain: /'
  mv "$STAMPS/resolved.new" "$STAMPS/resolved"
else
  printf 'toolchain: sources FAILED, %s:\n' "$LOGS/sources.log" >&2
  tail -n 40 "$LOGS/sources.log" | sed 's/^/  | /' >&2
  exit 1
fi
log "sources: $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' "$STAMPS/resolved")"
FP=$(fingerprint) # it covers the resolved versions
declare -A SRC_VER SRC_FILES
while read -r src ver; do
  SRC_VER[$src]=$ver
  SRC_FILES[$src]=$(sha <"$SRCCACHE/${src}_${ver}/files")
done <"$STAMPS/resolved"

# unpack SRC: a fresh source tree for SRC in $OUT/build/LIB, Debian's
# patches applied; prints its path.
unpack() {
  local src=$1 ver=${SRC_VER[$1]} lib=${LIB_OF[$1]} tree
  tree=$OUT/build/$lib
  rm -rf "$tree"
  mkdir -p "$OUT/build"
  dpkg-source -x "$SRCCACHE/${src}_${ver}"/*.dsc "$tree" >&2
  echo "$tree"
}

# ---------------------------------------------------------------------------
# 3. Third-party libraries, compiled with musl into $PREFIX.
DEP_CFLAGS="-O2 -pipe -ffunction-sections -fdata-sections -fstack-protector-strong -idirafter $OUT/uapi"
export CC=musl-gcc

build_zstd() {
  local t
  t=$(unpack libzstd)
  make -C "$t/lib" -j"$JOBS" libzstd.a-mt CC=musl-gcc CFLAGS="$DEP_CFLAGS"
  install -m 644 "$t/lib/libzstd.a" "$PREFIX/lib/libzstd.a"
  install -m 644 "$t/lib/zstd.h" "$t/lib/zstd_errors.h" "$t/lib/zdict.h" "$PREFIX/include/"
}

build_zlib() {
  local t
  t=$(unpack zlib)
  cd "$t"
  CFLAGS="$DEP_CFLAGS" ./configure --static --prefix="$PREFIX"
  make -j"$JOBS" libz.a
  install -m 644 libz.a "$PREFIX/lib/libz.a"
  install -m 644 zlib.h zconf.h "$PREFIX/include/"
}

build_lzo() {
  local t
  t=$(unpack lzo2)
  cd "$t"
  CFLAGS="$DEP_CFLAGS" ./configure --disable-shared --enable-static --prefix="$PREFIX"
  make -j"$JOBS" src/liblzo2.la
  install -m 644 src/.libs/liblzo2.a "$PREFIX/lib/liblzo2.a"
  mkdir -p "$PREFIX/include/lzo"
  install -m 644 include/lzo/*.h "$PREFIX/include/lzo/"
}

build_openssl() {
  local t
  t=$(unpack openssl)
  cd "$t"
  # --openssldir=/etc/ssl: default CA file/dir are /etc/ssl/cert.pem and
  # /etc/ssl/certs, as on Debian. no-async: musl has no ucontext.
  ./Configure linux-x86_64 no-shared no-module no-engine no-dso no-tests \
    no-async no-afalgeng no-ui-console \
    --prefix="$PREFIX" --libdir=lib --openssldir=/etc/ssl \
    $DEP_CFLAGS
  make -j"$JOBS" build_libs
  make install_dev
}

build_curl() {
  local t
  t=$(unpack curl)
  cd "$t"
  # Like debian/rules for the OpenSSL flavour (libcurl4): take back the last
  # two patches of the series, which turn the library into libcurl-gnutls
  # and libcurl-nss.
  if [ -f debian/patches/series ]; then
    local p
    for p in $(sed 's/#.*//' debian/patches/series | awk 'NF {print $1}' | tail -n 2 | tac); do
      case $p in
        *gnutls* | *nss*) patch -R -p1 <"debian/patches/$p" ;;
        *) echo "unexpected end of curl's patch series: $p"; return 1 ;;
      esac
    done
  fi
  # Debian's patches edit configure.ac and Makefile.am.
  autoreconf -fi
  CFLAGS="$DEP_CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib -static" \
    ./configure --disable-shared --enable-static --prefix="$PREFIX" \
    --with-openssl="$PREFIX" --with-zstd="$PREFIX" --with-zlib="$PREFIX" \
    --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps \
    --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
    --disable-pop3 --disable-imap --disable-smb --disable-smtp \
    --disable-gopher --disable-mqtt --disable-websockets --disable-manual \
    --disable-ntlm-wb --disable-versioned-symbols --disable-ares \
    --enable-threaded-resolver --enable-ipv6 \
    --without-libpsl --without-brotli --without-nghttp2 --without-nghttp3 \
    --without-ngtcp2 --without-quiche --without-msh3 --without-libidn2 \
    --without-libssh2 --without-libssh --without-wolfssh --without-librtmp \
    --without-libgsasl --without-hyper --without-gssapi \
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
    --with-ca-path=/etc/ssl/certs
  make -C lib -j"$JOBS"
  make -C lib install
  make -C include install
  [ -f "$PREFIX/lib/libcurl.a" ] || { echo "libcurl.a was not installed"; return 1; }
  rm -f "$PREFIX/lib/libcurl.la" "$PREFIX"/lib/libcurl-*.a "$PREFIX"/lib/libcurl-*.la
  # Refuse a build that grew protocols beyond HTTP(S).
  local protos
  protos=$(grep -o '^SUPPORT_PROTOCOLS *= *.*' Makefile | sed 's/^[^=]*= *//')
  echo "protocols: $protos"
  [ "$(echo "$protos" | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')" = "HTTP HTTPS " ] ||
    { echo "unexpected curl protocols: $protos"; return 1; }
}

build_libssh2() {
  local t
  t=$(unpack libssh2)
  cd "$t"
  # The OpenSSL backend (Ed25519, ECDSA, RSA, AES-CTR, HMAC-SHA2); no zlib
  # transport compression: the dump is compressed already. Only the
  # library is built (not the examples or tests).
  CFLAGS="$DEP_CFLAGS" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib -static" LIBS="-lpthread" \
    ./configure --disable-shared --enable-static --prefix="$PREFIX" \
    --with-crypto=openssl --with-libssl-prefix="$PREFIX" --without-libz \
    --disable-examples-build --disable-debug
  make -C src -j"$JOBS" libssh2.la
  install -m 644 src/.libs/libssh2.a "$PREFIX/lib/libssh2.a"
  install -m 644 include/libssh2.h include/libssh2_sftp.h include/libssh2_publickey.h "$PREFIX/include/"
  # The backend the SSH targets rely on (the smoke test checks the
  # algorithms: ssh-ed25519, ecdsa-sha2-nistp256, aes256-ctr).
  grep -q '^#define LIBSSH2_OPENSSL 1' src/libssh2_config.h || { echo "libssh2 without the OpenSSL backend"; return 1; }
}

dep_key() { # dep_key SRC FUNCTION [OTHER-KEYS...]
  local src=$1
  shift
  key_of "$src ${SRC_VER[$src]} ${SRC_FILES[$src]}" "$DEP_CFLAGS" unpack "$@"
}
K_ZSTD=$(dep_key libzstd build_zstd)
K_ZLIB=$(dep_key zlib build_zlib)
K_LZO=$(dep_key lzo2 build_lzo)
K_OPENSSL=$(dep_key openssl build_openssl)
K_CURL=$(dep_key curl build_curl "$K_OPENSSL" "$K_ZSTD" "$K_ZLIB")
K_LIBSSH2=$(dep_key libssh2 build_libssh2 "$K_OPENSSL")
run_step zstd "$K_ZSTD" build_zstd
run_step zlib "$K_ZLIB" build_zlib
run_step lzo "$K_LZO" build_lzo
run_step openssl "$K_OPENSSL" build_openssl
run_step curl "$K_CURL" build_curl
run_step libssh2 "$K_LIBSSH2" build_libssh2

# ---------------------------------------------------------------------------
# 4. glibc shims for libstdc++ and the symbol check.
build_shims() {
  local o=$OUT/build/shims
  mkdir -p "$o"
  musl-gcc -std=c11 -O2 -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
    -c "$TC_SRC/shims/glibc_shims.c" -o "$o/glibc_shims.o"
  rm -f "$OUT/lib/libglibcshim.a"
  ar rcs "$OUT/lib/libglibcshim.a" "$o/glibc_shims.o"
}
K_SHIMS=$(key_of build_shims "$(sha256sum <"$TC_SRC/shims/glibc_shims.c")")
run_step shims "$K_SHIMS" build_shims

check_symbols() {
  "$TC_SRC/check-libstdcxx-symbols.sh" "$OUT/lib/libglibcshim.a"
}
K_SYMS=$(key_of check_symbols "$K_SHIMS" \
  "$(cat "$TC_SRC/check-libstdcxx-symbols.sh" "$TC_SRC/unshimmed-symbols.txt" | sha)")
run_step symbols "$K_SYMS" check_symbols

# ---------------------------------------------------------------------------
# 5. versions.txt / versions.h / sources.txt, read from the installed headers.
write_versions() {
  local inc=$PREFIX/include zstd ossl curl zlib lzo libssh2 musl gcc
  zstd=$(awk '/#define ZSTD_VERSION_(MAJOR|MINOR|RELEASE)[ \t]/ {v = v (v == "" ? "" : ".") $3} END {print v}' "$inc/zstd.h")
  ossl=$(sed -n 's/^# *define OPENSSL_VERSION_STR "\(.*\)"/\1/p' "$inc/openssl/opensslv.h")
  curl=$(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"/\1/p' "$inc/curl/curlver.h")
  zlib=$(sed -n 's/^#define ZLIB_VERSION "\(.*\)"/\1/p' "$inc/zlib.h")
  lzo=$(sed -n 's/^#define LZO_VERSION_STRING[ \t]*"\(.*\)"/\1/p' "$inc/lzo/lzoconf.h")
  libssh2=$(sed -n 's/^#define LIBSSH2_VERSION[ \t]*"\(.*\)"/\1/p' "$inc/libssh2.h")
  musl=$(dpkg-query -W -f='${Version}' musl-dev | sed 's/-[^-]*$//')
  gcc=$(g++-12 -dumpfullversion)
  for v in zstd ossl curl zlib lzo libssh2 musl gcc; do
    [ -n "${!v}" ] || { echo "could not determine the version of $v"; return 1; }
  done
  printf '%s %s\n' zstd "$zstd" openssl "$ossl" curl "$curl" zlib "$zlib" lzo "$lzo" \
    libssh2 "$libssh2" musl "$musl" gcc "$gcc" >"$OUT/versions.txt"
  {
    echo "/* generated by toolchain/build.sh */"
    echo "#ifndef KDK_TOOLCHAIN_VERSIONS_H_INCLUDED"
    echo "#define KDK_TOOLCHAIN_VERSIONS_H_INCLUDED"
    echo "#define KDK_DEP_VERSIONS \"zstd $zstd, OpenSSL $ossl, curl $curl, zlib $zlib, lzo $lzo, libssh2 $libssh2, musl $musl\""
    echo "#endif"
  } >"$OUT/versions.h"
  {
    echo "# library  debian-source-package  debian-version (Debian's patches applied)"
    local src
    for src in "${SRC_PKGS[@]}"; do
      echo "${LIB_OF[$src]} $src ${SRC_VER[$src]}"
    done
  } >"$OUT/sources.txt"
  cat "$OUT/versions.txt"
}
run_step versions "$(key_of write_versions "$K_ZSTD$K_ZLIB$K_LZO$K_OPENSSL$K_CURL$K_LIBSSH2")" write_versions

# ---------------------------------------------------------------------------
# 6. Smoke test: a CMake project built with musl.cmake exactly as the
#    product is, run, and checked to be static.
build_smoke() {
  local b=$OUT/build/smoke
  rm -rf "$b"
  cmake -S "$TC_SRC/smoke" -B "$b" \
    -DCMAKE_TOOLCHAIN_FILE="$TC_SRC/musl.cmake" \
    -DKDK_TOOLCHAIN_DIR="$OUT" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$b" -j "$JOBS" -- VERBOSE=1
  cp "$b/kdk_smoke" "$OUT/smoke.tmp"
  echo "== run"
  local out
  out=$("$OUT/smoke.tmp")
  echo "$out"
  [ "$(echo "$out" | tail -n 1)" = OK ] || { echo "smoke test did not print OK"; return 1; }
  echo "== run the C-only program"
  [ "$("$b/kdk_smoke_c")" = OK ] || { echo "kdk_smoke_c did not print OK"; return 1; }
  echo "== check-static-binary"
  "$TC_SRC/check-static-binary.sh" "$OUT/smoke.tmp"
  "$TC_SRC/check-static-binary.sh" "$b/kdk_smoke_c"
  mv "$OUT/smoke.tmp" "$OUT/smoke"
  ls -l "$OUT/smoke"
}
K_SMOKE=$(key_of build_smoke "$K_SYMS" "$K_CURL$K_LZO$K_LIBSSH2" \
  "$(cat "$TC_SRC/musl.cmake" "$TC_SRC/check-static-binary.sh" "$TC_SRC/shims/glibc_compat.h" | sha)" \
  "$(find "$TC_SRC/smoke" -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha)")
run_step smoke "$K_SMOKE" build_smoke

echo "$FP" >"$STAMPS/complete"
log "ready in $OUT ($(tr '\n' ' ' <"$OUT/versions.txt" | sed 's/ $//'))"
exit 0
}
