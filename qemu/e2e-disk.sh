#!/usr/bin/env bash
# e2e-disk.sh BINARY: the end-to-end test of a real kdump cycle. Boots the
# Debian kernel in QEMU with BINARY as /usr/sbin/kdumpkit, arms the capture
# kernel with `kdumpkit load`, crashes with sysrq-c, lets the capture kernel's
# kdumpkit save /proc/vmcore to the disk labelled kdumpdata (vdb; vda is a
# decoy), and checks the dump from the host. Exit 0 = pass; otherwise the
# reasons are printed and the work dir (console log, disks) is kept.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile readelf cpio modprobe depmod apt-get dpkg-deb python3
[ $# -eq 1 ] || kdk_die "usage: $0 BINARY"
exec 2>&1 # keep the reasons in order with the rest

rc=0
kdk_cycle "$1" e2e || rc=$?
kdk_phase_table
if [ $rc -ne 0 ]; then
  if [ -n "${KDK_WORK:-}" ] && [ -f "$KDK_WORK/console.log" ]; then
    echo
    echo "last 60 console lines:"
    kdk_console_text "$KDK_WORK/console.log" | tail -n 60 | sed 's/^/    | /'
  fi
  echo
  echo "e2e-disk: FAILED; kept the work dir ${KDK_WORK:-(none)} (console.log, disks)"
  exit 1
fi
echo
echo "e2e-disk: PASSED (dump $KDK_TARGET_DIR/$KDK_DUMP_DIR, vmcore $(stat -c %s "$KDK_WORK/vmcore") bytes)"
if [ "${KDUMPKIT_KEEP:-0}" = 1 ]; then
  echo "kept $KDK_WORK (KDUMPKIT_KEEP=1)"
else
  rm -rf "$KDK_WORK"
fi
