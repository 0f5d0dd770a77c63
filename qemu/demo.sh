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

# The crash directory is kept, copied off the target disk, for the reader.
bin=$(readlink -f "$1")
keep=${KDUMPKIT_DEMO_DIR:-$(dirname "$bin")/demo}
saved=
if [ -n "$w" ] && [ -f "$w/vdb.img" ] && [ -n "${KDK_DUMP_DIR:-}" ]; then
  kdk_say "What was saved on vdb (LABEL=kdumpdata), copied to $keep/$KDK_DUMP_DIR/"
  mkdir -p "$keep"
  rm -rf "${keep:?}/$KDK_DUMP_DIR"
  debugfs -R "rdump \"$KDK_TARGET_DIR/$KDK_DUMP_DIR\" \"$keep\"" "$w/vdb.img" >/dev/null 2>&1 || true
  if [ -f "$keep/$KDK_DUMP_DIR/vmcore" ]; then
    saved=$keep/$KDK_DUMP_DIR
    (cd "$saved" && ls -l) | sed 's/^/    /'
  else
    kdk_note "debugfs could not copy the crash directory"
  fi
fi
if [ -n "$saved" ] && kdk_is_kdump "$saved/vmcore"; then
  kdk_note "vmcore: $(stat -c %s "$saved/vmcore") bytes ($(du -h --apparent-size "$saved/vmcore" | cut -f1)), kdump-compressed; the crashed machine had $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vmcore_bytes"] >> 20)' "$saved/metadata.json" 2>/dev/null || echo '?') MiB of /proc/vmcore"
fi
if [ -n "$saved" ] && [ -s "$saved/metadata.json" ]; then
  kdk_say "metadata.json (written last: it marks the dump complete)"
  lines=$(wc -l <"$saved/metadata.json")
  awk -v n="$lines" 'NR <= 60 { print "    " $0 } NR == 61 { printf "    ... (%d more lines: the whole file is %s)\n", n - 60, FILENAME }' \
    "$saved/metadata.json"
fi
if [ -n "$saved" ]; then
  kdk_say "Reading the dump: kdumpkit dmesg $saved/vmcore (the crashed kernel's last words)"
  if "$bin" dmesg "$saved/vmcore" -o "$w/dmesg.txt" 2>"$w/dmesg.err"; then
    # From just before the crash; the rest of the log is the call trace.
    n=$(grep -n -m1 -F 'sysrq: Trigger a crash' "$w/dmesg.txt" | cut -d: -f1)
    tail -n +$((${n:-16} > 4 ? ${n:-16} - 4 : 1)) "$w/dmesg.txt" | awk 'NR <= 15' | cut -c1-160 | sed 's/^/    /'
    kdk_note "($(wc -l <"$w/dmesg.txt") lines in all; the same text is in $saved/vmcore-dmesg.txt)"
  else
    kdk_note "kdumpkit dmesg failed: $(cat "$w/dmesg.err")"
  fi
  cat <<HOWTO

    How to read this dump further:
      $bin dmesg $saved/vmcore        # the kernel log, as makedumpfile --dump-dmesg prints it
      $bin dump -d 31 -c lzo $saved/vmcore other.vmcore   # refilter or recompress it
    crash and drgn need the kernel's debug symbols, $KDK_KPKG-dbg ($KDK_KVER, about 860 MB):
      tests/debuginfo/fetch-dbg.sh $KDK_KPKG $KDK_KVER     # prints the path of vmlinux-$KDK_KREL
      crash <that vmlinux> $saved/vmcore
      drgn -s <that vmlinux> -c $saved/vmcore
    (make debuginfo fetches them and checks both tools on kdumpkit's dumps.)
HOWTO
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
echo "demo: done. The crash directory is kept in ${saved:-$keep}"
echo "      and the console log in $w/console.log."
