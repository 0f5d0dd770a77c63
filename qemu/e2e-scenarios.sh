#!/usr/bin/env bash
# e2e-scenarios.sh BINARY [SCENARIO...]: real crashes in QEMU for what the
# capture's PID 1 must survive. Each scenario boots the Debian kernel with
# BINARY as kdumpkit, arms, crashes with sysrq-c, and checks the console and
# the target disk from the host. Scenarios (all by default):
#   watchdog-fed   an i6300esb watchdog: armed by PID 1, fed through a
#                  normal capture, stopped with the magic close; dump valid
#   watchdog-hang  the job hangs (kdumpkit_test.hang=1): PID 1 stops feeding
#                  and the watchdog resets the machine (QEMU exits, -no-reboot)
#   deadline       the job hangs, no watchdog, kdumpkit.deadline=15: PID 1
#                  stops it at the deadline and reboots anyway
#   xfs-nvme       the target is xfs found by UUID on an NVMe disk
#   btrfs-gpt      the target is btrfs found by PARTUUID on a GPT partition
# The xfs and btrfs images are read back through a read-only loop mount and
# checked (xfs_repair -n, btrfs check --readonly).
# Exit 0 = all passed; failed runs keep their work dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [watchdog-fed|watchdog-hang|deadline]..."
exec 2>&1
BIN=$(readlink -f "$1")
shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(watchdog-fed watchdog-hang deadline xfs-nvme btrfs-gpt)
kdk_require_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile cpio timeout || exit 1
kdk_fetch_guest || exit 1
# btrfs soft-depends on these (by alias); the first initramfs must carry them
# for `load` to copy them into the capture initramfs.
export KDK_EXTRA_GUEST_MODULES="i6300esb sha256_ssse3 blake2b_generic xxhash_generic crc32c_generic crc32c_intel"

# prepare NAME CONFIG-LINES...: a work dir with the first initramfs (the
# configuration replaced) and the two disks; sets W.
prepare() {
  local name=$1
  shift
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-$name.XXXX")
  mkdir -p "$W/overlay/etc"
  printf '%s\n' "$@" >"$W/overlay/etc/kdumpkit.conf"
  kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" && kdk_make_disks "$W"
}

# boot: QEMU with $APPEND on the first kernel's command line (the capture
# kernel inherits it) and $QEMU_EXTRA; prints the seconds it ran.
boot() {
  local start rc=0
  start=$(date +%s)
  KDUMPKIT_APPEND="${APPEND:-}" KDK_QEMU_EXTRA="${QEMU_EXTRA:-}" kdk_boot "$W" "$W/first.cpio" 0 || rc=$?
  SECS=$(($(date +%s) - start))
  return $rc
}

console() { kdk_console_text "$W/console.log"; }
has() { console | grep -q -F -- "$1"; }
# The capture kernel's own timestamp of the first console line containing $1.
stamp() { console | grep -F -m1 -- "$1" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }

FAILED=()
result() {
  local name=$1 errs=$2
  if [ "$errs" -eq 0 ]; then
    echo "scenario $name: PASSED ($SECS s of QEMU)"
    [ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -rf "$W"
  else
    echo "scenario $name: FAILED; work dir $W; last console lines:"
    console | tail -n 25 | sed 's/^/    | /'
    FAILED+=("$name")
  fi
}

scenario_watchdog-fed() {
  local e=0
  prepare watchdog-fed "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" "extra_modules = i6300esb" || return 1
  QEMU_EXTRA="-device i6300esb -action watchdog=reset" APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  has "kdumpkit: watchdog /dev/watchdog armed" || { kdk_err "the watchdog was never armed"; e=1; }
  has "kdumpkit: watchdog stopped" || { kdk_err "no magic close of the watchdog"; e=1; }
  kdk_check_target "$W/vdb.img" "$W/vmcore" || e=1
  if [ -n "${KDK_DUMP_DIR:-}" ]; then
    debugfs -R "ls -l \"$KDK_TARGET_DIR/$KDK_DUMP_DIR\"" "$W/vdb.img" 2>/dev/null | grep -q ' kdumpkit.log' ||
      { kdk_err "no kdumpkit.log next to the dump"; e=1; }
  fi
  kdk_check_fsck "$W/vdb.img" || e=1
  result watchdog-fed $e
}

scenario_watchdog-hang() {
  local e=0
  prepare watchdog-hang "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" "extra_modules = i6300esb" \
    "deadline = 900" || return 1
  QEMU_EXTRA="-device i6300esb -action watchdog=reset" \
    APPEND="kdumpkit_test.hang=1 kdumpkit_test.stall_s=5" boot || e=1
  has "kdumpkit: watchdog /dev/watchdog armed" || { kdk_err "the watchdog was never armed"; e=1; }
  has "hangs here on purpose" || { kdk_err "the test hang did not happen"; e=1; }
  has "no longer feeding the watchdog" || { kdk_err "PID 1 did not stop feeding"; e=1; }
  if has "kdumpkit: capture complete" || has "kdumpkit: capture failed"; then
    kdk_err "PID 1 ended the capture itself: the watchdog was not what reset the machine"
    e=1
  fi
  echo "    stopped feeding at $(stamp 'no longer feeding') s (capture kernel clock); QEMU exited after $SECS s"
  result watchdog-hang $e
}

scenario_deadline() {
  local e=0
  prepare deadline "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" "deadline = 900" || return 1
  QEMU_EXTRA="" APPEND="kdumpkit_test.hang=1 kdumpkit.deadline=15" boot || e=1
  has "hangs here on purpose" || { kdk_err "the test hang did not happen"; e=1; }
  has "kdumpkit: deadline 15 s;" || { kdk_err "the deadline override was not applied"; e=1; }
  has "deadline of 15 s reached; capture stopped; reboot" || { kdk_err "no deadline stop followed by reboot"; e=1; }
  local s d
  s=$(stamp "kdumpkit: capture starting")
  d=$(stamp "deadline of 15 s reached")
  echo "    capture started at ${s:-?} s, deadline acted at ${d:-?} s (capture kernel clock)"
  result deadline $e
}

# check_image IMG OFFSET FSCK...: the dump in a read-only loop mount of IMG
# (partition at byte OFFSET), then the filesystem check.
check_image() {
  local img=$1 offset=$2 e=0 loop dir
  shift 2
  loop=$(losetup -f --show -r -o "$offset" "$img") || { kdk_err "losetup $img"; return 1; }
  mkdir -p "$W/look"
  if mount -o ro "$loop" "$W/look"; then
    dir=$(ls -d "$W/look$KDK_TARGET_DIR/$KDK_GUEST_HOSTNAME"-* 2>/dev/null | head -n1)
    if [ -z "$dir" ]; then
      kdk_err "no crash directory on $img"
      e=1
    else
      [ -s "$dir/kdumpkit.log" ] || { kdk_err "no kdumpkit.log"; e=1; }
      kdk_check_metadata "$dir" || e=1
      kdk_check_dmesg "$dir/vmcore" "$W/dmesg.txt" || e=1
      echo "    $(ls "$dir" | tr '\n' ' ')"
    fi
    umount "$W/look"
  else
    kdk_err "read-only mount of $img failed"
    e=1
  fi
  "$@" "$loop" >"$W/fsck.out" 2>&1 || { kdk_err "$* failed: $(tail -n 5 "$W/fsck.out" | tr '\n' ' ')"; e=1; }
  losetup -d "$loop"
  return $e
}

scenario_xfs-nvme() {
  local e=0 uuid
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-xfs-nvme.XXXX")
  truncate -s 2G "$W/nvme.img" && mkfs.xfs -q "$W/nvme.img" || return 1
  uuid=$(blkid -p -s UUID -o value "$W/nvme.img")
  local keep=$W
  prepare xfs-nvme "target = disk:UUID=$uuid:$KDK_TARGET_DIR" "extra_modules = nvme xfs" || return 1
  # The first kernel's /init loads only virtio drivers, so `load` cannot see
  # the NVMe disk: it arms anyway (--force), the capture initramfs carrying
  # the NVMe and xfs drivers by extra_modules. (guest-init.sh is left alone:
  # it is part of the fixtures' cache key.)
  mkdir -p "$W/overlay/etc/kdk" && echo "--force" >"$W/overlay/etc/kdk/load-args"
  kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" || return 1
  mv "$keep/nvme.img" "$W/" && rm -rf "$keep"
  QEMU_EXTRA="-drive if=none,id=n0,file=$W/nvme.img,format=raw -device nvme,drive=n0,serial=kdk" APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  has "mounting /dev/nvme0n1 (xfs" || { kdk_err "not saved on /dev/nvme0n1 as xfs"; e=1; }
  check_image "$W/nvme.img" 0 xfs_repair -n || e=1
  result xfs-nvme $e
}

scenario_btrfs-gpt() {
  local e=0 loop partuuid
  prepare btrfs-gpt "target = disk:PARTUUID=PLACEHOLDER:$KDK_TARGET_DIR" || return 1
  truncate -s 2G "$W/vdc.img" && sgdisk -n 1:2048:+1G -t 1:8300 "$W/vdc.img" >/dev/null ||
    { kdk_err "sgdisk failed"; return 1; }
  loop=$(losetup -f --show -o $((2048 * 512)) --sizelimit $((1 << 30)) "$W/vdc.img") &&
    mkfs.btrfs -q "$loop" >/dev/null && losetup -d "$loop" || { kdk_err "mkfs.btrfs on the partition failed"; return 1; }
  partuuid=$(sgdisk -i 1 "$W/vdc.img" | sed -n 's/^Partition unique GUID: //p' | tr 'A-F' 'a-f')
  [ -n "$partuuid" ] || { kdk_err "no PARTUUID from sgdisk -i 1"; return 1; }
  printf 'target = disk:PARTUUID=%s:%s\n' "$partuuid" "$KDK_TARGET_DIR" >"$W/overlay/etc/kdumpkit.conf"
  kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" || return 1
  echo "    PARTUUID=$partuuid"
  QEMU_EXTRA="" APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  has "mounting /dev/vdc1 (btrfs" || { kdk_err "not saved on /dev/vdc1 as btrfs"; e=1; }
  check_image "$W/vdc.img" $((2048 * 512)) btrfs check --readonly || e=1
  result btrfs-gpt $e
}

for s in "${SCENARIOS[@]}"; do
  kdk_say "scenario $s"
  "scenario_$s" || { FAILED+=("$s"); echo "scenario $s: FAILED to set up"; }
done
if [ ${#FAILED[@]} -ne 0 ]; then
  echo "e2e-scenarios: FAILED: ${FAILED[*]}"
  exit 1
fi
echo "e2e-scenarios: PASSED (${SCENARIOS[*]})"
