#!/usr/bin/env bash
# replay.sh DIR: runs every fuzz target's replay build in DIR (built by the
# host CMake build as <target>_replay) over its generated seeds and over any
# kept crashers in tests/fuzz/crashers/<target>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
for gen in "$here"/make_*seeds.py; do
  /usr/bin/env python3 "$gen" "$seeds"
done
status=0
for bin in "$dir"/fuzz_*_replay; do
  name=$(basename "$bin" _replay)
  inputs=()
  [ -d "$seeds/$name" ] && inputs+=("$seeds/$name")
  [ -d "$here/crashers/$name" ] && inputs+=("$here/crashers/$name")
  printf '%-24s ' "$name"
  if ! "$bin" "${inputs[@]}"; then
    echo "FAILED: $name"
    status=1
  fi
done
exit $status
