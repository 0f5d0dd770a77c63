#!/usr/bin/env bash
# dump-bench.sh [VMCORE...]: kdumpkit dump against makedumpfile on the same
# vmcore, dump level and compression, single-threaded (-j 1) and with all
# cores (makedumpfile --num-threads N). Prints wall time, output size and
# peak RSS of each and the ours/makedumpfile ratios (< 1: we win), and
# whether the two outputs are byte-identical.
#
# Compressions: lzo and zlib against MAKEDUMPFILE (default: makedumpfile on
# PATH, e.g. Debian's 1.7.2); zstd against MAKEDUMPFILE_ZSTD, a makedumpfile
# built with zstd support (make USEZSTD=on), skipped when unset.
# Default vmcores: the cached fixtures (idle and busy) under
# ~/.cache/kdumpkit/fixtures/current. Each run is repeated REPEAT times
# (default 3); the fastest counts (and its peak RSS).
# Environment: KDUMPKIT (default build/kdumpkit, the product binary),
# MAKEDUMPFILE, MAKEDUMPFILE_ZSTD, LEVELS (default "0 31"), COMPRESSIONS
# (default "lzo zlib zstd"), THREADS (default "1 <nproc>"), REPEAT,
# BENCH_DIR (scratch space for the outputs, default a mktemp -d).
# Needs /usr/bin/time (Debian package `time`). Not a test: it only reports.
# Run it on an otherwise idle machine: the numbers are wall times.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fixtures=${KDK_FIXTURES:-$HOME/.cache/kdumpkit/fixtures/current}
vmcores=("$@")
if [ ${#vmcores[@]} -eq 0 ]; then
  for f in idle busy; do [ -e "$fixtures/$f.vmcore" ] && vmcores+=("$fixtures/$f.vmcore"); done
fi
[ ${#vmcores[@]} -gt 0 ] || { echo "usage: $0 VMCORE... (no cached fixtures in $fixtures)" >&2; exit 2; }
ours=${KDUMPKIT:-$root/build/kdumpkit}
mdf=${MAKEDUMPFILE:-makedumpfile}
mdf_zstd=${MAKEDUMPFILE_ZSTD:-}
repeat=${REPEAT:-3}
cores=$(nproc)
read -r -a levels <<<"${LEVELS:-0 31}"
read -r -a comps <<<"${COMPRESSIONS:-lzo zlib zstd}"
read -r -a thread_counts <<<"${THREADS:-1 $cores}"
[ -x /usr/bin/time ] || { echo "dump-bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$ours" ] || { echo "dump-bench: $ours missing (make product)" >&2; exit 1; }
dir=${BENCH_DIR:-$(mktemp -d)}
trap '[ -n "${BENCH_DIR:-}" ] || rm -rf "$dir"' EXIT

# run OUT CMD...: best wall time of $repeat runs; sets wall, rss (KiB) and
# size; all three "fail" when the command fails (makedumpfile 1.7.2's
# --num-threads can die in pthread_exit).
run() {
  local out=$1; shift
  local best="" best_rss=0 t r
  for _ in $(seq "$repeat"); do
    rm -f "$out"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/log" || {
      echo "dump-bench: failed: $* ($(tail -c 200 "$dir/log" | tr '\r\n' '  '))" >&2
      wall=fail; rss=fail; size=fail; return 0; }
    read -r t r <"$dir/time"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; best_rss=$r; fi
  done
  wall=$best; rss=$best_rss; size=$(stat -c %s "$out")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a + 0 == a && b + 0 == b && b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "kdumpkit: $ours"
echo "makedumpfile (lzo, zlib): $($mdf -v 2>&1 | awk 'NR == 1')"
if [ -n "$mdf_zstd" ]; then
  echo "makedumpfile (zstd): $("$mdf_zstd" -v 2>&1 | awk 'NR == 1')"
else
  echo "makedumpfile (zstd): MAKEDUMPFILE_ZSTD unset, zstd skipped"
fi
echo "$cores CPUs, best of $repeat; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fmt='%-6s %-5s %-5s %-3s | %7s %7s %5s | %10s %10s %5s | %7s %7s %5s | %s\n'
printf "$fmt" vmcore level comp thr "ours s" "mdf s" ratio "ours B" "mdf B" ratio "ours KiB" "mdf KiB" ratio same
for vmcore in "${vmcores[@]}"; do
  name=$(basename "$vmcore" .vmcore)
  cat "$vmcore" >/dev/null  # warm page cache: both read it from memory
  for level in "${levels[@]}"; do
    for comp in "${comps[@]}"; do
      m=$mdf
      case $comp in
        lzo) flag=-l ;;
        zlib) flag=-c ;;
        zstd) flag=-z; m=$mdf_zstd; [ -n "$m" ] || continue ;;
        *) echo "dump-bench: unknown compression $comp" >&2; exit 2 ;;
      esac
      for threads in "${thread_counts[@]}"; do
        mdf_threads=(); [ "$threads" -gt 1 ] && mdf_threads=(--num-threads "$threads")
        run "$dir/ours" "$ours" dump -q -d "$level" -c "$comp" -j "$threads" "$vmcore" "$dir/ours"
        ow=$wall; orss=$rss; osize=$size
        run "$dir/mdf" "$m" "$flag" -d "$level" "${mdf_threads[@]}" "$vmcore" "$dir/mdf"
        same=-
        [ "$osize" != fail ] && [ "$size" != fail ] && { cmp -s "$dir/ours" "$dir/mdf" && same=yes || same=NO; }
        printf "$fmt" "$name" "$level" "$comp" "$threads" \
          "$ow" "$wall" "$(ratio "$ow" "$wall")" "$osize" "$size" "$(ratio "$osize" "$size")" \
          "$orss" "$rss" "$(ratio "$orss" "$rss")" "$same"
      done
    done
  done
done
rm -f "$dir/ours" "$dir/mdf"
