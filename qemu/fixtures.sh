#!/usr/bin/env bash
# fixtures.sh [--check] [--binary FILE] [--kernel K] NAME...  (NAME: idle, busy)
# fixtures.sh --prune
#
# Real vmcores of a crashed Debian kernel, for the tests that compare the dump
# engine with makedumpfile. Each NAME is made once by a QEMU kdump cycle (the
# same as qemu/e2e-disk.sh, with the capture told to save a raw copy:
# `kdumpkit load --append kdumpkit.dump_format=raw`) and cached in
#     $KDUMPKIT_CACHE/fixtures/<key>/<NAME>.vmcore     (default ~/.cache/kdumpkit)
# where <key> is NAME plus a hash of what goes into the guest's memory: the
# kernel and busybox package versions, guest-init.sh, the workload and its
# helper, the module list, memory size, crashkernel= and the load arguments.
# Not the kdumpkit binary: a raw copy of /proc/vmcore does not depend on it.
# Next to it, <NAME>.mdf/ holds makedumpfile's view (tests/oracle/mdf-classes.sh):
# d31.kdump, the pfn sets of -d 1 2 4 8 16 31 and the per-class counts.
# $KDUMPKIT_CACHE/fixtures/current/ has stable symlinks to the newest
# <NAME>.vmcore and <NAME>.mdf. Prints one vmcore path per NAME on stdout
# (progress goes to stderr). Concurrent runs wait for each other (flock); files
# appear atomically (temporary name, then rename).
#
#   idle  1 GiB guest, crashed right after `kdumpkit load`
#   busy  1 GiB guest with page cache, private (buffer-head) page cache,
#         anonymous and hugetlb memory and free memory (qemu/guest-busy.sh)
#
# After generating, and with --check, makedumpfile's per-class exclusion
# counts are printed; for busy each class (zero, cache, cache-private, user,
# free) must have at least 1000 pages, otherwise the fixture is refused.
#
# --binary FILE  the kdumpkit used for the cycle (default $KDUMPKIT_BINARY or
#                build/kdumpkit); needed only when a fixture must be made
# --kernel K     the guest kernel: an entry of qemu/kernels.lock (default
#                $KDUMPKIT_KERNEL, else 6.1). current/ names the default
#                kernel's fixtures NAME.*, the others' NAME-K.* (busy-6.12).
# The oracle's view (<NAME>.mdf/) is made with upstream makedumpfile
# (tests/oracle/build-makedumpfile.sh), or Debian's when that cannot be
# built (outside CI only; right on 5.10 and 6.1, not on newer kernels).
# --prune        remove cached fixtures that current/ does not point at
# KDUMPKIT_FIXTURE_MIN (1000) the per-class minimum for busy.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Bump when the way fixtures are made changes in a way the hashed files do not show.
KDK_FIXTURE_FORMAT=1
KDK_FIXTURE_MEM=1G
KDK_FIXTURE_LOAD_ARGS="--append kdumpkit.dump_format=raw"
KDK_FIXTURE_MIN=${KDUMPKIT_FIXTURE_MIN:-1000}
# Busy workload sizes (MiB): 768 MiB usable after crashkernel=256M, minus
# the kernel and the unpacked initramfs, leaves ~200 MiB free.
KDK_BUSY_CONF="CACHE_MIB=160 PRIVATE_MIB=48 DIRTY_MIB=16 ANON_MIB=128 HUGE_PAGES=2"

usage() {
  sed -n '2,3p' "$0" | sed 's/^# //' >&2
  exit 2
}

check=0 prune=0
binary=${KDUMPKIT_BINARY:-$KDK_QEMU_DIR/../build/kdumpkit}
names=()
while [ $# -gt 0 ]; do
  case $1 in
  --check) check=1 ;;
  --prune) prune=1 ;;
  --binary)
    [ $# -ge 2 ] || usage
    binary=$2
    shift
    ;;
  --kernel)
    [ $# -ge 2 ] || usage
    export KDUMPKIT_KERNEL=$2
    shift
    ;;
  idle | busy) names+=("$1") ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
  *)
    kdk_err "unknown argument '$1'"
    usage
    ;;
  esac
  shift
done
[ ${#names[@]} -gt 0 ] || [ $prune = 1 ] || usage

root=$(kdk_cache_root)/fixtures
mkdir -p "$root/.locks" "$root/current"
oracle=$KDK_QEMU_DIR/../tests/oracle

# ---------------------------------------------------------------- key

# key_inputs NAME: every input that shapes the fixture's memory, as text.
key_inputs() {
  local name=$1 f
  printf 'fixture-format %s\nname %s\nmem %s\ncrashkernel %s\n' \
    "$KDK_FIXTURE_FORMAT" "$name" "$KDK_FIXTURE_MEM" "${KDUMPKIT_CRASHKERNEL:-256M}"
  printf 'kernel %s %s\nbusybox-static %s\nmodules %s\nload-args %s\n' \
    "$KDK_KPKG" "$KDK_KVER" "$KDK_BBVER" "$KDK_GUEST_MODULES" "$KDK_FIXTURE_LOAD_ARGS"
  local files=(guest-init.sh)
  [ "$name" = busy ] && files+=(guest-busy.sh memhog.c) && printf 'busy-conf %s\n' "$KDK_BUSY_CONF"
  for f in "${files[@]}"; do
    printf 'sha256 %s %s\n' "$(sha256sum <"$KDK_QEMU_DIR/$f" | cut -c1-64)" "$f"
  done
}

fixture_key() { echo "$1-$(key_inputs "$1" | sha256sum | cut -c1-16)"; }

# ---------------------------------------------------------------- check

# check_fixture NAME VMCORE OUTDIR: makedumpfile's per-class counts, kept in
# OUTDIR; for busy, every class must reach the minimum.
check_fixture() {
  local name=$1 vmcore=$2 out=$3 min=() mdf
  [ "$name" = busy ] && min=(--min "$KDK_FIXTURE_MIN")
  mdf=$(oracle_makedumpfile) || return 1
  kdk_note "$($mdf -v 2>&1 | awk 'NR == 1') -l -d N on $name ($(stat -c %s "$vmcore") bytes), pages excluded per class:" >&2
  local rc=0
  # (pipefail: the status is mdf-classes.sh's)
  KDK_MAKEDUMPFILE=$mdf "$oracle/mdf-classes.sh" "${min[@]}" "$vmcore" "$out" 2>&1 | sed 's/^/    /' >&2 || rc=$?
  return $rc
}

# oracle_makedumpfile: prints the makedumpfile that judges the fixtures.
oracle_makedumpfile() {
  local path rc=0
  path=$("$oracle/build-makedumpfile.sh" 2>/dev/null) || rc=$?
  if [ $rc = 0 ]; then
    echo "$path"
  elif [ $rc = 77 ] && command -v makedumpfile >/dev/null; then
    kdk_note "upstream makedumpfile cannot be built here: using Debian's $(makedumpfile -v 2>&1 | awk 'NR == 1')" >&2
    command -v makedumpfile
  else
    kdk_err "no makedumpfile to judge the fixtures (tests/oracle/build-makedumpfile.sh exited $rc)"
    return 1
  fi
}

# ---------------------------------------------------------------- generation

# build_overlay NAME DIR: what the fixture adds to the first initramfs.
build_overlay() {
  local name=$1 ov=$2
  mkdir -p "$ov/etc/kdk" "$ov/usr/bin" &&
    echo "$KDK_FIXTURE_LOAD_ARGS" >"$ov/etc/kdk/load-args" || return 1
  [ "$name" = busy ] || return 0
  local cc
  for cc in musl-gcc gcc; do command -v "$cc" >/dev/null && break; done
  "$cc" -static -O2 -o "$ov/usr/bin/memhog" "$KDK_QEMU_DIR/memhog.c" || {
    kdk_err "cannot build qemu/memhog.c with $cc -static (install musl-tools)"
    return 1
  }
  install -m 0755 "$KDK_QEMU_DIR/guest-busy.sh" "$ov/etc/kdk/before-crash" &&
    tr ' ' '\n' <<<"$KDK_BUSY_CONF" >"$ov/etc/kdk/busy.conf"
}

# make_work_disk DIR: vdc.img, ext4 LABEL=kdkwork, with the file the busy
# workload reads into the page cache.
make_work_disk() {
  local dir=$1 mib
  mib=$(sed -n 's/.*CACHE_MIB=\([0-9]*\).*/\1/p' <<<"$KDK_BUSY_CONF")
  mkdir -p "$dir/vdc.d" &&
    head -c "$((mib << 20))" /dev/urandom >"$dir/vdc.d/cache.bin" &&
    truncate -s 512M "$dir/vdc.img" &&
    mkfs.ext4 -q -F -L kdkwork -d "$dir/vdc.d" "$dir/vdc.img" &&
    rm -rf "$dir/vdc.d"
}

# generate NAME KEYDIR: one QEMU cycle; publishes KEYDIR/NAME.vmcore and
# KEYDIR/NAME.mdf only if everything checks out.
generate() {
  local name=$1 dir=$2 w ok=0
  kdk_require_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile readelf cpio \
    modprobe depmod timeout flock || return 1
  [ -f "$binary" ] && [ -x "$binary" ] || {
    kdk_err "fixture $name must be made, but there is no kdumpkit binary at '$binary' (make product, or --binary)"
    return 1
  }
  binary=$(readlink -f "$binary")
  mkdir -p "${KDUMPKIT_WORK:-/tmp}" "$dir"
  w=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-fixture-$name.XXXX")
  kdk_say "Making fixture $name in $w (a QEMU kdump cycle, ~1 min under TCG)"
  local t0=$SECONDS
  (
    unset KDUMPKIT_E2E_BREAK KDUMPKIT_APPEND
    export KDUMPKIT_QEMU_MEM=$KDK_FIXTURE_MEM
    build_overlay "$name" "$w/overlay" &&
      kdk_build_first_initramfs "$binary" "$w/first.cpio" "$w/overlay" &&
      kdk_make_disks "$w" &&
      { [ "$name" != busy ] || make_work_disk "$w"; } &&
      kdk_boot "$w" "$w/first.cpio" 0
  ) || ok=1
  if [ $ok = 0 ]; then
    kdk_check_console "$w/console.log" || ok=1
    if [ "$name" = busy ] && ! grep -q -F 'KDK-GUEST: busy: ready' "$w/console.log"; then
      kdk_err "the busy workload did not finish: $(grep -F 'KDK-GUEST: busy:' "$w/console.log" | tail -n1)"
      ok=1
    fi
  fi
  if [ -f "$w/console.log" ]; then
    # The capture's word on the dump_format override (a warning when the
    # binary does not know the key yet: the copy is raw anyway).
    grep -E 'kdumpkit: .*(warning|overrides|dump_format)' "$w/console.log" | sed 's/^/    console: /' >&2 || true
    grep -F 'KDK-GUEST: busy:' "$w/console.log" | sed 's/^/    console: /' >&2 || true
  fi
  local tmp=$dir/.$name.vmcore.tmp.$$ tmd=$dir/.$name.mdf.tmp.$$
  if [ $ok = 0 ]; then
    # Extracts the vmcore straight into the cache, checks it is an ELF core.
    kdk_check_target "$w/vdb.img" "$tmp" || ok=1
  fi
  if [ $ok = 0 ]; then
    kdk_check_dmesg "$tmp" "$w/dmesg.txt" || ok=1
  fi
  if [ $ok = 0 ]; then
    rm -rf "$tmd"
    check_fixture "$name" "$tmp" "$tmd" || {
      kdk_err "fixture $name does not have what it is for (see the table above); kept its vmcore in $w"
      mv "$tmp" "$w/vmcore" 2>/dev/null || true
      ok=1
    }
  fi
  if [ $ok != 0 ]; then
    rm -rf "$tmp" "$tmd"
    if [ -f "$w/console.log" ]; then
      echo "last 40 console lines:" >&2
      kdk_console_text "$w/console.log" | tail -n 40 | sed 's/^/    | /' >&2
    fi
    kdk_err "making fixture $name failed; kept the work dir $w"
    return 1
  fi
  key_inputs "$name" >"$dir/$name.inputs"
  rm -rf "$dir/$name.mdf"
  mv -T "$tmd" "$dir/$name.mdf" && mv -T "$tmp" "$dir/$name.vmcore"
  kdk_note "fixture $name made in $((SECONDS - t0)) s: $dir/$name.vmcore" >&2
  if [ "${KDUMPKIT_KEEP:-0}" = 1 ]; then kdk_note "kept $w (KDUMPKIT_KEEP=1)" >&2; else rm -rf "$w"; fi
}

# link_current NAME KEYDIR: current/NAME.{vmcore,mdf} (NAME-K for a kernel
# K other than the default) -> KEYDIR's, atomically.
link_current() {
  local name=$1 key=$2 f cur=$1
  [ "${KDUMPKIT_KERNEL:-6.1}" = 6.1 ] || cur=$name-$KDUMPKIT_KERNEL
  for f in vmcore mdf; do
    ln -sfn "../$key/$name.$f" "$root/current/.$cur.$f.$$" &&
      mv -T "$root/current/.$cur.$f.$$" "$root/current/$cur.$f"
  done
}

# ensure NAME: the fixture exists (made under the key's lock); prints its path.
ensure() {
  local name=$1 key dir
  key=$(fixture_key "$name")
  dir=$root/$key
  (
    flock -w 3600 9 || {
      kdk_err "waited an hour for the lock of $key"
      exit 1
    }
    if [ ! -f "$dir/$name.vmcore" ]; then
      generate "$name" "$dir" >&2 || exit 1
    elif [ $check = 1 ] || [ ! -f "$dir/$name.mdf/classes.txt" ]; then
      local tmd=$dir/.$name.mdf.tmp.$$
      rm -rf "$tmd"
      check_fixture "$name" "$dir/$name.vmcore" "$tmd" || {
        rm -rf "$tmd"
        kdk_err "fixture $name ($dir) fails its check"
        exit 1
      }
      rm -rf "$dir/$name.mdf" && mv -T "$tmd" "$dir/$name.mdf"
    fi
    link_current "$name" "$key"
  ) 9>"$root/.locks/$key.lock" || return 1
  echo "$dir/$name.vmcore"
}

prune() {
  local d key keep
  keep=$(for l in "$root"/current/*; do [ -L "$l" ] && basename "$(dirname "$(readlink "$l")")"; done | sort -u)
  for d in "$root"/*/; do
    key=$(basename "$d")
    [ "$key" = current ] && continue
    grep -q -x -F "$key" <<<"$keep" && continue
    (
      flock -n 9 || exit 0
      kdk_note "removing $d ($(du -sh "$d" | cut -f1))" >&2
      rm -rf "$d"
    ) 9>"$root/.locks/$key.lock"
    rm -f "$root/.locks/$key.lock"
  done
}

if [ ${#names[@]} -gt 0 ]; then
  kdk_fetch_guest >&2 || kdk_die "cannot get the guest kernel"
fi
rc=0
for n in "${names[@]}"; do
  ensure "$n" || rc=1
done
[ $prune = 0 ] || prune
exit $rc
