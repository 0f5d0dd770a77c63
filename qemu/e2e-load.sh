#!/usr/bin/env bash
# e2e-load.sh BINARY [test|refuse]...: the load side in a real guest.
#   test    the guest arms with `kdumpkit load` (config with nr_cpus and
#           capture_args), then its workload runs `kdumpkit status` and
#           `kdumpkit test --yes`, which re-arms (the initramfs is up to date)
#           and crashes through sysrq; the capture kernel must save the dump,
#           with the configured words on its command line.
#   refuse  the guest unloads, then runs `kdumpkit load` on a configuration
#           with a wrong UUID, a typo in a key and a directory that can't be
#           written: load must refuse naming all three lines, and
#           /sys/kernel/kexec_crash_loaded must stay 0.
# Default: both. Exit 0 = pass; the work dirs are kept on failure.
set -euo pipefail
# shellcheck disable=SC2317 # overlay_* and check_* are called by name
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile readelf cpio
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [test|refuse]..."
exec 2>&1
binary=$(readlink -f "$1")
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(test refuse)
kdk_require_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck makedumpfile readelf cpio \
  modprobe depmod apt-get apt-cache dpkg-deb timeout
kdk_fetch_guest

# overlay_test DIR / overlay_refuse DIR: files copied over the first initramfs.
overlay_test() {
  mkdir -p "$1/etc/kdk"
  cat >"$1/etc/kdumpkit.conf" <<CONF
target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR
nr_cpus = 1
capture_args = kdk.e2e_marker=capture-args
CONF
  cat >"$1/etc/kdk/before-crash" <<'SH'
#!/bin/sh
kdumpkit status
echo "KDK-GUEST: status exited $?"
# Without --yes and without a terminal to ask on, nothing crashes.
timeout 20 kdumpkit test </dev/null
echo "KDK-GUEST: test without --yes exited $?"
echo "KDK-GUEST: running kdumpkit test --yes"
kdumpkit test --yes
echo "KDK-GUEST: kdumpkit test returned $?"
exit 1
SH
  chmod 0755 "$1/etc/kdk/before-crash"
}

overlay_refuse() {
  mkdir -p "$1/etc/kdk"
  cat >"$1/etc/kdk/before-crash" <<SH
#!/bin/sh
kdumpkit unload
echo "KDK-GUEST: after unload kexec_crash_loaded=\$(cat /sys/kernel/kexec_crash_loaded)"
# A regular file where the dump directory's parent should be.
mkdir -p /mnt/t && mount -t ext4 /dev/vdb /mnt/t && echo x >/mnt/t/notadir && umount /mnt/t
cat >/tmp/bad.conf <<CONF
target = disk:UUID=00000000-1111-2222-3333-444444444444:/crash
dump_levle = 31
target = disk:LABEL=$KDK_TARGET_LABEL:/notadir/crash
CONF
kdumpkit load --config /tmp/bad.conf
echo "KDK-GUEST: bad load exited \$?"
echo "KDK-GUEST: kexec_crash_loaded=\$(cat /sys/kernel/kexec_crash_loaded)"
kdumpkit status --config /tmp/bad.conf
echo "KDK-GUEST: status exited \$?"
sync
poweroff -f
SH
  chmod 0755 "$1/etc/kdk/before-crash"
}

# The boot after the crash: status lists the dump just saved.
overlay_after() {
  mkdir -p "$1/etc/kdk"
  cat >"$1/etc/kdk/before-crash" <<'SH'
#!/bin/sh
kdumpkit status
echo "KDK-GUEST: status exited $?"
sync
poweroff -f
SH
  chmod 0755 "$1/etc/kdk/before-crash"
}

check_after() {
  local text ok=0
  text=$(kdk_console_text "$1/console.log")
  for want in 'latest dumps:' ': host kdk-guest, ' 'MiB, complete, ' 'sysrq' 'KDK-GUEST: status exited 0'; do
    grep -q -F -- "$want" <<<"$text" || {
      kdk_err "after the crash: no '$want' in kdumpkit status"
      ok=1
    }
  done
  return $ok
}

check_test() {
  local w=$1 text ok=0
  text=$(kdk_console_text "$w/console.log")
  for want in 'kdumpkit: initramfs up to date' 'KDK-GUEST: running kdumpkit test --yes' \
    'KDK-GUEST: test without --yes exited 1' 'give --yes to crash without asking' \
    'kdumpkit: crashing now: writing c to /proc/sysrq-trigger' 'kdk.e2e_marker=capture-args' \
    'capture kernel loaded: yes'; do
    grep -q -F -- "$want" <<<"$text" || {
      kdk_err "no '$want' on the console"
      ok=1
    }
  done
  # The capture kernel's own command line carries the configured words.
  grep -q -v crashkernel <<<"$(grep -E 'Kernel command line: elfcorehdr=.*nr_cpus=1.*kdk\.e2e_marker=capture-args' <<<"$text")" || {
    kdk_err "the capture kernel's command line lacks nr_cpus=1 and the capture_args"
    ok=1
  }
  ! grep -q -F 'KDK-GUEST: kdumpkit test returned' <<<"$text" || {
    kdk_err "kdumpkit test returned instead of crashing"
    ok=1
  }
  kdk_check_console "$w/console.log" || ok=1
  kdk_check_target "$w/vdb.img" "$w/vmcore" || ok=1
  [ -f "$w/vmcore" ] && { kdk_check_metadata "$w" || ok=1; }
  kdk_check_fsck "$w/vdb.img" || ok=1
  [ $ok -eq 0 ] || return $ok
  # Boot once more on the same disks: status must show the dump.
  mkdir -p "$w/after/overlay" && ln -sf "$w/vda.img" "$w/vdb.img" "$w/after/" &&
    overlay_after "$w/after/overlay" &&
    kdk_build_first_initramfs "$binary" "$w/after/first.cpio" "$w/after/overlay" &&
    kdk_boot "$w/after" "$w/after/first.cpio" || return 1
  check_after "$w/after"
}

check_refuse() {
  local w=$1 text ok=0
  text=$(kdk_console_text "$w/console.log")
  for want in 'KDK-GUEST: armed' 'after unload kexec_crash_loaded=0' 'refusing to arm: 3 problems' \
    '/tmp/bad.conf:1: target disk:UUID=00000000-1111-2222-3333-444444444444:/crash: no device with UUID=' \
    '/tmp/bad.conf:2: unknown key "dump_levle"' \
    '/tmp/bad.conf:3: target disk:LABEL=kdumpdata:/notadir/crash: directory /notadir/crash is not writable' \
    'KDK-GUEST: bad load exited 1' 'KDK-GUEST: kexec_crash_loaded=0' 'capture kernel loaded: no' \
    'KDK-GUEST: status exited 3'; do
    grep -q -F -- "$want" <<<"$text" || {
      kdk_err "no '$want' on the console"
      ok=1
    }
  done
  [ "$(grep -c -F 'Linux version' <<<"$text")" = 1 ] || {
    kdk_err "a second kernel booted: the refused load armed something"
    ok=1
  }
  return $ok
}

rc=0
for s in "${scenarios[@]}"; do
  case $s in test | refuse) ;; *) kdk_die "unknown scenario '$s' (test, refuse)" ;; esac
  mkdir -p "${KDUMPKIT_WORK:-/tmp}"
  w=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-e2e-load-$s.XXXX")
  kdk_say "scenario $s ($w)"
  mkdir -p "$w/overlay"
  "overlay_$s" "$w/overlay"
  src=0
  kdk_phase "$s: build first-kernel initramfs" kdk_build_first_initramfs "$binary" "$w/first.cpio" "$w/overlay" &&
    kdk_phase "$s: create disk images" kdk_make_disks "$w" &&
    kdk_phase "$s: boot (QEMU)" kdk_boot "$w" "$w/first.cpio" || src=1
  kdk_phase "$s: checks" "check_$s" "$w" || src=1
  if [ $src -ne 0 ]; then
    echo "last 40 console lines:"
    kdk_console_text "$w/console.log" 2>/dev/null | tail -n 40 | sed 's/^/    | /'
    echo "scenario $s: FAILED; kept $w"
    rc=1
  else
    echo "scenario $s: PASSED"
    [ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -rf "$w"
  fi
done
kdk_phase_table
[ $rc -eq 0 ] && echo "e2e-load: PASSED (${scenarios[*]})" || echo "e2e-load: FAILED"
exit $rc
