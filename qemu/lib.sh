# shellcheck shell=bash
# Helpers of the QEMU harness, sourced by fetch-guest.sh, e2e-disk.sh, demo.sh
# and test-checks.sh. Nothing here runs when sourced; callers use `set -euo
# pipefail`, and every kdk_check_* function returns non-zero with a message on
# stderr saying why, so the caller can collect all failures.
#
# Environment:
#   KDUMPKIT_CACHE          cache root (default ~/.cache/kdumpkit); the guest
#                           kernel and busybox live in $KDUMPKIT_CACHE/guest/<key>/
#   KDUMPKIT_WORK           where work dirs are made (default /tmp)
#   KDUMPKIT_QEMU_ACCEL     tcg (default) or kvm
#   KDUMPKIT_QEMU_CPU       -cpu model (default: qemu's own for tcg, host for kvm)
#   KDUMPKIT_QEMU_MEM       guest memory (default 1G)
#   KDUMPKIT_QEMU_SMP       guest CPUs (default 1)
#   KDUMPKIT_QEMU_TIMEOUT   hard limit of one boot-crash-capture run, s (600)
#   KDUMPKIT_CRASHKERNEL    crashkernel= value (default 256M)
#   KDUMPKIT_KERNEL         the guest kernel: an entry of qemu/kernels.lock
#                           (default 6.1)
#   KDUMPKIT_DEBIAN_MIRROR, KDUMPKIT_DEBIAN_SECURITY_MIRROR  where the guest
#                           packages come from (deb.debian.org)
#   KDUMPKIT_KEEP=1         keep the work dir even on success
#   KDK_EXTRA_GUEST_MODULES more modules for the first initramfs (scenarios)
#   KDK_QEMU_EXTRA          more QEMU arguments, split on white space (scenarios)
#   KDK_CYCLE_OVERLAY       a tree copied over kdk_cycle's first initramfs
#                           (qemu/bench-capture.sh: load arguments, a workload)

KDK_QEMU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Modules whose dependency closure (through modules.dep and modules.softdep)
# goes into the first kernel's initramfs, so that `kdumpkit load` finds what a
# capture initramfs for any supported target needs.
KDK_GUEST_MODULES="virtio_pci virtio_blk virtio_net ext4 xfs btrfs nfs nfsv4 nfsv3 virtio_scsi sd_mod nvme"

# The target line of the guest's /etc/kdumpkit.conf, and what it implies.
KDK_TARGET_LABEL=kdumpdata
KDK_TARGET_DIR=/crash
KDK_GUEST_HOSTNAME=kdk-guest

# ---------------------------------------------------------------- messages

kdk_say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
kdk_note() { printf '    %s\n' "$*"; }
kdk_err() { printf 'FAIL: %s\n' "$*" >&2; }
kdk_die() {
  kdk_err "$*"
  exit 1
}

kdk_require_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  kdk_err "missing host tools: ${missing[*]} (run scripts/install-deps.sh; see qemu/packages.txt)"
  return 1
}

# ---------------------------------------------------------------- phases
# kdk_phase NAME CMD...: runs CMD, records how long it took under NAME (also
# when it fails), and returns its status.

KDK_PHASE_NAMES=()
KDK_PHASE_SECS=()
KDK_PHASE_STATUS=()

kdk_now() { date +%s.%N; }

kdk_phase() {
  local name=$1 start rc=0
  shift
  start=$(kdk_now)
  "$@" || rc=$?
  KDK_PHASE_NAMES+=("$name")
  KDK_PHASE_SECS+=("$(awk -v a="$start" -v b="$(kdk_now)" 'BEGIN { printf "%.1f", b - a }')")
  KDK_PHASE_STATUS+=("$([ $rc -eq 0 ] && echo ok || echo "FAILED")")
  return $rc
}

kdk_phase_table() {
  local i total=0
  local rule=------------------------------------------
  printf '\n%-42s %8s  %s\n' "phase" "seconds" "status"
  printf '%-42s %8s  %s\n' "$rule" "--------" "------"
  for i in "${!KDK_PHASE_NAMES[@]}"; do
    printf '%-42s %8s  %s\n' "${KDK_PHASE_NAMES[$i]}" "${KDK_PHASE_SECS[$i]}" "${KDK_PHASE_STATUS[$i]}"
    case ${KDK_PHASE_NAMES[$i]} in "  ("*) continue ;; esac
    total=$(awk -v a="$total" -v b="${KDK_PHASE_SECS[$i]}" 'BEGIN { printf "%.1f", a + b }')
  done
  printf '%-42s %8s\n' "total (host clock)" "$total"
}

# ---------------------------------------------------------------- guest fetch

kdk_cache_root() { echo "${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}"; }

# The guests boot the Debian packages pinned in qemu/kernels.lock, fetched
# through a private apt state ($KDUMPKIT_CACHE/apt-guest: the system's apt
# configuration and lists are never touched) and kept, extracted, in
# $KDUMPKIT_CACHE/guest/<kernel>_<version>+busybox-static_<version>/.
KDK_KERNELS_LOCK=${KDUMPKIT_KERNELS_LOCK:-$KDK_QEMU_DIR/kernels.lock}
KDK_DEBIAN_MIRROR=${KDUMPKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KDK_DEBIAN_SECURITY_MIRROR=${KDUMPKIT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# kdk_lock_entry NAME: sets KDK_L_SUITES KDK_L_SERIES KDK_L_PKG KDK_L_VER.
kdk_lock_entry() {
  local line
  line=$(awk -v n="$1" '$1 == n { print; exit }' "$KDK_KERNELS_LOCK")
  [ -n "$line" ] || {
    kdk_err "no entry '$1' in $KDK_KERNELS_LOCK (names: $(awk '!/^#/ && NF { printf "%s ", $1 }' "$KDK_KERNELS_LOCK"))"
    return 1
  }
  read -r _ KDK_L_SUITES KDK_L_SERIES KDK_L_PKG KDK_L_VER <<<"$line"
}

# kdk_guest_apt SUITES: a private apt state for SUITES (comma separated),
# with fresh lists; sets KDK_GAPT (apt options).
kdk_guest_apt() {
  local suites=$1 dir s
  dir=$(kdk_cache_root)/apt-guest/$(tr ',' '_' <<<"$suites")
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  KDK_GAPT=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=/dev/null"
    -o "Acquire::Languages=none" -o "APT::Architectures::=amd64" -o "APT::Architecture=amd64")
  [ "$(id -u)" = 0 ] && KDK_GAPT+=(-o "APT::Sandbox::User=root")
  for s in ${suites//,/ }; do
    case $s in
    *-security) echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $KDK_DEBIAN_SECURITY_MIRROR $s main" ;;
    *) echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $KDK_DEBIAN_MIRROR $s main" ;;
    esac
  done >"$dir/sources.list"
  # Once an hour at most: the lists are 10-30 MB a suite.
  if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null)" ]; then
    apt-get "${KDK_GAPT[@]}" -q update >"$dir/update.log" 2>&1 || {
      if ls "$dir"/lists/*_Packages* >/dev/null 2>&1; then
        kdk_note "apt-get update for $suites failed; using the lists fetched before"
      else
        kdk_err "apt-get update for $suites failed: $(tail -n 3 "$dir/update.log" | tr '\n' ' ')"
        return 1
      fi
    }
  fi
}

# kdk_apt_has PKG VERSION: the private lists hold that version.
kdk_apt_has() {
  apt-cache "${KDK_GAPT[@]}" madison "$1" 2>/dev/null | awk -F' *[|] *' -v v="$2" '$2 == v { f = 1 } END { exit !f }'
}

# kdk_resolve_locked NAME: prints "PACKAGE VERSION" of lock entry NAME: the
# pinned one when the mirror has it, else the newest of its series (saying
# so in one line on stderr). Needs kdk_guest_apt.
kdk_resolve_locked() {
  kdk_lock_entry "$1" || return 1
  if kdk_apt_has "$KDK_L_PKG" "$KDK_L_VER"; then
    echo "$KDK_L_PKG $KDK_L_VER"
    return 0
  fi
  local best_pkg="" best_ver="" p v
  while read -r p; do
    while read -r v; do
      if [ -z "$best_ver" ] || dpkg --compare-versions "$v" gt "$best_ver"; then best_pkg=$p best_ver=$v; fi
    done < <(apt-cache "${KDK_GAPT[@]}" madison "$p" 2>/dev/null | awk -F' *[|] *' '{ print $2 }')
  done < <(apt-cache "${KDK_GAPT[@]}" pkgnames 2>/dev/null | grep -E -- "$KDK_L_SERIES" || true)
  [ -n "$best_pkg" ] || {
    kdk_err "$1: pinned $KDK_L_PKG $KDK_L_VER is not on the mirror, and no package of the series $KDK_L_SERIES is"
    return 1
  }
  printf '%s: pinned %s %s unavailable, using %s %s\n' "$1" "$KDK_L_PKG" "$KDK_L_VER" "$best_pkg" "$best_ver" >&2
  echo "$best_pkg $best_ver"
}

# Fetches the guest kernel (lock entry ${KDUMPKIT_KERNEL:-6.1}) and
# busybox-static into the cache (once per version pair) and sets:
#   KDK_GUEST_DIR  the cache entry; KDK_GUEST_ROOT its extracted tree
#   KDK_KREL       the kernel release (uname -r)
#   KDK_KPKG KDK_KVER KDK_BBVER  package names and versions
#   KDK_VMLINUZ KDK_BUSYBOX KDK_MODULES_DIR  paths in the tree
kdk_fetch_guest() {
  local kname=${KDUMPKIT_KERNEL:-6.1} memo resolved
  kdk_lock_entry "$kname" || return 1
  KDK_KPKG=$KDK_L_PKG KDK_KVER=$KDK_L_VER
  kdk_lock_entry busybox || return 1
  KDK_BBVER=$KDK_L_VER
  # Pinned and cached: no network at all.
  KDK_GUEST_DIR=$(kdk_cache_root)/guest/$(kdk_guest_key)
  if [ -f "$KDK_GUEST_DIR/complete" ]; then
    kdk_guest_set_paths
    return
  fi
  # A fallback chosen within the last day is reused without asking apt again.
  memo=$(kdk_cache_root)/guest/resolved-$(sha256sum <"$KDK_KERNELS_LOCK" | cut -c1-12)-$kname
  if [ -f "$memo" ] && [ -n "$(find "$memo" -mmin -1440)" ]; then
    # shellcheck disable=SC1090
    . "$memo"
    KDK_GUEST_DIR=$(kdk_cache_root)/guest/$(kdk_guest_key)
    if [ -f "$KDK_GUEST_DIR/complete" ]; then
      kdk_note "$kname: using $KDK_KPKG $KDK_KVER (pinned $KDK_L_PKG unavailable; chosen earlier today)" >&2
      kdk_guest_set_paths
      return
    fi
  fi
  local suites
  kdk_lock_entry busybox && suites=$KDK_L_SUITES || return 1
  kdk_lock_entry "$kname" || return 1
  suites=$(tr ',' '\n' <<<"$KDK_L_SUITES,$suites" | awk 'NF && !s[$0]++' | paste -sd, -)
  kdk_guest_apt "$suites" || return 1
  resolved=$(kdk_resolve_locked "$kname") || return 1
  read -r KDK_KPKG KDK_KVER <<<"$resolved"
  resolved=$(kdk_resolve_locked busybox) || return 1
  read -r _ KDK_BBVER <<<"$resolved"
  KDK_GUEST_DIR=$(kdk_cache_root)/guest/$(kdk_guest_key)
  if [ ! -f "$KDK_GUEST_DIR/complete" ]; then
    kdk_fetch_guest_into "$KDK_GUEST_DIR" || return 1
  fi
  kdk_guest_set_paths || return 1
  printf 'KDK_KPKG=%q\nKDK_KVER=%q\nKDK_BBVER=%q\n' "$KDK_KPKG" "$KDK_KVER" "$KDK_BBVER" >"$memo"
}

kdk_guest_key() {
  printf '%s_%s+busybox-static_%s' "$KDK_KPKG" "$KDK_KVER" "$KDK_BBVER" | tr ':/' '__'
}

kdk_guest_set_paths() {
  # shellcheck disable=SC1091
  . "$KDK_GUEST_DIR/complete"
  KDK_GUEST_ROOT=$KDK_GUEST_DIR/root
  KDK_VMLINUZ=$KDK_GUEST_ROOT/boot/vmlinuz-$KDK_KREL
  KDK_BUSYBOX=$KDK_GUEST_ROOT/bin/busybox
  KDK_MODULES_DIR=$KDK_GUEST_ROOT/lib/modules/$KDK_KREL
  [ -f "$KDK_VMLINUZ" ] && [ -x "$KDK_BUSYBOX" ] && [ -f "$KDK_MODULES_DIR/modules.dep" ] || {
    kdk_err "cache entry $KDK_GUEST_DIR is damaged: remove it and run again"
    return 1
  }
}

# kdk_fetch_guest_into DEST: downloads the kernel package with the packages
# of the same release it depends on (sid splits the image, modules and base
# files: linux-binary-REL, linux-modules-REL, linux-base-REL) and
# busybox-static, extracts them, and lays the tree out as bookworm's
# packages do (boot/vmlinuz-REL, lib/modules/REL) whatever the packaging.
kdk_fetch_guest_into() {
  local dest=$1 tmp rel deps d
  rel=${KDK_KPKG#linux-image-}
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp -d "$dest.tmp.XXXXXX")
  chmod 755 "$tmp" # apt's _apt user must be able to write the .debs
  deps=$(apt-cache "${KDK_GAPT[@]}" show "$KDK_KPKG=$KDK_KVER" 2>/dev/null |
    awk -F': ' '$1 == "Depends" { print $2; exit }' | tr ',|' '\n\n' |
    awk -v rel="$rel" '{ name = $1 } index(name, rel) { print name }' | sort -u | tr '\n' ' ')
  kdk_note "downloading $KDK_KPKG=$KDK_KVER ${deps:+(with $deps)}and busybox-static=$KDK_BBVER"
  local want=("$KDK_KPKG=$KDK_KVER" "busybox-static=$KDK_BBVER")
  for d in $deps; do want+=("$d=$KDK_KVER"); done
  (cd "$tmp" && apt-get "${KDK_GAPT[@]}" download -qq "${want[@]}" >"$tmp/download.log" 2>&1) || {
    kdk_err "apt-get download ${want[*]} failed: $(grep -v 'unsandboxed' "$tmp/download.log" | tail -n 3 | tr '\n' ' ')"
    rm -rf "$tmp"
    return 1
  }
  mkdir "$tmp/root"
  for d in "$tmp"/*.deb; do
    dpkg-deb -x "$d" "$tmp/root" || {
      rm -rf "$tmp"
      kdk_err "dpkg-deb -x $(basename "$d") failed"
      return 1
    }
  done
  rm -f "$tmp"/*.deb "$tmp/download.log"
  # busybox may be under usr/bin (usrmerge); modules and the image under usr/lib.
  local r=$tmp/root
  [ -e "$r/bin/busybox" ] || { mkdir -p "$r/bin" && ln -s ../usr/bin/busybox "$r/bin/busybox"; }
  if [ -d "$r/usr/lib/modules" ] && [ ! -e "$r/lib/modules" ]; then
    mkdir -p "$r/lib" && ln -s ../usr/lib/modules "$r/lib/modules"
  fi
  KDK_KREL=$(ls "$r/lib/modules/" 2>/dev/null | awk 'NR == 1' || true)
  [ -n "$KDK_KREL" ] && [ -d "$r/lib/modules/$KDK_KREL/kernel" ] || {
    rm -rf "$tmp"
    kdk_err "$KDK_KPKG: no modules in the package(s)"
    return 1
  }
  if [ ! -f "$r/boot/vmlinuz-$KDK_KREL" ]; then
    local img
    img=$(ls "$r/lib/modules/$KDK_KREL"/vmlinuz* 2>/dev/null | awk 'NR == 1' || true)
    [ -n "$img" ] || {
      rm -rf "$tmp"
      kdk_err "$KDK_KPKG: no kernel image (boot/vmlinuz-$KDK_KREL or lib/modules/$KDK_KREL/vmlinuz*)"
      return 1
    }
    mkdir -p "$r/boot" && cp "$img" "$r/boot/vmlinuz-$KDK_KREL"
  fi
  # The package ships no modules.dep (postinst runs depmod on a real system).
  depmod -b "$r" "$KDK_KREL" || {
    rm -rf "$tmp"
    kdk_err "depmod -b failed"
    return 1
  }
  printf 'KDK_KPKG=%q\nKDK_KVER=%q\nKDK_BBVER=%q\nKDK_KREL=%q\n' \
    "$KDK_KPKG" "$KDK_KVER" "$KDK_BBVER" "$KDK_KREL" >"$tmp/complete"
  # Atomic publication; a concurrent run that won the race is just as good.
  mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
  [ -f "$dest/complete" ]
}

# ---------------------------------------------------------------- first initramfs

# Prints the .ko paths (relative to the modules dir) of the closure of $@.
kdk_module_closure() {
  local root=$1 rel=$2 m
  shift 2
  for m in "$@"; do
    modprobe -C /dev/null -d "$root" -S "$rel" --show-depends "$m" || {
      kdk_err "modprobe --show-depends $m failed for $rel"
      return 1
    }
  done | awk '$1 == "insmod" { print $2 }' | sort -u | sed "s|^$root/lib/modules/$rel/||"
}

# kdk_build_first_initramfs BINARY OUT.cpio [OVERLAY]: the initramfs of the
# first (production) kernel; the tree OVERLAY, if given, is copied over it
# (qemu/fixtures.sh adds its workload that way). Needs kdk_fetch_guest first.
kdk_build_first_initramfs() {
  local binary=$1 out=$2 overlay=${3:-} st rc=0
  st=$(mktemp -d "${out}.staging.XXXXXX") && st=$(cd "$st" && pwd) || return 1
  kdk_fill_first_initramfs "$binary" "$st" || rc=$?
  if [ $rc -eq 0 ] && [ -n "$overlay" ]; then
    cp -a "$overlay/." "$st/" || rc=$?
  fi
  if [ $rc -eq 0 ]; then
    (cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out" || {
      kdk_err "cpio failed"
      rc=1
    }
  else
    kdk_err "building the first-kernel initramfs failed"
  fi
  rm -rf "$st"
  return $rc
}

# kdk_fill_first_initramfs BINARY DIR: lays out the first initramfs in DIR.
# (Every step is checked explicitly: `set -e` is off inside `f || ...`.)
kdk_fill_first_initramfs() {
  local binary=$1 st=$2 moddir=lib/modules/$KDK_KREL a mods
  mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,mnt,etc,boot} "$st/$moddir" &&
    cp "$KDK_BUSYBOX" "$st/bin/busybox" || return 1
  for a in $("$KDK_BUSYBOX" --list-full); do
    [ -e "$st/$a" ] || [ -L "$st/$a" ] || ln -s /bin/busybox "$st/$a" || return 1
  done
  # The kernel's configuration where the package installs it (boot/ until
  # 2025, the modules directory in sid's split packages): `load` reads
  # CONFIG_RD_ZSTD there to compress the capture initramfs.
  if [ -f "$KDK_GUEST_ROOT/boot/config-$KDK_KREL" ]; then
    cp "$KDK_GUEST_ROOT/boot/config-$KDK_KREL" "$st/boot/" || return 1
  fi
  if [ -f "$KDK_GUEST_ROOT/$moddir/config" ]; then
    cp "$KDK_GUEST_ROOT/$moddir/config" "$st/$moddir/" || return 1
  fi
  install -m 0755 "$binary" "$st/usr/sbin/kdumpkit" &&
    cp "$KDK_VMLINUZ" "$st/boot/vmlinuz-$KDK_KREL" &&
    cp "$KDK_GUEST_ROOT/$moddir"/modules.* "$st/$moddir"/ || return 1
  # shellcheck disable=SC2086
  mods=$(kdk_module_closure "$KDK_GUEST_ROOT" "$KDK_KREL" $KDK_GUEST_MODULES ${KDK_EXTRA_GUEST_MODULES:-}) &&
    [ -n "$mods" ] || return 1
  # shellcheck disable=SC2086
  (cd "$KDK_GUEST_ROOT/$moddir" && cp --parents $mods "$st/$moddir"/) || return 1
  printf 'target = disk:LABEL=%s:%s\n' "$KDK_TARGET_LABEL" "$KDK_TARGET_DIR" >"$st/etc/kdumpkit.conf" &&
    echo "$KDK_GUEST_HOSTNAME" >"$st/etc/hostname" &&
    install -m 0755 "$KDK_QEMU_DIR/guest-init.sh" "$st/init"
}

# kdk_wrap_init OVERLAY SCRIPT: the first kernel's /init runs SCRIPT (as root,
# /dev, /proc and /sys mounted) before the harness's guest-init.sh, e.g. to
# load drivers guest-init.sh does not (it only loads virtio_blk; with no
# udev nothing else loads by itself). guest-init.sh itself stays as it is:
# it is part of the fixtures' cache key.
kdk_wrap_init() {
  install -m 0755 "$KDK_QEMU_DIR/guest-init.sh" "$1/kdk-guest-init" || return 1
  {
    printf '#!/bin/sh\nmount -t devtmpfs devtmpfs /dev\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\n'
    printf 'exec </dev/console >/dev/console 2>&1\n'
    cat "$2"
    printf 'exec /kdk-guest-init\n'
  } >"$1/init" && chmod 0755 "$1/init"
}

# kdk_copy_with_libs OVERLAY BINARY: BINARY and its shared libraries (ldd) into OVERLAY.
kdk_copy_with_libs() {
  local f
  for f in "$2" $(ldd "$2" | grep -o '/[^ ]*'); do
    cp -L --parents "$f" "$1/" || return 1
  done
}

# Scenario helpers for qemu/e2e-scenarios.sh and qemu/e2e-network.sh: W is
# the scenario's work dir (first.cpio, disks, console.log), APPEND goes on
# the first kernel's command line (the capture kernel inherits it),
# QEMU_EXTRA to QEMU; SECS is how long the last boot ran; FAILED collects
# the names of failed scenarios.
# kdk_scenario_prepare BINARY NAME CONFIG-LINES...: a work dir for scenario
# NAME with the first initramfs (BINARY as kdumpkit, the configuration
# replaced by CONFIG-LINES) and the two disks; sets W.
kdk_scenario_prepare() {
  local bin=$1 name=$2
  shift 2
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-$name.XXXX")
  mkdir -p "$W/overlay/etc"
  printf '%s\n' "$@" >"$W/overlay/etc/kdumpkit.conf"
  kdk_build_first_initramfs "$bin" "$W/first.cpio" "$W/overlay" && kdk_make_disks "$W"
}

kdk_scenario_boot() {
  local start rc=0
  start=$(date +%s)
  KDUMPKIT_APPEND="${APPEND:-}" KDK_QEMU_EXTRA="${QEMU_EXTRA:-}" kdk_boot "$W" "$W/first.cpio" 0 || rc=$?
  SECS=$(($(date +%s) - start))
  return $rc
}
kdk_scenario_console() { kdk_console_text "$W/console.log"; }
# (no `console | grep -q` under pipefail: grep's early exit would fail the pipe)
kdk_scenario_has() { grep -q -F -- "$1" <<<"$(kdk_scenario_console)"; }
# kdk_scenario_result NAME ERRORS: reports; keeps the work dir of a failure.
kdk_scenario_result() {
  local name=$1 errs=$2
  if [ "$errs" -eq 0 ]; then
    echo "scenario $name: PASSED ($SECS s of QEMU)"
    [ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -rf "$W"
  else
    echo "scenario $name: FAILED; work dir $W; last console lines:"
    kdk_scenario_console | tail -n 30 | sed 's/^/    | /'
    FAILED+=("$name")
  fi
}

# ---------------------------------------------------------------- disks

# kdk_make_disks DIR: DIR/vda.img (decoy, 64 MiB) and DIR/vdb.img (target, 2
# GiB sparse, label kdumpdata), both ext4.
#
# KDUMPKIT_E2E_BREAK breaks the setup on purpose, to show that the checks
# catch a broken capture (the run must then FAIL):
#   swap-labels  vda gets LABEL=kdumpdata, vdb LABEL=decoy: the dump lands on
#                the disk the checks call the decoy
#   small-target vdb is 256 MiB: the vmcore cannot fit
kdk_make_disks() {
  local dir=$1 a_label=decoy b_label=$KDK_TARGET_LABEL a_size=64M b_size=2G
  case ${KDUMPKIT_E2E_BREAK:-} in
  "") ;;
  swap-labels) a_label=$KDK_TARGET_LABEL b_label=decoy a_size=2G ;;
  small-target) b_size=256M ;;
  *)
    kdk_err "unknown KDUMPKIT_E2E_BREAK '$KDUMPKIT_E2E_BREAK' (swap-labels, small-target)"
    return 1
    ;;
  esac
  [ -z "${KDUMPKIT_E2E_BREAK:-}" ] || kdk_note "KDUMPKIT_E2E_BREAK=$KDUMPKIT_E2E_BREAK: this run is broken on purpose and must fail"
  rm -f "$dir/vda.img" "$dir/vdb.img"
  truncate -s "$a_size" "$dir/vda.img" && truncate -s "$b_size" "$dir/vdb.img" &&
    mkfs.ext4 -q -F -L "$a_label" "$dir/vda.img" &&
    mkfs.ext4 -q -F -L "$b_label" "$dir/vdb.img" || {
    kdk_err "creating the disk images failed"
    return 1
  }
}

# ---------------------------------------------------------------- boot

# kdk_boot DIR INITRD [LIVE]: boots the guest with DIR/vda.img and
# DIR/vdb.img (and DIR/vdc.img when it exists: the work disk of
# qemu/fixtures.sh), console to DIR/console.log, under a hard timeout. LIVE=1
# also shows the console on stdout. Returns 0 when QEMU exited by itself.
kdk_boot() {
  local dir=$1 initrd=$2 live=${3:-0}
  local accel=${KDUMPKIT_QEMU_ACCEL:-tcg} limit=${KDUMPKIT_QEMU_TIMEOUT:-600}
  local cpu=() rc=0 extra=() more=()
  [ -f "$dir/vdc.img" ] && extra=(-drive "file=$dir/vdc.img,format=raw,if=virtio")
  # More QEMU arguments (qemu/e2e-scenarios.sh: watchdog, NVMe), split on white space.
  [ -n "${KDK_QEMU_EXTRA:-}" ] && read -ra more <<<"$KDK_QEMU_EXTRA" && extra+=("${more[@]}")
  case $accel in
  tcg) [ -n "${KDUMPKIT_QEMU_CPU:-}" ] && cpu=(-cpu "$KDUMPKIT_QEMU_CPU") ;;
  kvm) cpu=(-cpu "${KDUMPKIT_QEMU_CPU:-host}") ;;
  *)
    kdk_err "KDUMPKIT_QEMU_ACCEL must be tcg or kvm, not '$accel'"
    return 1
    ;;
  esac
  local append="console=ttyS0 crashkernel=${KDUMPKIT_CRASHKERNEL:-256M} panic=1 loglevel=6 ${KDUMPKIT_APPEND:-}"
  # QEMU's stdout is the serial console only (-display none, -monitor none).
  # Shown live on this shell's own stdout (the inherited descriptor: opening
  # /dev/stdout with > would truncate a redirected log).
  local out
  if [ "$live" = 1 ]; then exec {out}>&1; else exec {out}>/dev/null; fi
  timeout -k 10 "$limit" qemu-system-x86_64 \
    -accel "$accel" "${cpu[@]}" -m "${KDUMPKIT_QEMU_MEM:-1G}" -smp "${KDUMPKIT_QEMU_SMP:-1}" \
    -nodefaults -display none -no-reboot -monitor none -serial stdio \
    -kernel "$KDK_VMLINUZ" -initrd "$initrd" -append "$append" \
    -drive "file=$dir/vda.img,format=raw,if=virtio" \
    -drive "file=$dir/vdb.img,format=raw,if=virtio" "${extra[@]}" \
    </dev/null 2>"$dir/qemu.out" |
    sed -u 's/\r$//' | tee "$dir/console.log" | sed -u 's/^/    | /' >&"$out"
  rc=${PIPESTATUS[0]}
  exec {out}>&-
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    kdk_err "QEMU did not exit within ${limit}s (KDUMPKIT_QEMU_TIMEOUT): killed"
    return 1
  elif [ $rc -ne 0 ]; then
    kdk_err "QEMU exited with status $rc: $(tr '\n' ' ' <"$dir/qemu.out")"
    return 1
  fi
}

# ---------------------------------------------------------------- checks

# kdk_console_text LOG: the console without carriage returns.
kdk_console_text() { tr -d '\r' <"$1"; }

# kdk_check_console LOG: the guest armed, the capture ran and completed, and
# the capture kernel neither panicked nor lost its init.
kdk_check_console() {
  local log=$1 text ok=0
  text=$(kdk_console_text "$log")
  if grep -q -F 'KDK-GUEST: load failed' <<<"$text"; then
    kdk_err "'kdumpkit load' failed in the guest; its output:"
    sed -n '/KDK-GUEST: running kdumpkit load/,/KDK-GUEST: load failed/p' <<<"$text" | sed 's/^/    | /' >&2
    return 1
  fi
  grep -q -F 'KDK-GUEST: armed' <<<"$text" || {
    kdk_err "the guest never printed 'KDK-GUEST: armed' (first boot or load did not finish)"
    grep -F 'KDK-GUEST:' <<<"$text" | sed 's/^/    | /' >&2
    ok=1
  }
  local banners second
  banners=$(grep -c -F 'Linux version' <<<"$text" || true)
  second=$(grep -n -F 'Linux version' <<<"$text" | sed -n 2p | cut -d: -f1)
  if [ "${banners:-0}" -lt 2 ]; then
    kdk_err "the capture kernel never booted (found $banners 'Linux version' banner(s), want 2)"
    ok=1
  fi
  local start done_ failed
  start=$(grep -n -m1 -F 'kdumpkit: capture starting' <<<"$text" | cut -d: -f1)
  done_=$(grep -n -m1 -F 'kdumpkit: capture complete' <<<"$text" | cut -d: -f1)
  failed=$(grep -m1 -F 'kdumpkit: capture failed' <<<"$text" || true)
  [ -z "$failed" ] || {
    kdk_err "the capture reported: $failed"
    ok=1
  }
  if [ -z "$start" ]; then
    kdk_err "no 'kdumpkit: capture starting' on the console"
    ok=1
  elif [ -z "$done_" ]; then
    kdk_err "no final 'kdumpkit: capture complete' on the console"
    ok=1
  elif [ "$done_" -lt "$start" ]; then
    kdk_err "'kdumpkit: capture complete' came before 'kdumpkit: capture starting'"
    ok=1
  elif [ -n "$second" ] && [ "$start" -lt "$second" ]; then
    kdk_err "'kdumpkit: capture starting' appeared before the capture kernel booted"
    ok=1
  fi
  if [ -n "$second" ]; then
    local bad
    bad=$(tail -n +"$second" <<<"$text" | grep -n -E 'Attempted to kill init|Kernel panic' | head -n3 || true)
    [ -z "$bad" ] || {
      kdk_err "the capture kernel died: $(tr '\n' ' ' <<<"$bad")"
      ok=1
    }
  fi
  return $ok
}

# kdk_dump_dirs IMG DIR: the entries of DIR in the ext4 image as
# "TYPE NAME SIZE" lines (TYPE d or f), without . and ..; fails if DIR is
# missing.
kdk_dump_dirs() {
  local img=$1 dir=$2 out
  out=$(debugfs -R "ls -p $dir" "$img" 2>&1) || return 1
  grep -q -E '^/[0-9]+/' <<<"$out" || return 1
  awk -F/ 'NF >= 7 && $6 != "." && $6 != ".." {
      printf "%s %s %s\n", (substr($3, 1, 2) == "04" ? "d" : "f"), $6, $7 }' <<<"$out"
}

# kdk_check_target IMG OUT: exactly one crash directory under /crash, with a
# complete vmcore that is extracted to OUT. Sets KDK_DUMP_DIR.
kdk_check_target() {
  local img=$1 out=$2 entries n
  KDK_DUMP_DIR=
  entries=$(kdk_dump_dirs "$img" "$KDK_TARGET_DIR") || {
    kdk_err "the target disk has no $KDK_TARGET_DIR directory"
    return 1
  }
  n=$(grep -c . <<<"$entries" || true)
  if [ "$n" -ne 1 ]; then
    kdk_err "want exactly one entry in $KDK_TARGET_DIR on the target, found $n: $(tr '\n' ';' <<<"$entries")"
    return 1
  fi
  local type name
  read -r type name _ <<<"$entries"
  if [ "$type" != d ] || ! [[ $name =~ ^${KDK_GUEST_HOSTNAME}-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}$ ]]; then
    kdk_err "unexpected entry in $KDK_TARGET_DIR: '$name' (type $type), want directory $KDK_GUEST_HOSTNAME-YYYY-MM-DD-HH:MM:SS"
    return 1
  fi
  # shellcheck disable=SC2034 # read by the callers
  KDK_DUMP_DIR=$name
  local files ok=0
  files=$(kdk_dump_dirs "$img" "$KDK_TARGET_DIR/$name") || {
    kdk_err "cannot list $KDK_TARGET_DIR/$name"
    return 1
  }
  if grep -q -E '^f [^ ]*-incomplete[^ ]* ' <<<"$files"; then
    kdk_err "$KDK_TARGET_DIR/$name has files left incomplete: $(grep -E '^f [^ ]*-incomplete' <<<"$files" | awk '{print $2}' | tr '\n' ' ')"
    ok=1
  fi
  grep -q -E '^f vmcore ' <<<"$files" || {
    kdk_err "no vmcore in $KDK_TARGET_DIR/$name (has: $(awk '{print $2}' <<<"$files" | tr '\n' ' '))"
    return 1
  }
  rm -f "$out"
  debugfs -R "dump \"$KDK_TARGET_DIR/$name/vmcore\" \"$out\"" "$img" >/dev/null 2>&1
  [ -f "$out" ] || {
    kdk_err "debugfs could not extract the vmcore"
    return 1
  }
  kdk_check_vmcore "$out" || ok=1
  # The log and the metadata, when the capture wrote them (it does unless
  # dump_format=raw made a plain copy, as for the fixtures).
  local f
  for f in vmcore-dmesg.txt metadata.json; do
    rm -f "$(dirname "$out")/$f"
    if grep -q -E "^f $f " <<<"$files"; then
      debugfs -R "dump \"$KDK_TARGET_DIR/$name/$f\" \"$(dirname "$out")/$f\"" "$img" >/dev/null 2>&1
    fi
  done
  return $ok
}

# kdk_is_kdump FILE: the file is kdump-compressed (signature "KDUMP   ").
kdk_is_kdump() { [ "$(head -c 8 "$1" 2>/dev/null | tr -d '\0')" = "KDUMP   " ]; }

# kdk_check_metadata DIR: DIR/metadata.json says the dump is complete, and its
# sizes and sha256 digests are those of the files extracted next to it;
# vmcore-dmesg.txt holds the sysrq crash and the panic line names it.
kdk_check_metadata() {
  local dir=$1 ok=0
  [ -f "$dir/metadata.json" ] || {
    kdk_err "no metadata.json in the crash directory"
    return 1
  }
  [ -f "$dir/vmcore-dmesg.txt" ] || {
    kdk_err "no vmcore-dmesg.txt in the crash directory"
    return 1
  }
  grep -q -F 'sysrq: Trigger a crash' "$dir/vmcore-dmesg.txt" || {
    kdk_err "vmcore-dmesg.txt has no 'sysrq: Trigger a crash'"
    ok=1
  }
  local problems
  problems=$(python3 - "$dir" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "metadata.json")))
bad = []
if m.get("complete") is not True:
    bad.append("complete is not true")
if "sysrq" not in m.get("panic_line", ""):
    bad.append("panic_line is %r" % m.get("panic_line"))
names = {f["name"]: f for f in m.get("files", [])}
for name in ("vmcore", "vmcore-dmesg.txt"):
    f = names.get(name)
    if f is None:
        bad.append("no entry for " + name)
        continue
    data = open(os.path.join(d, name), "rb").read()
    if f["size"] != len(data):
        bad.append("%s: size %d recorded, %d on disk" % (name, f["size"], len(data)))
    if f["sha256"] != hashlib.sha256(data).hexdigest():
        bad.append("%s: sha256 differs" % name)
print("; ".join(bad))
PY
) || problems="metadata.json is not valid JSON"
  if [ -n "$problems" ]; then
    kdk_err "metadata.json: $problems"
    ok=1
  fi
  return $ok
}

# kdk_check_vmcore FILE: a kdump-compressed dump (what the capture writes by
# default) larger than 1 MiB, or an ELF core larger than 100 MiB (a raw copy).
kdk_check_vmcore() {
  local f=$1 size type
  size=$(stat -c %s "$f")
  if kdk_is_kdump "$f"; then
    [ "$size" -gt $((1024 * 1024)) ] || {
      kdk_err "the kdump-compressed vmcore is only $size bytes"
      return 1
    }
    return 0
  fi
  type=$(readelf -h "$f" 2>/dev/null | awk -F: '$1 ~ /^ *Type$/ { sub(/^ */, "", $2); print $2 }')
  if [ "$size" -le $((100 * 1024 * 1024)) ]; then
    kdk_err "the vmcore is only $size bytes (want > 100 MiB)"
    return 1
  fi
  case $type in
  CORE*) ;;
  *)
    kdk_err "the vmcore is not an ELF core file (readelf -h Type: '${type:-not ELF}')"
    return 1
    ;;
  esac
}

# kdk_check_decoy IMG: nothing was written to the decoy disk.
kdk_check_decoy() {
  local entries
  entries=$(kdk_dump_dirs "$1" /) || {
    kdk_err "cannot read the decoy disk"
    return 1
  }
  if grep -q -E "^. ${KDK_TARGET_DIR#/} " <<<"$entries"; then
    kdk_err "the decoy disk (LABEL=decoy, vda) has a $KDK_TARGET_DIR: the wrong disk was used"
    return 1
  fi
}

# kdk_check_fsck IMG: the target file system is clean.
kdk_check_fsck() {
  local out
  out=$(e2fsck -fn "$1" 2>&1) || {
    kdk_err "e2fsck -fn found problems on the target:"
    sed 's/^/    | /' <<<"$out" >&2
    return 1
  }
}

# kdk_check_dmesg VMCORE DMESG: the crashed kernel's log, read with
# makedumpfile, shows the sysrq crash.
kdk_check_dmesg() {
  local vmcore=$1 out=$2 err
  if kdk_is_kdump "$vmcore"; then
    # Debian's makedumpfile cannot read zstd: libkdumpfile reads the dump
    # and finds the crash line in the crashed kernel's memory.
    err=$(/usr/bin/python3 "$KDK_QEMU_DIR/check_dump.py" "$vmcore" 2>&1) || {
      kdk_err "libkdumpfile check of the dump: $(tr '\n' ' ' <<<"$err")"
      return 1
    }
    return 0
  fi
  rm -f "$out"
  err=$(makedumpfile --dump-dmesg "$vmcore" "$out" 2>&1) || true
  [ -s "$out" ] || {
    kdk_err "makedumpfile --dump-dmesg could not read the vmcore: $(tr '\n' ' ' <<<"$err")"
    return 1
  }
  grep -q -F 'sysrq: Trigger a crash' "$out" || {
    kdk_err "the crashed kernel's log (makedumpfile --dump-dmesg) has no 'sysrq: Trigger a crash'"
    return 1
  }
}

# ---------------------------------------------------------------- the cycle

# kdk_cycle BINARY MODE: runs the whole cycle; MODE is e2e or demo (narrated,
# live console). Returns non-zero on failure, with KDK_WORK kept.
kdk_cycle() {
  local binary=$1 mode=$2 live=0
  [ "$mode" = demo ] && live=1
  kdk_require_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile readelf cpio \
    modprobe depmod apt-get apt-cache dpkg-deb timeout || return 1
  [ -f "$binary" ] && [ -x "$binary" ] || {
    kdk_err "no kdumpkit binary at '$binary' (build it with: make product)"
    return 1
  }
  binary=$(readlink -f "$binary")
  mkdir -p "${KDUMPKIT_WORK:-/tmp}"
  KDK_WORK=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-e2e.XXXX")
  local w=$KDK_WORK ok=0

  [ $live = 1 ] && kdk_say "Fetching the Debian kernel and busybox-static (cached after the first run)"
  kdk_phase "fetch guest kernel+busybox" kdk_fetch_guest || return 1
  [ $live = 1 ] && kdk_note "kernel $KDK_KREL ($KDK_KPKG $KDK_KVER), busybox-static $KDK_BBVER" &&
    kdk_note "cache: $KDK_GUEST_DIR"

  [ $live = 1 ] && kdk_say "Building the first kernel's initramfs: busybox, kdumpkit, the kernel image, modules"
  kdk_phase "build first-kernel initramfs" kdk_build_first_initramfs "$binary" "$w/first.cpio" ${KDK_CYCLE_OVERLAY:+"$KDK_CYCLE_OVERLAY"} || return 1
  [ $live = 1 ] && kdk_note "$w/first.cpio: $(du -h "$w/first.cpio" | cut -f1)"

  [ $live = 1 ] && kdk_say "Creating two disks: vda (ext4, LABEL=decoy) and vdb (ext4, LABEL=kdumpdata, 2 GiB sparse)"
  kdk_phase "create disk images" kdk_make_disks "$w" || return 1

  [ $live = 1 ] && kdk_say "Booting QEMU (${KDUMPKIT_QEMU_ACCEL:-tcg}, ${KDUMPKIT_QEMU_MEM:-1G}): the guest runs 'kdumpkit load', crashes itself with sysrq-c, the capture kernel runs kdumpkit, which saves /proc/vmcore to LABEL=kdumpdata and reboots" &&
    kdk_note "serial console (also in $w/console.log):"
  kdk_phase "boot, load, crash, capture (QEMU)" kdk_boot "$w" "$w/first.cpio" "$live" || ok=1
  kdk_console_phases "$w/console.log"

  [ $live = 1 ] && kdk_say "Checking what was saved, from the host (debugfs, no mounting)"
  kdk_phase "check console" kdk_check_console "$w/console.log" || ok=1
  kdk_phase "extract+check vmcore (debugfs)" kdk_check_target "$w/vdb.img" "$w/vmcore" || ok=1
  kdk_phase "check decoy disk untouched" kdk_check_decoy "$w/vda.img" || ok=1
  if [ -f "$w/vmcore" ]; then
    if kdk_is_kdump "$w/vmcore"; then
      kdk_phase "libkdumpfile reads the dump" kdk_check_dmesg "$w/vmcore" "$w/dmesg.txt" || ok=1
      kdk_phase "vmcore-dmesg.txt, metadata.json" kdk_check_metadata "$w" || ok=1
    else
      kdk_phase "makedumpfile --dump-dmesg" kdk_check_dmesg "$w/vmcore" "$w/dmesg.txt" || ok=1
    fi
  fi
  kdk_phase "e2fsck -fn target" kdk_check_fsck "$w/vdb.img" || ok=1
  return $ok
}

# kdk_console_phases LOG: adds the guest-side phases, measured on the console
# lines' kernel timestamps (first boot -> armed, crash -> capture start ->
# capture complete), to the phase table as informational rows.
kdk_console_phases() {
  local text
  text=$(kdk_console_text "$1")
  # Kernel timestamps restart in the capture kernel; userspace lines have
  # none, so take the nearest preceding kernel timestamp.
  local rows
  rows=$(awk '
    match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0 }
    /Linux version/ { n++; if (n == 2) { crash_boot = 1 } }
    /KDK-GUEST: userspace up/ && !u { u = t; printf "guest: kernel boot to /init|%.1f\n", t }
    /KDK-GUEST: armed/ && !a { a = t; printf "guest: modprobe + kdumpkit load|%.1f\n", t - u }
    /kdumpkit: capture starting/ && !s { s = t; printf "capture kernel: boot to kdumpkit|%.1f\n", t }
    /kdumpkit: capture complete/ && !c { c = t; printf "capture kernel: save vmcore|%.1f\n", t - s }
  ' <<<"$text")
  local name secs
  while IFS='|' read -r name secs; do
    [ -n "$name" ] || continue
    KDK_PHASE_NAMES+=("  ($name)")
    KDK_PHASE_SECS+=("$secs")
    KDK_PHASE_STATUS+=("(guest clock, part of the QEMU run)")
  done <<<"$rows"
}
