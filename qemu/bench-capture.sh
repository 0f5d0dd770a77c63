#!/usr/bin/env bash
# bench-capture.sh BINARY [MEM...]: a benchmark (a tool, not a test) of the
# capture side. For each guest memory size (default: 1G 4G) one real crash
# cycle with a disk target, reporting from the serial console's kernel
# timestamps (the capture kernel's clock starts at the panic's kexec):
#   panic -> capture userspace, capture (log + dump + metadata), -> reboot;
# the capture initramfs's size; the agent's peak RSS (metadata.json); the
# dump's size. Then, for the first size, the smallest crashkernel= that still
# saves a complete dump, found by bisection over whole MiB in [LOW, HIGH]
# (KDK_BENCH_LOW, default 48; KDK_BENCH_HIGH, default 256; KDK_BENCH_BISECT=0
# skips it) down to KDK_BENCH_STEP MiB (default 8). Every run is a full QEMU
# cycle (~25-70 s under TCG).
#   KDK_BENCH_REPORT=0       skip the cycles at 256M (bisect only)
#   KDK_BENCH_LOAD_ARGS      more `kdumpkit load` arguments in the guest
#                            (e.g. "--append nr_cpus=2"; with KDUMPKIT_QEMU_SMP=2)
#   KDK_BENCH_CAPTURE_ARGS   words for the capture kernel's command line, as
#                            the configuration's capture_args (several words,
#                            unlike --append in KDK_BENCH_LOAD_ARGS, which the
#                            guest splits on white space)
#   KDK_BENCH_ESTIMATE=1     the guest prints `kdumpkit estimate` once armed;
#                            the recommendation is shown next to the result
set -uo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [MEM...]"
binary=$(readlink -f "$1")
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1G 4G)
exec 2>&1

# run_cycle MEM CRASHKERNEL: one cycle, quiet; prints "ok" or "fail" and
# leaves the work dir in KDK_WORK.
run_cycle() {
  KDUMPKIT_QEMU_MEM=$1 KDUMPKIT_CRASHKERNEL=$2 kdk_cycle "$binary" e2e >"$KDUMPKIT_WORK/last.log" 2>&1
}

report() {
  local mem=$1 w=$KDK_WORK
  local text
  text=$(kdk_console_text "$w/console.log")
  awk -v mem="$mem" '
    match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0 }
    /Linux version/ { n++ }
    n == 2 && /kdumpkit: capture starting/ && !s { s = t }
    n == 2 && /kdumpkit: capture complete/ && !c { c = t }
    n == 2 && /reboot: Restarting system/ && !r { r = t }
    /capture initramfs .*KiB/ && !i { i = $0; sub(/.*: /, "", i) }
    END {
      printf "%-5s panic->capture userspace %5.1f s | capture %5.1f s | ->reboot %4.1f s | panic->reboot %5.1f s | initramfs %s\n",
        mem, s, c - s, r - c, r, i
    }' <<<"$text"
  python3 - "$w/metadata.json" "$w/vmcore" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
d = m.get("dump", {})
print("      peak RSS %d KiB | vmcore %.1f MiB of %.0f MiB /proc/vmcore | level %s %s | complete %s" % (
    m.get("peak_rss_kib", 0), os.path.getsize(sys.argv[2]) / 2**20, m["vmcore_bytes"] / 2**20,
    d.get("level"), d.get("compression"), m.get("complete")))
PY
}

mkdir -p "${KDUMPKIT_WORK:-/tmp}"
KDUMPKIT_WORK=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-bench.XXXX")
export KDUMPKIT_WORK
KDK_CYCLE_OVERLAY=$KDUMPKIT_WORK/overlay
export KDK_CYCLE_OVERLAY
mkdir -p "$KDK_CYCLE_OVERLAY/etc/kdk"
[ -z "${KDK_BENCH_LOAD_ARGS:-}" ] || echo "$KDK_BENCH_LOAD_ARGS" >"$KDK_CYCLE_OVERLAY/etc/kdk/load-args"
if [ -n "${KDK_BENCH_CAPTURE_ARGS:-}" ]; then
  printf 'target = disk:LABEL=%s:%s\ncapture_args = %s\n' "$KDK_TARGET_LABEL" "$KDK_TARGET_DIR" \
    "$KDK_BENCH_CAPTURE_ARGS" >"$KDK_CYCLE_OVERLAY/etc/kdumpkit.conf"
fi
if [ "${KDK_BENCH_ESTIMATE:-0}" = 1 ]; then
  printf '#!/bin/sh\nkdumpkit estimate\n' >"$KDK_CYCLE_OVERLAY/etc/kdk/before-crash"
  chmod 0755 "$KDK_CYCLE_OVERLAY/etc/kdk/before-crash"
fi
# The guest's estimate from the last cycle's console, if it printed one.
estimate_of() {
  sed -n 's/.*Recommended: crashkernel=\([0-9]*M\).*/\1/p' "$KDK_WORK/console.log" 2>/dev/null | head -n1
}
sizes_report=("${sizes[@]}")
[ "${KDK_BENCH_REPORT:-1}" = 1 ] || sizes_report=()
for mem in ${sizes_report[@]+"${sizes_report[@]}"}; do
  if run_cycle "$mem" 256M; then
    report "$mem"
    [ -z "$(estimate_of)" ] || echo "      kdumpkit estimate in the guest: crashkernel=$(estimate_of)"
  else
    echo "$mem: the cycle failed (see $KDK_WORK and $KDUMPKIT_WORK/last.log)"
  fi
  rm -f "$KDK_WORK"/*.img "$KDK_WORK/first.cpio"
done

[ "${KDK_BENCH_BISECT:-1}" = 1 ] || exit 0
lo=${KDK_BENCH_LOW:-48}
hi=${KDK_BENCH_HIGH:-256}
mem=${sizes[0]}
echo "bisecting crashkernel= for a $mem guest in [$lo, $hi] MiB"
# Invariant: hi works; lo is assumed not to (checked at the end).
step=${KDK_BENCH_STEP:-8}
estimate=
while [ $((hi - lo)) -gt "$step" ]; do
  mid=$(((lo + hi) / 2))
  if run_cycle "$mem" "${mid}M"; then
    echo "  crashkernel=${mid}M: complete dump (peak RSS $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("peak_rss_kib"))' "$KDK_WORK/metadata.json" 2>/dev/null) KiB)"
    hi=$mid
  else
    echo "  crashkernel=${mid}M: no complete dump"
    lo=$mid
  fi
  [ -n "$estimate" ] || estimate=$(estimate_of)
  rm -f "$KDK_WORK"/*.img "$KDK_WORK/first.cpio"
done
echo "smallest working crashkernel (to $step MiB): ${hi}M"
[ -z "$estimate" ] || echo "kdumpkit estimate in the guest: crashkernel=$estimate"
