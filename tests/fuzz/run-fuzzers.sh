#!/usr/bin/env bash
# run-fuzzers.sh DIR SECONDS: runs each libFuzzer target in DIR for SECONDS,
# starting from the generated seeds; a crash, leak or timeout fails the run
# and leaves the reproducer in DIR/<target>.artifacts/ (keep it under
# tests/fuzz/crashers/<target>/ once fixed, so replay.sh guards it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
seconds=${2:-60}
seeds="$dir/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"
for gen in "$here"/make_*seeds.py; do python3 "$gen" "$seeds"; done
status=0
for bin in "$dir"/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  corpus="$dir/$name.corpus"
  mkdir -p "$corpus" "$dir/$name.artifacts"
  echo "== $name: ${seconds}s"
  extra=()
  [ -d "$seeds/$name" ] && extra+=("$seeds/$name")
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$dir/$name.artifacts/" "$corpus" "${extra[@]}" 2>"$dir/$name.log"; then
    echo "FAILED: $name (see $dir/$name.log)"
    tail -n 30 "$dir/$name.log"
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$dir/$name.log" | tr '\n' ' '
    echo
  fi
done
exit $status
