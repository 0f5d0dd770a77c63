#!/usr/bin/env bash
# run-fuzzers.sh DIR SECONDS [TOTAL]: runs each libFuzzer target in DIR for
# SECONDS (at least 20), with no more than TOTAL seconds in all (default 300:
# the share of each shrinks to fit, never below 20), starting from the
# generated seeds, the kept crashers (tests/fuzz/crashers/<target>/) and a
# dictionary when there is one (tests/fuzz/<target>.dict). A crash, an
# undefined behaviour, a leak or a timeout fails the run and leaves the
# reproducer in DIR/<target>.artifacts/: fix it, then keep the input under
# tests/fuzz/crashers/<target>/ so that replay.sh guards it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
seconds=${2:-60}
total=${3:-300}
seeds="$dir/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
for gen in "$here"/make_*seeds.py; do python3 "$gen" "$seeds"; done
targets=()
for bin in "$dir"/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] && targets+=("$bin")
done
[ ${#targets[@]} -gt 0 ] || { echo "run-fuzzers: no fuzz targets in $dir"; exit 1; }
share=$((total / ${#targets[@]}))
[ "$seconds" -le "$share" ] || seconds=$share
[ "$seconds" -ge 20 ] || seconds=20
echo "run-fuzzers: ${#targets[@]} targets, ${seconds} s each"
status=0
for bin in "${targets[@]}"; do
  name=$(basename "$bin")
  corpus="$dir/$name.corpus"
  mkdir -p "$corpus" "$dir/$name.artifacts"
  extra=()
  [ -d "$seeds/$name" ] && extra+=("$seeds/$name")
  [ -d "$here/crashers/$name" ] && extra+=("$here/crashers/$name")
  dict=()
  [ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
  printf '== %-22s ' "$name"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$dir/$name.artifacts/" "$corpus" "${extra[@]}" 2>"$dir/$name.log"; then
    echo "FAILED (see $dir/$name.log; reproducer in $dir/$name.artifacts/)"
    awk '/ERROR|runtime error|SUMMARY|^ *#[0-9]+ / && n++ < 30' "$dir/$name.log"
    status=1
  else
    awk '/^stat::number_of_executed_units/ { n = $NF } /^stat::peak_rss_mb/ { r = $NF }
      END { printf "ok: %d runs, peak RSS %d MB\n", n, r }' "$dir/$name.log"
  fi
done
exit $status
