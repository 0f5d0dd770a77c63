#!/usr/bin/env bash
# demo.sh BINARY (make demo): one narrated kdump cycle in QEMU. A Debian kernel
# boots, `kdumpkit load` arms the capture kernel, the guest crashes itself,
# the capture kernel runs kdumpkit as PID 1, which saves the memory of the
# crashed kernel (/proc/vmcore) onto a second disk. The host then shows what
# was saved. Same cycle and checks as qemu/e2e-disk.sh (both use qemu/lib.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || kdk_die "usage: $0 BINARY"
exec 2>&1

cat <<'INTRO'
kdumpkit demo
=============
What happens:
  1. the Debian distribution kernel and busybox are fetched (once, then cached);
  2. an initramfs for that kernel is built: busybox, kdumpkit, the kernel image
     and its storage/network modules, and /etc/kdumpkit.conf saying
         target = disk:LABEL=kdumpdata:/crash
  3. QEMU boots it with two disks: vda (LABEL=decoy) and vdb (LABEL=kdumpdata);
     the guest runs `kdumpkit load`, which builds the capture initramfs and loads
     the capture kernel into the memory reserved by crashkernel=256M, then
     crashes itself with `echo c > /proc/sysrq-trigger`;
  4. the crash jumps into the capture kernel; kdumpkit runs as its PID 1, finds
     LABEL=kdumpdata and saves to /crash/<host>-<date>/: the kernel log
     (vmcore-dmesg.txt) first, then the dump filtered and compressed
     (vmcore: kdump-compressed, dump level 31, zstd), then metadata.json;
     then it reboots;
  5. the host reads the disk without mounting it (debugfs) and checks the dump.
INTRO

rc=0
kdk_cycle "$1" demo || rc=$?
w=${KDK_WORK:-}

if [ -n "$w" ] && [ -f "$w/vdb.img" ]; then
  kdk_say "What was saved on vdb (LABEL=kdumpdata)"
  debugfs -R "ls -l $KDK_TARGET_DIR" "$w/vdb.img" 2>/dev/null | sed 's/^/    /'
  if [ -n "${KDK_DUMP_DIR:-}" ]; then
    echo "    $KDK_TARGET_DIR/$KDK_DUMP_DIR:"
    debugfs -R "ls -l \"$KDK_TARGET_DIR/$KDK_DUMP_DIR\"" "$w/vdb.img" 2>/dev/null | sed 's/^/    /'
  fi
fi
if [ -n "$w" ] && [ -f "$w/vmcore" ]; then
  if kdk_is_kdump "$w/vmcore"; then
    kdk_note "vmcore: $(stat -c %s "$w/vmcore") bytes ($(du -h --apparent-size "$w/vmcore" | cut -f1)), kdump-compressed; the crashed machine had $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmcore_bytes"] >> 20)' "$w/metadata.json" 2>/dev/null || echo '?') MiB of /proc/vmcore"
  else
    kdk_note "vmcore: $(stat -c %s "$w/vmcore") bytes ($(du -h --apparent-size "$w/vmcore" | cut -f1)); $(readelf -h "$w/vmcore" | awk -F: '/Type:/ { sub(/^ +/, "", $2); print $2 }')"
  fi
fi
if [ -n "$w" ] && [ -s "$w/metadata.json" ]; then
  kdk_say "metadata.json (written last: it marks the dump complete)"
  sed 's/^/    /' "$w/metadata.json" | head -n 40
fi
if [ -n "$w" ] && [ -s "$w/vmcore-dmesg.txt" ] && [ ! -s "$w/dmesg.txt" ]; then
  cp "$w/vmcore-dmesg.txt" "$w/dmesg.txt"
fi
if [ -n "$w" ] && [ -s "$w/dmesg.txt" ]; then
  kdk_say "The crashed kernel's last words (vmcore-dmesg.txt, saved first by the capture)"
  # From just before the crash; the rest of the log is the call trace.
  n=$(grep -n -m1 -F 'sysrq: Trigger a crash' "$w/dmesg.txt" | cut -d: -f1)
  tail -n +$((${n:-16} > 4 ? ${n:-16} - 4 : 1)) "$w/dmesg.txt" | head -n 15 | cut -c1-160 | sed 's/^/    /'
  kdk_note "(all $(wc -l <"$w/dmesg.txt") lines: $w/dmesg.txt)"
fi

kdk_say "Time per phase"
kdk_phase_table

if [ $rc -ne 0 ]; then
  echo
  echo "demo: something went wrong (see the FAIL lines above)."
  echo "      console log and disks kept in $w"
  exit 1
fi
[ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -f "$w/vmcore" "$w/vda.img" "$w/vdb.img" "$w/first.cpio"
echo
echo "demo: done. The console log and the crashed kernel's log are kept in $w"
echo "      (console.log, dmesg.txt); the big files were removed."
