#!/usr/bin/env bash
# build-makedumpfile.sh: builds upstream makedumpfile, the oracle of the
# kernel matrix (it reads Linux 7.1+'s page.compound_info, writes zstd, and
# finds 6.12's free pages, where Debian's 1.7.2 and 1.7.6 do not), from the
# unmodified upstream source tarball beside the repository
# (../shared/oracles/makedumpfile-*.tar.gz, or $KDK_MAKEDUMPFILE_TARBALL),
# into $KDUMPKIT_CACHE/oracle/<tarball-sha256>/. Prints the binary's path.
# A test tool only: never copied into the project. Cached: a second call
# prints the path at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/skip.sh"
cache=${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}
tarball=${KDK_MAKEDUMPFILE_TARBALL:-}
if [ -z "$tarball" ]; then
  for candidate in "$here/../../../shared/oracles" /work/shared/oracles; do
    # (|| true: under pipefail a missing candidate's ls must not end the script)
    found=$(ls "$candidate"/makedumpfile-*.tar.gz 2>/dev/null | awk 'NR == 1' || true)
    if [ -n "$found" ]; then
      tarball=$found
      break
    fi
  done
fi
[ -n "$tarball" ] && [ -f "$tarball" ] ||
  kdk_skip "no upstream makedumpfile source tarball (../shared/oracles/makedumpfile-*.tar.gz or KDK_MAKEDUMPFILE_TARBALL)"
key=$(sha256sum <"$tarball" | cut -c1-16)
dir=$cache/oracle/makedumpfile-$key
if [ -x "$dir/makedumpfile" ]; then
  echo "$dir/makedumpfile"
  exit 0
fi
kdk_need_tools make gcc
for h in /usr/include/elfutils/libdw.h /usr/include/libelf.h /usr/include/zstd.h /usr/include/lzo/lzo1x.h \
  /usr/include/bzlib.h /usr/include/zlib.h; do
  [ -f "$h" ] || kdk_skip "$h is missing (Debian: libelf-dev libdw-dev libzstd-dev liblzo2-dev libbz2-dev zlib1g-dev)"
done
mkdir -p "$cache/oracle"
exec 9>"$cache/oracle/.lock"
flock 9
if [ -x "$dir/makedumpfile" ]; then
  echo "$dir/makedumpfile"
  exit 0
fi
work=$(mktemp -d "$cache/oracle/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work"
src=$(ls -d "$work"/makedumpfile-*/ | awk 'NR == 1')
echo "build-makedumpfile: building $(basename "$tarball") (about a minute)" >&2
make -C "$src" -j"$(nproc)" LINKTYPE=dynamic USEZSTD=on USELZO=on >"$work/build.log" 2>&1 || {
  tail -n 30 "$work/build.log" >&2
  echo "FAIL: building upstream makedumpfile failed" >&2
  exit 1
}
mkdir -p "$dir.tmp"
cp "$src/makedumpfile" "$dir.tmp/"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir/makedumpfile"
