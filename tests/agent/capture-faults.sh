#!/usr/bin/env bash
# capture-faults.sh KDUMPKIT-TEST KDUMPKIT: the capture's fault handling on
# the host (KDUMPKIT-TEST honours the kdumpkit_test.* switches; KDUMPKIT, the
# shipped program, must ignore them), with
# the busy fixture vmcore (qemu/fixtures.sh busy) and real filesystems on
# loop devices. Each case runs `kdumpkit capture` by hand and checks what
# landed on the disks and what metadata.json says:
#   absent      the first target's device never appears: the dump lands on
#               the second, whose metadata says why the first failed
#   small       too little space for the configured level: a higher one
#   logonly     too little space for any level (and min_free): log + metadata only
#   full        the disk fills up while the vmcore is written: no partial
#               file, log + metadata with the reason, the dump on the next target
#   retention   keep = 2 on a directory shared with another host: only this
#               host's newest old complete dump stays; the other host's, an
#               incomplete one and other entries are never touched
#   boundary    a bad kdumpkit.target= override is ignored, a target that
#               throws costs only itself; load refuses the override
#   release     the shipped kdumpkit ignores kdumpkit_test.* switches
# Needs root (loop devices, mount). Exit 0 = all passed.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 KDUMPKIT-TEST KDUMPKIT" >&2; exit 2; }
BIN=$(readlink -f "$1")
RELEASE_BIN=$(readlink -f "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/skip.sh"
kdk_need_root
kdk_need_tools losetup mkfs.ext4 mkfs.xfs python3
VMCORE=$("$HERE/../../qemu/fixtures.sh" busy | tail -n1)
[ -f "$VMCORE" ] || { echo "FAIL: no busy fixture ($VMCORE)"; exit 1; }

WORK=$(mktemp -d /tmp/kdk-capture-faults.XXXXXX)
cleanup() {
  local l
  umount -l "$WORK"/mnt* "$WORK/look" 2>/dev/null || true
  # disk() runs in $(...): its devices are found by their backing files.
  for l in $(losetup -j "$WORK" 2>/dev/null | cut -d: -f1) $(losetup -a | grep -F "$WORK/" | cut -d: -f1); do
    losetup -d "$l" 2>/dev/null || true
  done
  [ "${KDUMPKIT_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
printf 'host = faulthost\nkernel_release = 6.1.0\n' >"$WORK/record"
: >"$WORK/empty.cmdline"
FAILS=0
fail() { echo "FAIL [$CASE]: $*"; FAILS=$((FAILS + 1)); }

# disk NAME SIZE: an ext4 image on a loop device; prints the device.
disk() {
  truncate -s "$2" "$WORK/$1.img"
  mkfs.ext4 -q -L "$1" "$WORK/$1.img"
  local l
  losetup -f --show "$WORK/$1.img"
}

# capture CONFIG-LINES...: runs the capture; its console goes to $WORK/$CASE.out.
capture() {
  printf '%s\n' "$@" >"$WORK/$CASE.conf"
  mkdir -p "$WORK/mnt-$CASE"
  local start rc=0
  start=$(date +%s.%N)
  "${CAPTURE_BIN:-$BIN}" capture --cmdline "${CMDLINE:-$WORK/empty.cmdline}" --vmcore "$VMCORE" --config "$WORK/$CASE.conf" --load-record "$WORK/record" --no-modules \
    --mount-dir "$WORK/mnt-$CASE" >"$WORK/$CASE.out" 2>&1 || rc=$?
  echo "  [$CASE] capture exit $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
  return 0
}

# look DEV: mounts DEV read-only at $WORK/look (unmount with unlook); prints the crash dir.
look() {
  mkdir -p "$WORK/look"
  mount -o ro "$1" "$WORK/look"
  ls -d "$WORK"/look/crash/faulthost-* 2>/dev/null | tail -n1 || true
}
unlook() { umount "$WORK/look"; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# ----------------------------------------------------------------- absent
CASE=absent
second=$(disk second 400M)
capture "target = disk:/dev/kdk-no-such-disk:/crash" "target = disk:$second:/crash" "device_timeout = 1"
dir=$(look "$second")
if [ -z "$dir" ]; then fail "no crash directory on the second target"; else
  [ -s "$dir/vmcore" ] || fail "no vmcore on the second target"
  [ -s "$dir/kdumpkit.log" ] || fail "no kdumpkit.log"
  grep -q "kdk-no-such-disk" "$dir/kdumpkit.log" || fail "kdumpkit.log does not mention the first target"
  [ "$(json "$dir/metadata.json" 'd["complete"]')" = True ] || fail "metadata not complete"
  r=$(json "$dir/metadata.json" 'd["targets"][0]["result"] + "|" + d["targets"][0]["detail"]')
  case $r in "failed|"*kdk-no-such-disk*) ;; *) fail "first target's record: $r" ;; esac
  [ "$(json "$dir/metadata.json" 'd["targets"][1]["result"]')" = complete ] || fail "second target not complete"
fi
unlook

# ----------------------------------------------------------------- small
CASE=small
small=$(disk small 110M)
capture "target = disk:$small:/crash" "dump_level = 0"
dir=$(look "$small")
if [ -z "$dir" ]; then fail "no crash directory"; else
  [ -s "$dir/vmcore" ] || fail "no vmcore"
  lvl=$(json "$dir/metadata.json" 'd["dump"]["level"]')
  [ "$lvl" -gt 0 ] || fail "dump level $lvl, expected a higher one than 0"
  grep -q "too little space for dump level 0" <<<"$(json "$dir/metadata.json" 'd["space"]["decision"]')" ||
    fail "decision: $(json "$dir/metadata.json" 'd["space"]["decision"]')"
  echo "  [$CASE] level $lvl: $(json "$dir/metadata.json" 'd["space"]["decision"]')"
fi
unlook

# ----------------------------------------------------------------- logonly
CASE=logonly
tiny=$(disk tiny 40M)
capture "target = disk:$tiny:/crash" "min_free = 10"
dir=$(look "$tiny")
if [ -z "$dir" ]; then fail "no crash directory"; else
  [ ! -e "$dir/vmcore" ] && [ ! -e "$dir/vmcore-incomplete" ] || fail "a vmcore was written"
  [ -s "$dir/vmcore-dmesg.txt" ] && [ -s "$dir/kdumpkit.log" ] || fail "log files missing"
  [ "$(json "$dir/metadata.json" 'd["complete"]')" = False ] || fail "metadata says complete"
  reason=$(json "$dir/metadata.json" 'd["incomplete_reason"]')
  case $reason in "no dump: "*"min_free 10 MiB"*) ;; *) fail "reason: $reason" ;; esac
  [ "$(json "$dir/metadata.json" 'd["targets"][0]["result"]')" = "log and metadata only" ] || fail "target result"
fi
unlook
grep -q "capture failed" "$WORK/$CASE.out" || fail "capture did not report failure"

# ----------------------------------------------------------------- full
# The estimate is bypassed (a test switch) on a disk too small for the dump,
# as if it had been wrong: the write itself runs into ENOSPC.
CASE=full
full=$(disk full 60M)
spare=$(disk spare 400M)
echo "kdumpkit_test.no_space_check=1" >"$WORK/full.cmdline"
CMDLINE="$WORK/full.cmdline" capture "target = disk:$full:/crash" "target = disk:$spare:/crash" "dump_level = 1"
dir=$(look "$full")
if [ -z "$dir" ]; then fail "no crash directory on the full disk"; else
  [ ! -e "$dir/vmcore" ] && [ ! -e "$dir/vmcore-incomplete" ] || fail "partial vmcore left: $(ls "$dir")"
  [ -s "$dir/vmcore-dmesg.txt" ] && [ -s "$dir/kdumpkit.log" ] && [ -s "$dir/metadata.json" ] || fail "log/metadata missing: $(ls "$dir")"
  reason=$(json "$dir/metadata.json" 'd["incomplete_reason"]' 2>/dev/null || true)
  case $reason in *"No space left"*"partial file removed"*) ;; *) fail "reason: $reason" ;; esac
fi
unlook
dir=$(look "$spare")
[ -n "$dir" ] && [ -s "$dir/vmcore" ] || fail "the dump did not land on the next target"
if [ -n "$dir" ]; then
  r=$(json "$dir/metadata.json" 'd["targets"][0]["result"]')
  [ "$r" = "log and metadata only" ] || fail "first target's record: $r"
fi
unlook

# ----------------------------------------------------------------- retention
# A directory shared with other hosts: only this host's complete dumps count
# and go; another host's, an incomplete one and other entries stay.
CASE=retention
ret=$(disk ret 400M)
mkdir -p "$WORK/look" && mount "$ret" "$WORK/look"
for d in faulthost-2020-01-01-00:00:00 faulthost-2021-01-01-00:00:00 faulthost-2022-01-01-00:00:00 \
  otherhost-2018-01-01-00:00:00; do
  mkdir -p "$WORK/look/crash/$d" && echo x >"$WORK/look/crash/$d/vmcore"
done
mkdir -p "$WORK/look/crash/faulthost-2019-01-01-00:00:00" "$WORK/look/crash/keepme"
echo x >"$WORK/look/crash/faulthost-2019-01-01-00:00:00/vmcore-incomplete"
umount "$WORK/look"
capture "target = disk:$ret:/crash" "keep = 2"
mount -o ro "$ret" "$WORK/look"
left=$(cd "$WORK/look/crash" && ls | tr '\n' ' ')
removed=$(json "$(ls "$WORK"/look/crash/faulthost-*/metadata.json | tail -n1)" '" ".join(d["retention_removed"])' 2>&1 || true)
unlook
case $left in "faulthost-2019-01-01-00:00:00 faulthost-2022-01-01-00:00:00 faulthost-20"*" keepme otherhost-2018-01-01-00:00:00 ") ;;
  *) fail "left after keep = 2: $left" ;; esac
[ "$removed" = "faulthost-2020-01-01-00:00:00 faulthost-2021-01-01-00:00:00" ] ||
  [ "$removed" = "faulthost-2021-01-01-00:00:00 faulthost-2020-01-01-00:00:00" ] || fail "metadata's retention_removed: $removed"

# ----------------------------------------------------------------- boundary
# A bad kdumpkit.target= on the capture command line is reported and ignored
# (the file's targets stay), and a target that throws costs only itself.
CASE=boundary
bfirst=$(disk bfirst 400M)
bsecond=$(disk bsecond 400M)
printf 'console=ttyS0 kdumpkit.target=nfs kdumpkit_test.throw_in_target=1\n' >"$WORK/boundary.cmdline"
CMDLINE="$WORK/boundary.cmdline" capture "target = disk:$bfirst:/crash" "target = disk:$bsecond:/crash"
grep -q "ignoring kernel command line overrides: .*target" "$WORK/$CASE.out" || fail "the bad override is not reported"
dir=$(look "$bsecond")
if [ -z "$dir" ]; then fail "no crash directory on the second target"; else
  [ -s "$dir/vmcore" ] || fail "no vmcore on the second target"
  r=$(json "$dir/metadata.json" 'd["targets"][0]["result"] + "|" + d["targets"][0]["detail"]')
  case $r in "failed|internal error: kdumpkit_test.throw_in_target=1"*) ;; *) fail "first target's record: $r" ;; esac
fi
unlook
# load refuses the same override before it builds anything.
printf '%s\n' "target = disk:$bsecond:/crash" "capture_args = kdumpkit.target=nfs" >"$WORK/bload.conf"
rc=0
"$BIN" load --config "$WORK/bload.conf" --state-dir "$WORK/bstate" --kernel-release 6.1.0-kdk-test \
  --modules-dir "$WORK/no-modules" >"$WORK/bload.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "load armed a capture_args with a bad target override"
grep -q "bad kdumpkit overrides in capture_args or --append: .*target" "$WORK/bload.out" ||
  fail "load's refusal does not name the override: $(cat "$WORK/bload.out")"

# ----------------------------------------------------------------- release
# The same switch given to the shipped program changes nothing: the first
# target gets the dump.
CASE=release
rfirst=$(disk rfirst 400M)
rsecond=$(disk rsecond 400M)
printf 'console=ttyS0 kdumpkit_test.throw_in_target=1\n' >"$WORK/release.cmdline"
CAPTURE_BIN=$RELEASE_BIN CMDLINE="$WORK/release.cmdline" capture "target = disk:$rfirst:/crash" "target = disk:$rsecond:/crash"
dir=$(look "$rfirst")
if [ -z "$dir" ]; then fail "the shipped kdumpkit honoured kdumpkit_test.throw_in_target"; else
  [ -s "$dir/vmcore" ] || fail "no vmcore on the first target"
fi
unlook

if [ $FAILS -ne 0 ]; then
  echo "capture-faults: $FAILS FAILED (consoles in $WORK/*.out)"
  for f in "$WORK"/*.out; do echo "--- $f"; tail -n 15 "$f"; done
  exit 1
fi
echo "capture-faults: PASSED"
