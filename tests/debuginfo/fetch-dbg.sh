#!/usr/bin/env bash
# fetch-dbg.sh [IMAGE-PACKAGE VERSION]: the debug vmlinux (full DWARF) of a
# Debian kernel, for the opt-in debuginfo tests. Prints its path on stdout
# (progress goes to stderr).
#
# Without arguments the kernel is the one the cached fixtures were made with:
# the "kernel PACKAGE VERSION" line of $KDUMPKIT_CACHE/fixtures/current/*.inputs
# (all of them must agree). IMAGE-PACKAGE is e.g. linux-image-6.1.0-56-amd64;
# its debug symbols are in linux-image-6.1.0-56-amd64-dbg of the same version,
# a ~860 MB .deb (often only in bookworm-security). It is fetched with
# `apt-get download` (after `apt-get update` if apt-cache does not know that
# version), only ./usr/lib/debug/boot/vmlinux-<release> is extracted, and the
# .deb is deleted. Cached in
#     $KDUMPKIT_CACHE/debuginfo/<release>/vmlinux-<release>   (default ~/.cache/kdumpkit)
# next to a file "version" naming the package version it came from; a second
# call with the same version prints the path at once. KDUMPKIT_KEEP_DEB=1
# keeps the .deb beside it.
set -euo pipefail
cache=${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}

say() { printf 'fetch-dbg: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

if [ $# -eq 2 ]; then
  pkg=$1 ver=$2
elif [ $# -eq 0 ]; then
  shopt -s nullglob
  inputs=("$cache"/fixtures/current/*.inputs)
  # current/ holds symlinks to the vmcores; their .inputs sit beside them.
  if [ ${#inputs[@]} -eq 0 ]; then
    for v in "$cache"/fixtures/current/*.vmcore; do
      f=$(readlink -f "$v")
      [ -f "${f%.vmcore}.inputs" ] && inputs+=("${f%.vmcore}.inputs")
    done
  fi
  [ ${#inputs[@]} -gt 0 ] ||
    die "no fixture inputs under $cache/fixtures/current (run qemu/fixtures.sh idle busy, or give IMAGE-PACKAGE VERSION)"
  kernels=$(awk '$1 == "kernel" { print $2, $3 }' "${inputs[@]}" | sort -u)
  [ "$(printf '%s\n' "$kernels" | grep -c .)" -eq 1 ] ||
    die "the fixtures disagree on (or do not name) the kernel: $(echo "$kernels" | tr '\n' ';')"
  read -r pkg ver <<<"$kernels"
else
  sed -n '2p' "$0" | sed 's/^# /usage: /' >&2
  exit 2
fi

case $pkg in
linux-image-*) ;;
*) die "not a kernel image package: $pkg" ;;
esac
rel=${pkg#linux-image-}
dbg=$pkg-dbg
dir=$cache/debuginfo/$rel
vmlinux=$dir/vmlinux-$rel

if [ -f "$vmlinux" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$ver" ]; then
  echo "$vmlinux"
  exit 0
fi

for t in apt-get apt-cache dpkg-deb tar flock; do
  command -v "$t" >/dev/null || die "missing $t (run scripts/install-deps.sh tests/debuginfo/packages.txt)"
done

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
# Someone else may have finished while we waited.
if [ -f "$vmlinux" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$ver" ]; then
  echo "$vmlinux"
  exit 0
fi

known() { apt-cache show "$dbg=$ver" >/dev/null 2>&1; }
if ! known; then
  say "apt-cache does not know $dbg=$ver: running apt-get update"
  if [ "$(id -u)" = 0 ]; then apt-get update -q >&2 || true; else sudo apt-get update -q >&2 || true; fi
  known || die "no $dbg=$ver in the configured apt sources (versions known: $(apt-cache madison "$dbg" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | tr '\n' ' '))"
fi
size=$(apt-cache show "$dbg=$ver" | awk '$1 == "Size:" { print $2; exit }')

tmp=$(mktemp -d "$dir/.fetch.XXXX")
trap 'rm -rf "$tmp"' EXIT
# apt warns ("Download is performed unsandboxed as root") when user _apt
# cannot reach the directory (e.g. under /root); harmless.
chmod 755 "$tmp"
start=$(date +%s)
say "downloading $dbg=$ver ($((size / 1000000)) MB)"
(cd "$tmp" && apt-get download -q "$dbg=$ver" >&2) || die "apt-get download $dbg=$ver failed"
deb=$(ls "$tmp"/*.deb)
mid=$(date +%s)
say "downloaded in $((mid - start)) s; extracting vmlinux-$rel"
member=./usr/lib/debug/boot/vmlinux-$rel
# --occurrence: tar stops at the vmlinux instead of unpacking the rest of
# the 860 MB xz stream (the modules' debug files come after it); dpkg-deb
# then dies of SIGPIPE, so only tar's status and the file count.
if ! { dpkg-deb --fsys-tarfile "$deb" 2>"$tmp/dpkg-deb.err" || true; } |
  tar -x --occurrence=1 -C "$tmp" "$member" || [ ! -s "$tmp/$member" ]; then
  cat "$tmp/dpkg-deb.err" >&2
  die "no $member in $(basename "$deb")"
fi
mv "$tmp/$member" "$vmlinux.part"
chmod 644 "$vmlinux.part"
if [ "${KDUMPKIT_KEEP_DEB:-0}" = 1 ]; then mv "$deb" "$dir/"; fi
mv "$vmlinux.part" "$vmlinux"
echo "$ver" >"$dir/version"
say "extracted in $(($(date +%s) - mid)) s: $vmlinux ($(($(stat -c %s "$vmlinux") / 1000000)) MB)"
echo "$vmlinux"
