#!/usr/bin/env bash
# Builds the static-musl toolchain pieces of kdumpkit into OUTDIR:
#
#   OUTDIR/uapi/            symlinks to the Linux UAPI headers (-idirafter)
#   OUTDIR/lib/libglibcshim.a   glibc-only symbols Debian's libstdc++ needs
#   OUTDIR/prefix/          zstd, OpenSSL 3, libcurl (HTTP/HTTPS), zlib, lzo2:
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
# Downloaded source packages are kept in ${KDUMPKIT_CACHE:-~/.cache/kdumpkit}
# and survive `rm -rf build`. Source versions are resolved from the Debian
# archive once per OUTDIR; KDUMPKIT_REFRESH_SOURCES=1 resolves them again
# (e.g. to pick up a security update).
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
    [ -f "$STAMPS/resolved" ] && cat "$STAMPS/resolved"
    echo "refresh=${KDUMPKIT_REFRESH_SOURCES:-0}"
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
# 2. Source packages, through a private apt state (the system's apt
#    configuration and lists are never touched).
APTDIR=$CACHE/apt
SRCCACHE=$CACHE/sources
# Debian source package -> library name used in versions.txt
SRC_PKGS=(libzstd openssl curl zlib lzo2)
declare -A LIB_OF=([libzstd]=zstd [openssl]=openssl [curl]=curl [zlib]=zlib [lzo2]=lzo)

APT_OPTS=(
  -o "Dir::Etc::SourceList=$APTDIR/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$APTDIR/lists"
  -o "Dir::Cache=$APTDIR/cache"
  -o "Acquire::Languages=none"
  -o "APT::Get::Only-Source=true"
)
[ "$(id -u)" = 0 ] && APT_OPTS+=(-o "APT::Sandbox::User=root")

# deb-src lines for every "deb" entry of the system's sources, deb822
# (*.sources) and one-line (*.list) formats.
write_private_sources() {
  local f
  {
    echo "# generated by kdumpkit toolchain/build.sh from /etc/apt"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk '
        function flush() {
          if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && uris != "" && suites != "") {
            opt = (signed ~ /^\//) ? "[signed-by=" signed "] " : ""
            nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
            for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
              if (u[i] != "" && s[j] != "") print "deb-src " opt u[i] " " s[j] " " comps
          }
          types = uris = suites = comps = signed = enabled = ""; key = ""
        }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { next }   # continuation lines (inline keys) are skipped
        {
          k = tolower($0); sub(/:.*/, "", k)
          v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
          if (k == "types") types = v
          else if (k == "uris") uris = v
          else if (k == "suites") suites = v
          else if (k == "components") comps = v
          else if (k == "signed-by") signed = v
          else if (k == "enabled") enabled = tolower(v)
        }
        END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      sed -n 's/^[ \t]*deb\([ \t]\)/deb-src\1/p' "$f"
    done
  } | awk '!seen[$0]++'
}

# Prints "srcpkg version" for the highest candidate of each package.
resolve_versions() {
  local src v best
  for src in "${SRC_PKGS[@]}"; do
    best=
    while read -r v; do
      if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
    done < <(apt-cache "${APT_OPTS[@]}" showsrc --only-source "$src" 2>/dev/null |
      sed -n 's/^Version: //p')
    [ -n "$best" ] || { echo "no source package '$src' in $APTDIR/sources.list" >&2; return 1; }
    echo "$src $best"
  done
}

# fetch_source SRC VERSION: makes $SRCCACHE/SRC_VERSION/ hold the verified
# files apt could get, and a file "mode": "dsc" (complete Debian source
# package) or "orig" (only the upstream tarball could be downloaded).
fetch_source() {
  local src=$1 ver=$2 dir tmp _url file _size hash have_dsc=0 have_orig=0 missing=0
  dir=$SRCCACHE/${src}_${ver}
  [ -f "$dir/mode" ] && return 0
  tmp=$SRCCACHE/.tmp.${src}.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # The manifest's hashes come from the signed Sources index.
  apt-get "${APT_OPTS[@]}" source --download-only --print-uris "$src=$ver" |
    grep "^'" >"$tmp/manifest" || { echo "apt-get --print-uris failed for $src=$ver"; return 1; }
  echo "== apt-get source --download-only $src=$ver"
  (cd "$tmp" && apt-get "${APT_OPTS[@]}" source --download-only "$src=$ver") ||
    echo "apt-get source exited $? (some files unavailable); checking what arrived"
  while read -r _url file _size hash; do
    hash=${hash#SHA256:}
    if [ ! -f "$tmp/$file" ]; then
      echo "not downloaded: $file"
      missing=1
      continue
    fi
    if [ "$(sha256sum <"$tmp/$file" | cut -c1-64)" != "$hash" ]; then
      echo "SHA256 mismatch: $file"
      return 1
    fi
    echo "verified: $file"
    case $file in
      *.dsc) have_dsc=1 ;;
      *.orig.tar.*.asc) ;;
      *.orig.tar.*) have_orig=1 ;;
    esac
  done < <(sed "s/^'\([^']*\)'/\1/" "$tmp/manifest")
  if [ $have_dsc = 1 ] && [ $missing = 0 ]; then
    echo dsc >"$tmp/mode"
  elif [ $have_orig = 1 ]; then
    echo "only the upstream tarball of $src $ver is available: building it without Debian's patches"
    echo orig >"$tmp/mode"
  else
    echo "neither a complete source package nor the upstream tarball of $src $ver could be fetched"
    return 1
  fi
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

step_sources() {
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$SRCCACHE"
  exec 9>"$CACHE/.lock"
  flock 9
  write_private_sources >"$APTDIR/sources.list.new"
  echo "== private sources list"
  cat "$APTDIR/sources.list.new"
  grep -q '^deb-src ' "$APTDIR/sources.list.new" || { echo "no deb entries in /etc/apt"; return 1; }
  mv "$APTDIR/sources.list.new" "$APTDIR/sources.list"
  echo "== apt-get update (private lists in $APTDIR)"
  if ! apt-get "${APT_OPTS[@]}" update; then
    if ls "$APTDIR"/lists/*Sources* >/dev/null 2>&1; then
      echo "apt-get update failed; continuing with the previously fetched lists"
    else
      return 1
    fi
  fi
  resolve_versions >"$STAMPS/resolved.new"
  echo "== resolved"
  cat "$STAMPS/resolved.new"
  local src ver
  while read -r src ver; do
    fetch_source "$src" "$ver"
    echo "$src $ver $(cat "$SRCCACHE/${src}_${ver}/mode")"
  done <"$STAMPS/resolved.new"
  mv "$STAMPS/resolved.new" "$STAMPS/resolved"
}

sources_ok() {
  local src ver
  [ -f "$STAMPS/resolved" ] || return 1
  while read -r src ver; do
    [ -f "$SRCCACHE/${src}_${ver}/mode" ] || return 1
  done <"$STAMPS/resolved"
}
if [ "${KDUMPKIT_REFRESH_SOURCES:-0}" = 0 ] && sources_ok; then
  log "sources: cached ($(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' "$STAMPS/resolved"))"
else
  rm -f "$STAMPS/sources"
  run_step sources "fetched" step_sources
  FP=$(fingerprint) # it covers the resolved versions
fi
declare -A SRC_VER SRC_MODE
while read -r src ver; do
  SRC_VER[$src]=$ver
  SRC_MODE[$src]=$(cat "$SRCCACHE/${src}_${ver}/mode")
done <"$STAMPS/resolved"

# unpack SRC: a fresh source tree for SRC in $OUT/build/LIB; prints its path.
unpack() {
  local src=$1 ver=${SRC_VER[$1]} lib=${LIB_OF[$1]} dir tree
  dir=$SRCCACHE/${src}_${ver}
  tree=$OUT/build/$lib
  rm -rf "$tree" "$tree.unpack"
  mkdir -p "$OUT/build"
  if [ "${SRC_MODE[$src]}" = dsc ]; then
    dpkg-source -x "$dir"/*.dsc "$tree" >&2
  else
    mkdir -p "$tree.unpack"
    local orig='' f
    for f in "$dir"/*.orig.tar.*; do
      case $f in *.asc) ;; *) orig=$f ;; esac
    done
    [ -n "$orig" ] || { echo "no upstream tarball in $dir" >&2; return 1; }
    tar -xf "$orig" -C "$tree.unpack"
    [ "$(ls "$tree.unpack" | wc -l)" = 1 ] || { echo "unexpected layout of $orig" >&2; return 1; }
    mv "$tree.unpack"/* "$tree"
    rmdir "$tree.unpack"
  fi
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

dep_key() { # dep_key SRC FUNCTION [OTHER-KEYS...]
  local src=$1
  shift
  key_of "$src ${SRC_VER[$src]} ${SRC_MODE[$src]}" "$DEP_CFLAGS" unpack "$@"
}
K_ZSTD=$(dep_key libzstd build_zstd)
K_ZLIB=$(dep_key zlib build_zlib)
K_LZO=$(dep_key lzo2 build_lzo)
K_OPENSSL=$(dep_key openssl build_openssl)
K_CURL=$(dep_key curl build_curl "$K_OPENSSL" "$K_ZSTD" "$K_ZLIB")
run_step zstd "$K_ZSTD" build_zstd
run_step zlib "$K_ZLIB" build_zlib
run_step lzo "$K_LZO" build_lzo
run_step openssl "$K_OPENSSL" build_openssl
run_step curl "$K_CURL" build_curl

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
  local inc=$PREFIX/include zstd ossl curl zlib lzo musl gcc
  zstd=$(awk '/#define ZSTD_VERSION_(MAJOR|MINOR|RELEASE)[ \t]/ {v = v (v == "" ? "" : ".") $3} END {print v}' "$inc/zstd.h")
  ossl=$(sed -n 's/^# *define OPENSSL_VERSION_STR "\(.*\)"/\1/p' "$inc/openssl/opensslv.h")
  curl=$(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"/\1/p' "$inc/curl/curlver.h")
  zlib=$(sed -n 's/^#define ZLIB_VERSION "\(.*\)"/\1/p' "$inc/zlib.h")
  lzo=$(sed -n 's/^#define LZO_VERSION_STRING[ \t]*"\(.*\)"/\1/p' "$inc/lzo/lzoconf.h")
  musl=$(dpkg-query -W -f='${Version}' musl-dev | sed 's/-[^-]*$//')
  gcc=$(g++-12 -dumpfullversion)
  for v in zstd ossl curl zlib lzo musl gcc; do
    [ -n "${!v}" ] || { echo "could not determine the version of $v"; return 1; }
  done
  printf '%s %s\n' zstd "$zstd" openssl "$ossl" curl "$curl" zlib "$zlib" lzo "$lzo" \
    musl "$musl" gcc "$gcc" >"$OUT/versions.txt"
  {
    echo "/* generated by toolchain/build.sh */"
    echo "#ifndef KDK_TOOLCHAIN_VERSIONS_H_INCLUDED"
    echo "#define KDK_TOOLCHAIN_VERSIONS_H_INCLUDED"
    echo "#define KDK_DEP_VERSIONS \"zstd $zstd, OpenSSL $ossl, curl $curl, zlib $zlib, lzo $lzo, musl $musl\""
    echo "#endif"
  } >"$OUT/versions.h"
  {
    echo "# library  debian-source-package  debian-version  how-it-was-built"
    local src mode
    for src in "${SRC_PKGS[@]}"; do
      mode=${SRC_MODE[$src]}
      [ "$mode" = dsc ] && mode="debian-source-package(patches-applied)" ||
        mode="upstream-orig-tarball-only(debian-patches-unavailable-from-mirror)"
      echo "${LIB_OF[$src]} $src ${SRC_VER[$src]} $mode"
    done
  } >"$OUT/sources.txt"
  cat "$OUT/versions.txt"
}
run_step versions "$(key_of write_versions "$K_ZSTD$K_ZLIB$K_LZO$K_OPENSSL$K_CURL")" write_versions

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
K_SMOKE=$(key_of build_smoke "$K_SYMS" "$K_CURL$K_LZO" \
  "$(cat "$TC_SRC/musl.cmake" "$TC_SRC/check-static-binary.sh" "$TC_SRC/shims/glibc_compat.h" | sha)" \
  "$(find "$TC_SRC/smoke" -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha)")
run_step smoke "$K_SMOKE" build_smoke

echo "$FP" >"$STAMPS/complete"
log "ready in $OUT ($(tr '\n' ' ' <"$OUT/versions.txt" | sed 's/ $//'))"
exit 0
}
