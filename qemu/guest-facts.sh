#!/usr/bin/env bash
# guest-facts.sh BINARY OUTDIR [seabios|uefi] [MEM]: boots the Debian guest
# (no crash) and saves what the kexec_load path reads from a real machine,
# one file each in OUTDIR: iomem.txt (/proc/iomem as root), memmap.txt
# (/sys/firmware/memmap as "start end type" lines), efi.txt (the EFI sysfs
# files and the runtime map, when booted by UEFI), cpus.txt (possible CPUs and
# crash_notes), vmcoreinfo.txt. tests/loader/data/ holds such files for the
# memory-range tests; this script is how they were made.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 2 ] || kdk_die "usage: $0 BINARY OUTDIR [seabios|uefi] [MEM]"
binary=$(readlink -f "$1")
out=$2
fw=${3:-seabios}
mem=${4:-1G}
kdk_fetch_guest
W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-facts.XXXX")
mkdir -p "$W/overlay/etc/kdk" "$out"
cat >"$W/overlay/etc/kdk/before-crash" <<'SH'
#!/bin/sh
fact() { echo "KDK-FACT-BEGIN $1"; sh -c "$2" 2>&1; echo "KDK-FACT-END $1"; }
fact iomem.txt 'cat /proc/iomem'
fact memmap.txt 'for d in /sys/firmware/memmap/*; do echo "$(cat $d/start) $(cat $d/end) $(cat $d/type)"; done'
fact cpus.txt 'echo "possible $(cat /sys/devices/system/cpu/possible)"; for c in /sys/devices/system/cpu/cpu[0-9]*; do echo "$(basename $c) $(cat $c/crash_notes) $(cat $c/crash_notes_size)"; done'
fact vmcoreinfo.txt 'cat /sys/kernel/vmcoreinfo'
if [ -d /sys/firmware/efi ]; then
  fact efi.txt 'cd /sys/firmware/efi; for f in systab fw_vendor runtime config_table fw_platform_size; do [ -f $f ] && echo "== $f" && cat $f; done; for d in runtime-map/*; do echo "runtime-map $(basename $d) type=$(cat $d/type) phys=$(cat $d/phys_addr) virt=$(cat $d/virt_addr) pages=$(cat $d/num_pages) attr=$(cat $d/attribute)"; done'
fi
SH
chmod 0755 "$W/overlay/etc/kdk/before-crash"
kdk_build_first_initramfs "$binary" "$W/first.cpio" "$W/overlay"
kdk_make_disks "$W"
extra=
[ "$fw" = uefi ] && extra="-bios /usr/share/ovmf/OVMF.fd"
KDUMPKIT_QEMU_MEM=$mem KDUMPKIT_APPEND="kdk.nocrash" KDK_QEMU_EXTRA="$extra" kdk_boot "$W" "$W/first.cpio"
kdk_console_text "$W/console.log" | awk -v dir="$out" '
  /^KDK-FACT-BEGIN / { f = dir "/" $2; printf "" > f; on = 1; next }
  /^KDK-FACT-END / { on = 0; close(f); next }
  on { print >> f }'
ls -l "$out"
rm -rf "$W"
