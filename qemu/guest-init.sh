#!/bin/sh
# /init of the FIRST (production) kernel in the kdumpkit QEMU harness, run by
# busybox sh: arm the capture kernel with `kdumpkit load`, then crash.
# Lines starting with "KDK-GUEST:" are read by qemu/lib.sh on the host.

mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node: take the console from devtmpfs.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "KDK-GUEST: $*"; }
stop() {
  say "$*"
  say "powering off"
  sync
  poweroff -f
  sleep 10
  reboot -f
}

hostname kdk-guest
# As on a machine set up for kdump: an oops panics, so that it is captured.
echo 1 >/proc/sys/kernel/panic_on_oops
say "userspace up, kernel $(uname -r), hostname $(hostname)"
say "cmdline: $(cat /proc/cmdline)"
say "crash kernel reservation: $(cat /sys/kernel/kexec_crash_size) bytes"

modprobe virtio_pci && modprobe virtio_blk || stop "modprobe failed"
i=0
while [ ! -b /dev/vdb ]; do
  i=$((i + 1))
  [ $i -gt 300 ] && stop "no /dev/vdb after 30 s"
  sleep 0.1
done
say "disks: $(cd /sys/block && echo vd*)"

# qemu/fixtures.sh adds /etc/kdk/load-args (more `kdumpkit load` arguments,
# split on white space) and /etc/kdk/before-crash (a workload run once armed);
# e2e-disk.sh and demo.sh add neither.
load_args=
[ -f /etc/kdk/load-args ] && load_args=$(cat /etc/kdk/load-args)
say "running kdumpkit load${load_args:+ $load_args}"
# shellcheck disable=SC2086 # split on purpose
kdumpkit load $load_args
rc=$?
[ $rc -eq 0 ] || stop "load failed (kdumpkit load exited $rc)"
say "running kdumpkit status"
kdumpkit status
say "kdumpkit status exited $?"
loaded=$(cat /sys/kernel/kexec_crash_loaded)
[ "$loaded" = 1 ] || stop "load failed (kdumpkit load exited 0 but /sys/kernel/kexec_crash_loaded is $loaded)"
say "armed"

if [ -x /etc/kdk/before-crash ]; then
  say "running the workload /etc/kdk/before-crash"
  /etc/kdk/before-crash || stop "workload failed (/etc/kdk/before-crash exited $?)"
  say "workload done"
fi

case " $(cat /proc/cmdline) " in
*" kdk.nocrash "*) stop "kdk.nocrash given: not crashing" ;;
esac
say "crashing now: echo c > /proc/sysrq-trigger"
echo c >/proc/sysrq-trigger
sleep 5
stop "still alive after the sysrq crash"
