#!/usr/bin/env bash
# matrix.sh KDUMPKIT [KERNEL...]: kdumpkit against upstream makedumpfile on a
# busy vmcore of every kernel of the matrix (qemu/kernels.lock: 5.10, 6.1,
# 6.12 and sid's newest; or the KERNELs given). For each kernel:
#   - `kdumpkit dump -d L -c C` and `makedumpfile -d L -c|-l|-z` write the
#     same file, byte for byte, at L = 0 1 2 4 8 16 31 and C = zstd zlib lzo;
#   - refiltering makedumpfile's own -d 1 file (lzo and zstd) to -d 31 gives
#     the same file as makedumpfile refiltering it;
#   - `kdumpkit dmesg` prints what `makedumpfile --dump-dmesg` prints
#     (upstream's format, with caller ids);
#   - no "VMCOREINFO lacks" warning: these kernels export what the classifier
#     needs (7.1+ as page.compound_info);
#   - unknown means keep, on a real vmcore: a copy of a 7.1+ vmcore with
#     page.compound_info renamed away dumps at -d 31 every pfn makedumpfile
#     dumps from the original (and more: tail pages cannot be told apart),
#     and says which key it lacks.
# The fixtures come from qemu/fixtures.sh (made on first use, cached), the
# oracle from tests/oracle/build-makedumpfile.sh. Ends with a table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/../lib/skip.sh"
[ $# -ge 1 ] || {
  echo "usage: $0 KDUMPKIT [KERNEL...]" >&2
  exit 2
}
bin=$(readlink -f "$1")
shift
kernels=("$@")
if [ ${#kernels[@]} -eq 0 ]; then
  mapfile -t kernels < <(awk '!/^#/ && NF && $1 != "busybox" { print $1 }' "$root/qemu/kernels.lock")
fi
kdk_need_tools qemu-system-x86_64 cmp
mdf=$("$here/build-makedumpfile.sh") || exit $?
work=$(mktemp -d "${TMPDIR:-/tmp}/kdk-matrix.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
table=()

flag_of() {
  case $1 in zstd) echo -z ;; zlib) echo -c ;; lzo) echo -l ;; esac
}

# same WHAT A B: the two files are identical; else a failure naming the first difference.
same() {
  local what=$1 a=$2 b=$3 diff
  if cmp -s "$a" "$b"; then
    return 0
  fi
  diff=$(cmp "$a" "$b" 2>&1 | awk 'NR == 1')
  echo "FAIL: $kernel: $what: $diff (sizes $(stat -c %s "$a") and $(stat -c %s "$b"))"
  fails=$((fails + 1))
  return 1
}

for kernel in "${kernels[@]}"; do
  start=$SECONDS
  vmcore=$("$root/qemu/fixtures.sh" --kernel "$kernel" --binary "$bin" busy | tail -n 1) || {
    echo "FAIL: $kernel: no busy fixture"
    fails=$((fails + 1))
    table+=("$(printf '%-6s %-36s %s' "$kernel" "-" "no fixture")")
    continue
  }
  release=$(strings -n 8 "$vmcore" | sed -n 's/^OSRELEASE=//p' | awk 'NR == 1')
  cases=0 identical=0
  before=$fails
  for comp in zstd zlib lzo; do
    for level in 0 1 2 4 8 16 31; do
      rm -f "$work/mdf" "$work/ours"
      "$mdf" "$(flag_of "$comp")" -d "$level" "$vmcore" "$work/mdf" >"$work/mdf.log" 2>&1 || {
        echo "FAIL: $kernel: makedumpfile $(flag_of "$comp") -d $level failed: $(tail -n 2 "$work/mdf.log" | tr '\n' ' ')"
        fails=$((fails + 1))
        continue
      }
      "$bin" dump -q -c "$comp" -d "$level" "$vmcore" "$work/ours" 2>"$work/ours.log" || {
        echo "FAIL: $kernel: kdumpkit dump -c $comp -d $level failed: $(tail -n 2 "$work/ours.log" | tr '\n' ' ')"
        fails=$((fails + 1))
        continue
      }
      if grep -q "VMCOREINFO lacks" "$work/ours.log"; then
        echo "FAIL: $kernel: -d $level: $(grep -m1 'VMCOREINFO lacks' "$work/ours.log")"
        fails=$((fails + 1))
      fi
      cases=$((cases + 1))
      same "-d $level -c $comp" "$work/mdf" "$work/ours" && identical=$((identical + 1))
    done
  done
  for comp in lzo zstd; do
    rm -f "$work/in" "$work/mdf" "$work/ours"
    "$mdf" "$(flag_of "$comp")" -d 1 "$vmcore" "$work/in" >/dev/null 2>&1 &&
      "$mdf" "$(flag_of "$comp")" -d 31 "$work/in" "$work/mdf" >"$work/mdf.log" 2>&1 || {
      echo "FAIL: $kernel: makedumpfile refilter ($comp) failed: $(tail -n 2 "$work/mdf.log" | tr '\n' ' ')"
      fails=$((fails + 1))
      continue
    }
    "$bin" dump -q -c "$comp" -d 31 "$work/in" "$work/ours"
    cases=$((cases + 1))
    same "refilter -d 1 -> 31 ($comp)" "$work/mdf" "$work/ours" && identical=$((identical + 1))
  done
  rm -f "$work/mdf.txt"
  "$mdf" --dump-dmesg "$vmcore" "$work/mdf.txt" >/dev/null 2>&1
  "$bin" dmesg "$vmcore" -o "$work/ours.txt"
  cases=$((cases + 1))
  same "dmesg" "$work/mdf.txt" "$work/ours.txt" && identical=$((identical + 1))
  if grep -q -a 'OFFSET(page.compound_info)=' <(head -c 1048576 "$vmcore"); then
    cp "$vmcore" "$work/renamed.vmcore"
    /usr/bin/python3 - "$work/renamed.vmcore" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    head = f.read(1 << 20)
    at = head.find(b"OFFSET(page.compound_info)=")
    f.seek(at)
    f.write(b"OFFSET(page.compound_xxxx)=")
PY
    rm -f "$work/mdf" "$work/ours"
    "$mdf" -l -d 31 "$vmcore" "$work/mdf" >/dev/null 2>&1
    "$bin" dump -q -c lzo -d 31 "$work/renamed.vmcore" "$work/ours" 2>"$work/ours.log"
    rm -f "$work/renamed.vmcore"
    cases=$((cases + 1))
    lost=$(/usr/bin/python3 - "$here/kdump_pfns.py" "$work/mdf" "$work/ours" <<'PY'
import subprocess, sys
def pfns(path):
    out = set()
    for line in subprocess.run([sys.argv[1], path], capture_output=True, text=True, check=True).stdout.split():
        a, b = (int(x, 16) for x in line.split("-"))
        out.update(range(a, b + 1))
    return out
theirs, ours = pfns(sys.argv[2]), pfns(sys.argv[3])
print(len(theirs - ours), len(ours - theirs))
PY
)
    read -r dropped extra <<<"$lost"
    if [ "$dropped" = 0 ] && grep -q "VMCOREINFO lacks OFFSET(page.compound_head) or OFFSET(page.compound_info)" "$work/ours.log"; then
      identical=$((identical + 1))
      echo "matrix: $kernel: without page.compound_info nothing makedumpfile dumps is dropped ($extra pages more kept)"
    else
      echo "FAIL: $kernel: without page.compound_info: $dropped pages makedumpfile dumps are dropped; warning: $(grep -c 'VMCOREINFO lacks' "$work/ours.log")"
      fails=$((fails + 1))
    fi
  fi
  verdict=ok
  [ $fails = "$before" ] || verdict=FAILED
  table+=("$(printf '%-6s %-36s %3d/%-3d identical  %4d s  %s' "$kernel" "$release" "$identical" "$cases" \
    $((SECONDS - start)) "$verdict")")
  echo "matrix: $kernel ($release): $identical of $cases identical ($((SECONDS - start)) s)"
done
echo
echo "kernel matrix against $("$mdf" -v 2>&1 | awk 'NR == 1'):"
printf '  %s\n' "${table[@]}"
[ $fails = 0 ] || {
  echo "matrix: $fails failure(s)"
  exit 1
}
