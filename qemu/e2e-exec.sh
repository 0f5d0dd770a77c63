#!/usr/bin/env bash
# e2e-exec.sh BINARY [bios|uefi]...: `kdumpkit exec` reboots a guest into
# another kernel without the firmware, by both syscalls, in one QEMU run:
#   first kernel   mounts an ext4 disk and writes a file on it, then
#                  `kdumpkit exec --syscall=file --append kdk.exec=file`
#                  (load, sync, unmount, jump in one step)
#   second kernel  must have kdk.exec=file on its command line and find the
#                  file (synced, unmounted cleanly), then
#                  `kdumpkit exec --load-only --syscall=load --command-line
#                  "... kdk.exec=load"` and `kdumpkit exec --now`
#   third kernel   started by our purgatory, kdk.exec=load on its command
#                  line; powers off
# bios runs on SeaBIOS, uefi on OVMF (the EFI information handed on by both
# loaders). Default: both (~2 min under TCG). Exit 0 = pass.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 mkfs.ext4 cpio modprobe depmod
OVMF=${KDUMPKIT_OVMF:-/usr/share/ovmf/OVMF.fd}
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [bios|uefi]..."
exec 2>&1
BIN=$(readlink -f "$1")
shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(bios uefi)
for s in "${SCENARIOS[@]}"; do
  [ "$s" != uefi ] || [ -f "$OVMF" ] || kdk_skip "no $OVMF (Debian package ovmf)"
done
kdk_fetch_guest || exit 1
FAILED=()

# The same /init in every stage; the stage is the kdk.exec= marker.
write_init() {
  cat >"$1/init" <<'SH'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /mnt /tmp
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
export PATH=/bin:/usr/sbin
stage=$(sed -n 's/.*kdk\.exec=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "KDK-EXEC: up, stage '${stage:-first}', command line: $(cat /proc/cmdline)"
[ -d /sys/firmware/efi ] && echo "KDK-EXEC: EFI runtime map of $(ls /sys/firmware/efi/runtime-map | wc -l) regions"
modprobe virtio_pci; modprobe virtio_blk; modprobe crc32c_generic; modprobe ext4
i=0; while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
case $stage in
"")
  mount -t ext4 /dev/vda /mnt && echo "written by the first kernel" >/mnt/marker.txt
  kdumpkit exec --syscall=file --kernel /boot/vmlinuz --initrd /boot/next.cpio --append kdk.exec=file
  echo "KDK-EXEC: exec returned $?"
  ;;
file)
  mount -t ext4 /dev/vda /mnt && echo "KDK-EXEC: marker: $(cat /mnt/marker.txt)"
  kdumpkit exec --load-only --syscall=load --kernel /boot/vmlinuz --initrd /boot/next.cpio \
    --command-line "console=ttyS0 panic=1 loglevel=6 kdk.exec=load"
  echo "KDK-EXEC: load-only returned $?, kexec_loaded=$(cat /sys/kernel/kexec_loaded)"
  kdumpkit exec --now
  echo "KDK-EXEC: exec --now returned $?"
  ;;
load)
  echo "KDK-EXEC: chain complete"
  ;;
esac
poweroff -f
SH
  chmod 0755 "$1/init"
}

# stage_cpio DIR OUT [NEXT]: busybox, the modules for vda, and, when NEXT is
# given, kdumpkit, the kernel and NEXT as /boot/next.cpio.
stage_cpio() {
  local d=$1 out=$2 next=${3:-} moddir=lib/modules/$KDK_KREL mods
  mkdir -p "$d/bin" "$d/usr/sbin" "$d/boot" "$d/$moddir" && cp "$KDK_BUSYBOX" "$d/bin/busybox" || return 1
  for a in $("$KDK_BUSYBOX" --list); do [ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"; done
  cp "$KDK_GUEST_ROOT/$moddir"/modules.* "$d/$moddir/" &&
    mods=$(kdk_module_closure "$KDK_GUEST_ROOT" "$KDK_KREL" virtio_pci virtio_blk crc32c_generic ext4) &&
    # shellcheck disable=SC2086
    (cd "$KDK_GUEST_ROOT/$moddir" && cp --parents $mods "$d/$moddir/") || return 1
  if [ -n "$next" ]; then
    install -m 0755 "$BIN" "$d/usr/sbin/kdumpkit" && cp "$KDK_VMLINUZ" "$d/boot/vmlinuz" &&
      cp "$next" "$d/boot/next.cpio" || return 1
  fi
  write_init "$d"
  (cd "$d" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
}

run() {
  local fw=$1 e=0 W start
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-exec-$fw.XXXX")
  stage_cpio "$W/c" "$W/c.cpio" && stage_cpio "$W/b" "$W/b.cpio" "$W/c.cpio" &&
    stage_cpio "$W/a" "$W/a.cpio" "$W/b.cpio" || { kdk_err "building the stages failed"; return 1; }
  truncate -s 64M "$W/vda.img" && mkfs.ext4 -q -F -L execdisk "$W/vda.img" && truncate -s 16M "$W/vdb.img" || return 1
  kdk_note "stages: $(du -h "$W/a.cpio" | cut -f1) (first), $(du -h "$W/b.cpio" | cut -f1), $(du -h "$W/c.cpio" | cut -f1)"
  local extra=""
  [ "$fw" = uefi ] && extra="-bios $OVMF"
  start=$(date +%s)
  KDUMPKIT_APPEND="" KDK_QEMU_EXTRA="$extra" kdk_boot "$W" "$W/a.cpio" || e=1
  local secs=$(($(date +%s) - start)) text
  text=$(kdk_console_text "$W/console.log")
  want() { grep -q -F -- "$1" <<<"$text" || { kdk_err "$fw: no '$1' on the console"; e=1; }; }
  want "KDK-EXEC: up, stage 'first'"
  want "kdumpkit: exec: /boot/vmlinuz loaded with kexec_file_load"
  want "kdumpkit: exec: 1 file system unmounted"
  grep -q -E "KDK-EXEC: up, stage 'file', command line: .*kdk\.exec=file" <<<"$text" ||
    { kdk_err "$fw: the second kernel did not start with kdk.exec=file"; e=1; }
  want "KDK-EXEC: marker: written by the first kernel"
  want "kdumpkit: exec: /boot/vmlinuz loaded with kexec_load"
  want "KDK-EXEC: load-only returned 0, kexec_loaded=1"
  want "kdumpkit purgatory: sha256 of 3 segments verified"
  want "KDK-EXEC: up, stage 'load', command line: console=ttyS0 panic=1 loglevel=6 kdk.exec=load"
  want "KDK-EXEC: chain complete"
  if [ "$fw" = uefi ]; then
    # Both later kernels found EFI from what the loaders handed on.
    [ "$(grep -c -F 'KDK-EXEC: EFI runtime map of ' <<<"$text" || true)" = 3 ] ||
      { kdk_err "$fw: not every kernel came up with EFI"; e=1; }
  fi
  [ "$(grep -c -F 'Linux version' <<<"$text" || true)" = 3 ] || { kdk_err "$fw: want three kernels"; e=1; }
  ! grep -q -F "KDK-EXEC: exec returned" <<<"$text" || { kdk_err "$fw: exec returned"; e=1; }
  if [ $e = 0 ]; then
    echo "exec $fw: PASSED ($secs s of QEMU)"
    [ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -rf "$W"
  else
    echo "exec $fw: FAILED; work dir $W; last console lines:"
    tail -n 30 "$W/console.log" | sed 's/^/    | /'
    FAILED+=("$fw")
  fi
}

for s in "${SCENARIOS[@]}"; do
  case $s in bios | uefi) run "$s" ;; *) kdk_die "unknown scenario '$s' (bios, uefi)" ;; esac
done
[ ${#FAILED[@]} -eq 0 ] || { echo "e2e-exec: FAILED: ${FAILED[*]}"; exit 1; }
echo "e2e-exec: PASSED (${SCENARIOS[*]})"
