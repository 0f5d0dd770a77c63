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
#   xfs-nvme       the target is xfs found by UUID on an NVMe disk (its
#                  drivers found by `load`, not configured)
#   lvm-scsi       ext4 on an LVM logical volume on a virtio-scsi disk: the
#                  capture recreates the mapping with device-mapper ioctls
#   btrfs-gpt      the target is btrfs found by PARTUUID on a GPT partition
#   raw            the target is a raw partition (raw:/dev/vdc); a second
#                  boot runs `kdumpkit savecore` into the ext4 disk, twice
# The xfs and btrfs images are read back through a read-only loop mount and
# checked (xfs_repair -n, btrfs check --readonly).
# Exit 0 = all passed; failed runs keep their work dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 mkfs.ext4 mkfs.xfs mkfs.btrfs sgdisk debugfs e2fsck makedumpfile cpio pvcreate losetup python3
kdk_need_root
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [watchdog-fed|watchdog-hang|deadline]..."
exec 2>&1
BIN=$(readlink -f "$1")
shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(watchdog-fed watchdog-hang deadline xfs-nvme btrfs-gpt raw lvm-scsi)
kdk_require_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile cpio timeout || exit 1
kdk_fetch_guest || exit 1
# btrfs soft-depends on these (by alias); the first initramfs must carry them
# for `load` to copy them into the capture initramfs.
export KDK_EXTRA_GUEST_MODULES="i6300esb sha256_ssse3 blake2b_generic xxhash_generic crc32c_generic crc32c_intel"

# prepare NAME CONFIG-LINES...: a work dir with the first initramfs (the
# configuration replaced) and the two disks; sets W.
prepare() { kdk_scenario_prepare "$BIN" "$@"; }

# Scenario helpers (boot, console, has, result) are kdk_scenario_* in lib.sh.
boot() { kdk_scenario_boot; }
console() { kdk_scenario_console; }
has() { kdk_scenario_has "$1"; }
result() { kdk_scenario_result "$@"; }
# The capture kernel's own timestamp of the first console line containing $1.
stamp() { console | grep -F -m1 -- "$1" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
FAILED=()

scenario_watchdog-fed() {
  local e=0
  prepare watchdog-fed "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" "extra_modules = i6300esb" || return 1
  QEMU_EXTRA="-device i6300esb -action watchdog=reset" APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  has "kdumpkit: watchdog /dev/watchdog armed" || { kdk_err "the watchdog was never armed"; e=1; }
  has "kdumpkit: watchdog stopped" || { kdk_err "no magic close of the watchdog"; e=1; }
  kdk_check_target "$W/vdb.img" "$W/vmcore" || e=1
  if [ -n "${KDK_DUMP_DIR:-}" ]; then
    grep -q ' kdumpkit.log' <<<"$(debugfs -R "ls -l \"$KDK_TARGET_DIR/$KDK_DUMP_DIR\"" "$W/vdb.img" 2>/dev/null)" ||
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
    dir=$(ls -d "$W/look$KDK_TARGET_DIR/$KDK_GUEST_HOSTNAME"-* 2>/dev/null | awk 'NR == 1' || true)
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
  prepare xfs-nvme "target = disk:UUID=$uuid:$KDK_TARGET_DIR" || return 1
  # guest-init.sh loads only virtio drivers and nothing autoloads without
  # udev, so the NVMe driver is loaded first: `load` then sees the disk, and
  # finds the nvme and xfs modules by itself (no extra_modules, no --force).
  printf '%s\n' 'modprobe nvme' \
    'i=0; while [ ! -b /dev/nvme0n1 ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done' >"$W/pre-init"
  kdk_wrap_init "$W/overlay" "$W/pre-init" || return 1
  KDK_EXTRA_GUEST_MODULES="$KDK_EXTRA_GUEST_MODULES nvme" kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" || return 1
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

# The raw target's second boot: savecore (as the systemd unit runs it) into
# the ext4 disk, run twice (the second finds nothing new), then status.
overlay_savecore() {
  mkdir -p "$1/etc/kdk"
  cat >"$1/etc/kdk/before-crash" <<'SH'
#!/bin/sh
mkdir -p /mnt/t && mount -t ext4 /dev/vdb /mnt/t || exit 1
t0=$(cut -d' ' -f1 /proc/uptime)
kdumpkit savecore --dir /mnt/t/crash
echo "KDK-GUEST: savecore exited $? ($t0 -> $(cut -d' ' -f1 /proc/uptime) s uptime)"
kdumpkit savecore --dir /mnt/t/crash
echo "KDK-GUEST: second savecore exited $?"
kdumpkit status
umount /mnt/t
sync
poweroff -f
SH
  chmod 0755 "$1/etc/kdk/before-crash"
}

# raw: the dump goes to a raw partition (/dev/vdc, no filesystem); the next
# boot's `kdumpkit savecore` rebuilds it on the ext4 disk, where it is read
# back like any disk target's dump.
scenario_raw() {
  local e=0 dir
  prepare raw "target = raw:/dev/vdc" || return 1
  truncate -s 1G "$W/vdc.img" || return 1
  QEMU_EXTRA="" APPEND="" boot || e=1
  local first=$SECS
  kdk_check_console "$W/console.log" || e=1
  has "saved a flattened vmcore" || { kdk_err "the capture did not save to the raw target"; e=1; }
  console | grep -E 'kdumpkit: (flattened stream|raw target)' | sed 's/^/    /' || true
  [ "$(head -c 8 "$W/vdc.img")" = KDKRAW01 ] || { kdk_err "no kdumpkit header on vdc"; e=1; }
  mv "$W/console.log" "$W/console-crash.log"
  mkdir -p "$W/after/etc" && cp "$W/overlay/etc/kdumpkit.conf" "$W/after/etc/" && overlay_savecore "$W/after" &&
    kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/after" || return 1
  QEMU_EXTRA="" APPEND="" boot || e=1
  SECS=$((SECS + first))
  console | grep -E 'KDK-GUEST: (second )?savecore|kdumpkit: /dev/vdc' | sed 's/^/    /' || true
  has "KDK-GUEST: savecore exited 0" || { kdk_err "savecore failed"; e=1; }
  has "KDK-GUEST: second savecore exited 0" || { kdk_err "the second savecore failed"; e=1; }
  has "dump saved already" || { kdk_err "the second savecore did not see the dump as saved"; e=1; }
  has "dump $KDK_GUEST_HOSTNAME-" || { kdk_err "status does not show the raw target's dump"; e=1; }
  kdk_check_target "$W/vdb.img" "$W/vmcore" || e=1
  dir=$(dirname "$W/vmcore")
  if [ -f "$W/vmcore" ]; then
    echo "    vmcore $(stat -c %s "$W/vmcore") bytes"
    grep -q -F 'sysrq: Trigger a crash' "$dir/vmcore-dmesg.txt" || { kdk_err "vmcore-dmesg.txt lacks the crash"; e=1; }
    python3 - "$dir" <<'PY' || e=1
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "metadata.json")))
files = {f["name"]: f for f in m["files"]}
bad = []
if m.get("complete") is not True: bad.append("not complete")
if "sysrq" not in m.get("panic_line", ""): bad.append("panic_line %r" % m.get("panic_line"))
if "vmcore.flat" not in files: bad.append("no vmcore.flat entry")
dm = open(os.path.join(d, "vmcore-dmesg.txt"), "rb").read()
if files.get("vmcore-dmesg.txt", {}).get("sha256") != hashlib.sha256(dm).hexdigest(): bad.append("dmesg sha256")
if not m["targets"] or m["targets"][-1]["result"] != "complete": bad.append("targets %r" % m["targets"])
print("    metadata: flattened stream %d bytes, %s" % (files.get("vmcore.flat", {}).get("size", 0), "; ".join(bad) or "ok"))
sys.exit(1 if bad else 0)
PY
    kdk_check_dmesg "$W/vmcore" "$W/dmesg.txt" || e=1
  fi
  kdk_check_fsck "$W/vdb.img" || e=1
  result raw $e
}

# lvm-scsi: ext4 on an LVM logical volume whose PV is a virtio-scsi disk.
# The host makes the PV, VG and LV with lvm2 (activation off: the host
# kernel has no device-mapper here) and the filesystem at the LV's offset;
# the first guest has no lvm tools, so its /init creates the same mapping
# with the host's dmsetup (copied with its libraries), as LVM would. `load`
# then records the table with the PV named by UUID, and the capture kernel,
# which has neither tool, recreates it with DM ioctls before mounting.
scenario_lvm-scsi() {
  local e=0 loop lvcfg pe_start ext sectors pes lv_uuid vg_uuid
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-lvm-scsi.XXXX")
  local keep=$W
  truncate -s 2G "$W/lvm.img" && loop=$(losetup -f --show "$W/lvm.img") || return 1
  lvcfg='global { activation = 0 } activation { udev_sync = 0 udev_rules = 0 }'
  {
    pvcreate -q --config "$lvcfg" "$loop" && vgcreate -q --config "$lvcfg" kdkvg "$loop" &&
      lvcreate -q -y -an -Zn --config "$lvcfg" -L 1536M -n kdklv kdkvg
  } 2>&1 | grep -v -e 'leaked on' -e 'Activation disabled' -e 'not zeroed' || true
  read -r pe_start < <(pvs --config "$lvcfg" --noheadings --units s --nosuffix -o pe_start "$loop" 2>/dev/null)
  read -r sectors pes ext lv_uuid vg_uuid < <(lvs --config "$lvcfg" --noheadings --units s --nosuffix \
    -o lv_size,seg_pe_ranges,vg_extent_size,lv_uuid,vg_uuid kdkvg/kdklv 2>/dev/null)
  losetup -d "$loop"
  [ -n "$sectors" ] && [ -n "$ext" ] || { kdk_err "lvs gave no layout for kdkvg/kdklv"; return 1; }
  local first_pe=${pes##*:}
  first_pe=${first_pe%%-*}
  local offset=$((pe_start + first_pe * ext))
  echo "    PV data at sector $pe_start, LV $sectors sectors from sector $offset"
  loop=$(losetup -f --show -o $((offset * 512)) --sizelimit $((sectors * 512)) "$W/lvm.img") &&
    mkfs.ext4 -q -L kdklvm "$loop" && losetup -d "$loop" || { kdk_err "mkfs.ext4 on the LV failed"; return 1; }
  prepare lvm-scsi "target = disk:LABEL=kdklvm:$KDK_TARGET_DIR" || return 1
  mv "$keep/lvm.img" "$W/" && rm -rf "$keep"
  # The guest's disk numbers are its own: the table takes sda's from sysfs there.
  {
    echo 'for m in virtio_pci virtio_scsi sd_mod dm_mod; do modprobe $m; done'
    echo 'i=0; while [ ! -b /dev/sda ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done'
    echo "table=\"0 $sectors linear \$(cat /sys/block/sda/dev) $offset\""
    echo "DM_DISABLE_UDEV=1 dmsetup create --noudevsync kdkvg-kdklv -u LVM-$(echo "$vg_uuid$lv_uuid" | tr -d -) --table \"\$table\""
    echo 'echo "KDK-GUEST: dmsetup create exited $? ($(dmsetup table kdkvg-kdklv))"'
  } >"$W/pre-init"
  kdk_copy_with_libs "$W/overlay" /usr/sbin/dmsetup && kdk_wrap_init "$W/overlay" "$W/pre-init" || return 1
  KDK_EXTRA_GUEST_MODULES="$KDK_EXTRA_GUEST_MODULES virtio_scsi sd_mod dm_mod" \
    kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" || return 1
  QEMU_EXTRA="-device virtio-scsi-pci,id=scsi0 -drive if=none,id=l0,file=$W/lvm.img,format=raw -device scsi-hd,drive=l0,bus=scsi0.0" \
    APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  console | grep -E 'KDK-GUEST: dmsetup|device-mapper|mounting /dev/dm' | sed 's/^/    /' || true
  has "kdumpkit: device-mapper kdkvg-kdklv: created as" || { kdk_err "the capture did not recreate the LV"; e=1; }
  has "mounting /dev/dm-0 (ext4" || { kdk_err "not saved on /dev/dm-0 as ext4"; e=1; }
  check_image "$W/lvm.img" $((offset * 512)) e2fsck -n || e=1
  result lvm-scsi $e
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
