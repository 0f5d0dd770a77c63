#!/usr/bin/env bash
# bench-floor.sh [LOW HIGH]: a benchmark (a tool, not a test). The memory the
# guest kernel needs with no capture at all: QEMU boots the fixtures' kernel
# with -m MiB, the capture kernel's own command-line words and a ~1 MiB
# initramfs whose /init (busybox) only prints a line and powers off. Bisects
# over whole MiB in [LOW, HIGH] (default 64 128) for the smallest -m at which
# /init runs. No crashkernel= below this can ever work with this kernel,
# whatever the capture initramfs; compare with bench-capture.sh's bisection.
# Each boot is ~10 s under TCG.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
low=${1:-64}
high=${2:-128}
kdk_require_tools qemu-system-x86_64 cpio
kdk_fetch_guest >/dev/null || kdk_die "no guest kernel"
w=$(mktemp -d "${TMPDIR:-/tmp}/kdk-floor.XXXX")
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/root/bin" "$w/root/dev"
cp "$KDK_BUSYBOX" "$w/root/bin/busybox"
cat >"$w/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox echo "KDK-FLOOR: /init runs"
/bin/busybox poweroff -f
EOF
chmod +x "$w/root/init"
(cd "$w/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$w/floor.cpio" ||
  kdk_die "cpio failed"
echo "initramfs $(($(stat -c %s "$w/floor.cpio") / 1024)) KiB, kernel $KDK_KREL"

# boots MIB: 0 when /init ran.
boots() {
  timeout -k 5 120 qemu-system-x86_64 -accel tcg -m "${1}M" -smp 1 -nodefaults -display none \
    -no-reboot -monitor none -serial stdio -kernel "$KDK_VMLINUZ" -initrd "$w/floor.cpio" \
    -append "console=ttyS0 loglevel=6 irqpoll nr_cpus=1 reset_devices panic=-1" \
    </dev/null >"$w/console-$1.log" 2>&1
  grep -q "KDK-FLOOR: /init runs" "$w/console-$1.log"
}

boots "$high" || kdk_die "no boot at ${high}M: raise HIGH"
! boots "$low" || kdk_die "boots at ${low}M: lower LOW"
while [ $((high - low)) -gt 1 ]; do
  mid=$(((low + high) / 2))
  if boots "$mid"; then high=$mid; else low=$mid; fi
  echo "  ${mid}M: $([ "$high" = "$mid" ] && echo boots || echo fails)"
done
why=$(grep -m1 -E "invoked oom-killer|Kernel panic|Out of memory" "$w/console-$low.log" | sed 's/^\[ *[0-9.]*\] //')
echo "floor: boots at ${high}M, fails at ${low}M (${why:-no /init line})"
