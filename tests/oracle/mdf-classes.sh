#!/usr/bin/env bash
# mdf-classes.sh [--min N] VMCORE [OUTDIR]: how many pages makedumpfile
# excludes from VMCORE (a raw ELF vmcore) per page class, the oracle's view.
#
# Runs `makedumpfile -l -d N --message-level 31` for N = 1 2 4 8 16 31, reads
# each kdump-compressed output with kdump_pfns.py (bitmaps and page
# descriptors: the file is the authority) and cross-checks the total against
# makedumpfile's own report. Prints a table:
#   alone    pages excluded by -d N alone (-d 1: zero pages, which keep their
#            bitmap2 bit but point at the shared zero page)
#   class    pages of this class only: as "alone", except cache-private,
#            where -d 4 alone also takes plain cache: (-d 4) - (-d 2)
#   in -d 31 makedumpfile's report of the -d 31 run, class by class (each
#            page counted once, in makedumpfile's order)
# With --min N, exits 1 unless both "class" and "in -d 31" are >= N for every
# class. With OUTDIR, keeps there (for other tests to diff against):
#   d31.kdump            makedumpfile -l -d 31 output
#   d<N>.dumped          bitmap2 of the -d N output as inclusive hex pfn ranges
#   d1.zero, d31.zero    the pfns written as the shared zero page
#   classes.txt          the table, one "class level alone class d31" a line
#   makedumpfile.version the makedumpfile that made them
# KDK_MAKEDUMPFILE names the makedumpfile to run (default: the one on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pfns=$here/kdump_pfns.py
min=
if [ "${1:-}" = --min ]; then
  min=$2
  shift 2
fi
[ $# -ge 1 ] && [ $# -le 2 ] || {
  echo "usage: $0 [--min N] VMCORE [OUTDIR]" >&2
  exit 2
}
vmcore=$1 out=${2:-}
mdf=${KDK_MAKEDUMPFILE:-makedumpfile}
command -v "$mdf" >/dev/null || {
  echo "mdf-classes: $mdf is not installed" >&2
  exit 2
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mdf-classes.XXXX")
trap 'rm -rf "$tmp"' EXIT
[ -z "$out" ] || mkdir -p "$out"

hex() { printf '%d' "$1"; }
# report LOG LABEL: the count makedumpfile printed on the line "LABEL : 0x..."
report() {
  local v
  v=$(awk -F' : ' -v l="$2" '{ k = $1; gsub(/^ +| +$/, "", k) } k == l { print $2; exit }' "$1")
  [ -n "$v" ] || {
    echo "mdf-classes: no '$2' line in makedumpfile's report ($1)" >&2
    return 1
  }
  hex "$v"
}

declare -A alone
for d in 1 2 4 8 16 31; do
  if ! "$mdf" -l -d "$d" --message-level 31 "$vmcore" "$tmp/d$d.kdump" >"$tmp/d$d.log" 2>&1; then
    echo "mdf-classes: makedumpfile -l -d $d failed on $vmcore:" >&2
    tail -n 15 "$tmp/d$d.log" | sed 's/^/    | /' >&2
    exit 1
  fi
  declare -A st=()
  while read -r k v; do st[$k]=$v; done < <("$pfns" --stats "$tmp/d$d.kdump")
  excl=$((st[excluded] + st[zero]))
  rep=$(report "$tmp/d$d.log" "Excluded pages")
  if [ "$rep" != "$excl" ]; then
    echo "mdf-classes: warning: -d $d: the file excludes $excl pages (bitmaps ${st[excluded]} + zero ${st[zero]}), makedumpfile's report says $rep" >&2
  fi
  if [ "$d" = 1 ]; then alone[$d]=${st[zero]}; else alone[$d]=$excl; fi
  if [ -n "$out" ]; then
    "$pfns" "$tmp/d$d.kdump" >"$out/d$d.dumped"
    case $d in 1 | 31) "$pfns" --set zero "$tmp/d$d.kdump" >"$out/d$d.zero" ;; esac
    [ "$d" = 31 ] && mv "$tmp/d$d.kdump" "$out/d31.kdump"
  fi
  rm -f "$tmp/d$d.kdump"
done

rows=$(
  for c in "zero 1 Pages filled with zero" "cache 2 Non-private cache pages" \
    "cache-private 4 Private cache pages" "user 8 User process data pages" "free 16 Free pages"; do
    read -r name level label <<<"$c"
    only=${alone[$level]}
    [ "$level" = 4 ] && only=$((alone[4] - alone[2]))
    echo "$name $level ${alone[$level]} $only $(report "$tmp/d31.log" "$label")"
  done
)
[ -z "$out" ] || {
  echo "$rows" >"$out/classes.txt"
  "$mdf" -v 2>&1 | awk 'NR == 1' >"$out/makedumpfile.version"
}

printf '%-14s %4s %10s %10s %10s\n' class "-d" alone class "in -d 31"
low=()
while read -r name level a o r; do
  flag=
  if [ -n "$min" ] && { [ "$o" -lt "$min" ] || [ "$r" -lt "$min" ]; }; then
    flag="  < $min"
    low+=("$name")
  fi
  printf '%-14s %4s %10s %10s %10s%s\n' "$name" "$level" "$a" "$o" "$r" "$flag"
done <<<"$rows"
printf '%-14s %4s %10s %10s %10s\n' "all (-d 31)" 31 "${alone[31]}" "" "$(report "$tmp/d31.log" "Excluded pages")"
if [ ${#low[@]} -gt 0 ]; then
  echo "mdf-classes: fewer than $min pages excluded in class(es): ${low[*]}" >&2
  exit 1
fi
