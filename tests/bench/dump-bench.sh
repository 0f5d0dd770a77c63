#!/usr/bin/env bash
# dump-bench.sh VMCORE [LEVEL...]: kdumpkit dump against makedumpfile on
# the same vmcore, level and compression (lzo, zlib), single-threaded and
# with all cores (makedumpfile --num-threads N). Prints wall time, output
# size and peak RSS of each, and ours/makedumpfile ratios (< 1: we win).
# Each run is repeated REPEAT times (default 3); the fastest counts.
# Environment: KDUMPKIT (default build/host/cli/kdumpkit), MAKEDUMPFILE,
# BENCH_DIR (scratch space for the outputs, default a mktemp -d).
# Needs /usr/bin/time (Debian package `time`). Not a test: it only reports.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 VMCORE [LEVEL...] (default levels: 0 1)" >&2; exit 2; }
vmcore=$1; shift
levels=("$@"); [ ${#levels[@]} -gt 0 ] || levels=(0 1)
root=$(cd "$(dirname "$0")/../.." && pwd)
ours=${KDUMPKIT:-$root/build/host/cli/kdumpkit}
mdf=${MAKEDUMPFILE:-makedumpfile}
repeat=${REPEAT:-3}
cores=$(nproc)
[ -x /usr/bin/time ] || { echo "dump-bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
dir=${BENCH_DIR:-$(mktemp -d)}
trap '[ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT

# run NAME CMD...: best wall time of $repeat runs; sets wall, rss (KiB),
# size; all three "fail" when the command fails (makedumpfile 1.7.2's
# --num-threads can die in pthread_exit).
run() {
  local out=$1; shift
  local best="" best_rss=0 t
  for _ in $(seq "$repeat"); do
    rm -f "$out"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/log" || {
      echo "dump-bench: failed: $* ($(tail -c 200 "$dir/log" | tr '\r\n' '  '))" >&2
      wall=fail; rss=fail; size=fail; return 0; }
    read -r t rss <"$dir/time"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; best_rss=$rss; fi
  done
  wall=$best; rss=$best_rss; size=$(stat -c %s "$out")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a + 0 == a && b + 0 == b && b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "vmcore: $vmcore ($(stat -c %s "$vmcore") bytes), $cores CPUs, best of $repeat"
echo "kdumpkit: $ours; makedumpfile: $($mdf -v 2>&1 | head -1)"
printf '%-5s %-5s %-3s | %8s %8s %6s | %11s %11s %6s | %8s %8s %6s\n' level comp thr \
  "ours s" "mdf s" ratio "ours bytes" "mdf bytes" ratio "ours KiB" "mdf KiB" ratio
for level in "${levels[@]}"; do
  for comp in lzo zlib; do
    flag=-l; [ "$comp" = zlib ] && flag=-c
    for threads in 1 "$cores"; do
      mdf_threads=(); [ "$threads" -gt 1 ] && mdf_threads=(--num-threads "$threads")
      run "$dir/ours" "$ours" dump -q -d "$level" -c "$comp" -j "$threads" "$vmcore" "$dir/ours"
      ow=$wall; orss=$rss; osize=$size
      run "$dir/mdf" "$mdf" "$flag" -d "$level" "${mdf_threads[@]}" "$vmcore" "$dir/mdf"
      printf '%-5s %-5s %-3s | %8s %8s %6s | %11s %11s %6s | %8s %8s %6s\n' "$level" "$comp" "$threads" \
        "$ow" "$wall" "$(ratio "$ow" "$wall")" "$osize" "$size" "$(ratio "$osize" "$size")" \
        "$orss" "$rss" "$(ratio "$orss" "$rss")"
    done
  done
done
