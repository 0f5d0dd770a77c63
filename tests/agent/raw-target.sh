#!/usr/bin/env bash
# raw-target.sh KDUMPKIT: the raw partition target on the host, with the busy
# fixture vmcore (qemu/fixtures.sh busy) and loop devices. Each case runs
# `kdumpkit capture` by hand, then `kdumpkit savecore` as the next boot would:
#   complete   the flattened stream on a raw loop device; savecore rebuilds a
#              vmcore byte-identical to `kdumpkit dump` of the same vmcore,
#              with vmcore-dmesg.txt, kdumpkit.log and metadata.json; a second
#              savecore saves nothing; a second capture overwrites the first
#   small      a raw device too small for any level: log and metadata only
#              there (savecore restores them, no vmcore), the dump on the next
#              target (an ext4 disk), whose metadata says why the raw one failed
#   identity   the device named by the raw target is not the one load
#              recorded: nothing is written to it, the dump goes to the next
#   damaged    a byte of the stored stream flipped: savecore refuses (exit 1),
#              writes nothing and keeps the header
# Needs root (loop devices). Exit 0 = all passed. Prints timings and sizes.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 KDUMPKIT" >&2; exit 2; }
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/skip.sh"
kdk_need_root
kdk_need_tools losetup mkfs.ext4 wipefs python3 blockdev
VMCORE=$("$HERE/../../qemu/fixtures.sh" busy | tail -n1)
[ -f "$VMCORE" ] || { echo "FAIL: no busy fixture ($VMCORE)"; exit 1; }

WORK=$(mktemp -d /tmp/kdk-raw-target.XXXXXX)
cleanup() {
  local l
  umount -l "$WORK"/mnt* "$WORK/look" 2>/dev/null || true
  for l in $(losetup -a | grep -F "$WORK/" | cut -d: -f1); do losetup -d "$l" 2>/dev/null || true; done
  [ "${KDUMPKIT_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
printf 'host = rawhost\nkernel_release = 6.1.0\n' >"$WORK/record"
: >"$WORK/empty.cmdline"
FAILS=0
fail() { echo "FAIL [$CASE]: $*"; FAILS=$((FAILS + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# loopdev NAME SIZE [mkfs]: a loop device over a new image; prints the device.
loopdev() {
  truncate -s "$2" "$WORK/$1.img"
  [ "${3:-}" != mkfs ] || mkfs.ext4 -q -L "$1" "$WORK/$1.img"
  losetup -f --show "$WORK/$1.img"
}

capture() {
  printf '%s\n' "$@" >"$WORK/$CASE.conf"
  mkdir -p "$WORK/mnt-$CASE"
  local start rc=0
  start=$(now)
  "$BIN" capture --cmdline "$WORK/empty.cmdline" --vmcore "$VMCORE" --config "$WORK/$CASE.conf" \
    --load-record "$WORK/record" --no-modules --mount-dir "$WORK/mnt-$CASE" >"$WORK/$CASE.out" 2>&1 || rc=$?
  echo "  [$CASE] capture exit $rc in $(since "$start") s"
}

# savecore ARGS...: sets SAVED (the crash directory printed) and SC_RC.
savecore() {
  local start
  start=$(now)
  SC_RC=0
  SAVED=$("$BIN" savecore "$@" 2>>"$WORK/$CASE.savecore") || SC_RC=$?
  echo "  [$CASE] savecore exit $SC_RC in $(since "$start") s${SAVED:+: $SAVED}"
}

# ----------------------------------------------------------------- complete
CASE=complete
raw=$(loopdev raw 600M)
capture "target = raw:$raw"
grep -q "saved a flattened vmcore" "$WORK/$CASE.out" || fail "capture did not complete: $(tail -n 3 "$WORK/$CASE.out")"
grep -E "flattened stream:" "$WORK/$CASE.out" | sed 's/^/    /' || true
printf 'target = raw:%s\n' "$raw" >"$WORK/savecore.conf"
savecore --config "$WORK/savecore.conf" --dir "$WORK/crash"
if [ $SC_RC -ne 0 ] || [ ! -d "$SAVED" ]; then fail "savecore: $(cat "$WORK/$CASE.savecore")"; else
  case $(basename "$SAVED") in rawhost-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9]:[0-9][0-9]:[0-9][0-9]) ;;
    *) fail "crash directory named $(basename "$SAVED")" ;; esac
  for f in vmcore vmcore-dmesg.txt kdumpkit.log metadata.json; do [ -s "$SAVED/$f" ] || fail "no $f"; done
  grep -q incomplete <<<"$(ls "$SAVED")" && fail "incomplete files left: $(ls "$SAVED")"
  start=$(now)
  "$BIN" dump -d 31 -c zstd "$VMCORE" "$WORK/expected.vmcore" >/dev/null 2>&1 || fail "kdumpkit dump failed"
  echo "  [$CASE] kdumpkit dump to a file for comparison: $(since "$start") s"
  cmp -s "$SAVED/vmcore" "$WORK/expected.vmcore" || fail "the saved vmcore differs from kdumpkit dump's"
  [ "$(json "$SAVED/metadata.json" 'd["complete"]')" = True ] || fail "metadata not complete"
  flat=$(json "$SAVED/metadata.json" '[f["size"] for f in d["files"] if f["name"] == "vmcore.flat"][0]')
  echo "  [$CASE] vmcore $(stat -c %s "$SAVED/vmcore") bytes, flattened stream $flat bytes, device $(blockdev --getsize64 "$raw") bytes"
  "$BIN" dmesg "$SAVED/vmcore" 2>/dev/null | cmp -s - "$SAVED/vmcore-dmesg.txt" ||
    "$BIN" dmesg "$VMCORE" 2>/dev/null | cmp -s - "$SAVED/vmcore-dmesg.txt" || fail "vmcore-dmesg.txt differs from kdumpkit dmesg"
fi
savecore --config "$WORK/savecore.conf" --dir "$WORK/crash"
[ $SC_RC -eq 0 ] && [ -z "$SAVED" ] || fail "the second savecore saved again: $SAVED"
grep -q "dump saved already" "$WORK/$CASE.savecore" || fail "no 'saved already': $(tail -n 2 "$WORK/$CASE.savecore")"
[ "$(ls "$WORK/crash" | wc -l)" = 1 ] || fail "crash directories: $(ls "$WORK/crash")"

# ----------------------------------------------------------------- small
CASE=small
tiny=$(loopdev tiny 12M)
disk=$(loopdev disk 400M mkfs)
capture "target = raw:$tiny" "target = disk:$disk:/crash"
grep -q "capture complete" "$WORK/$CASE.out" || fail "capture did not complete on the second target"
savecore "$tiny" --dir "$WORK/crash-small"
if [ $SC_RC -ne 0 ] || [ ! -d "$SAVED" ]; then fail "savecore: $(cat "$WORK/$CASE.savecore")"; else
  [ ! -e "$SAVED/vmcore" ] || fail "a vmcore from a device too small"
  [ -s "$SAVED/vmcore-dmesg.txt" ] && [ -s "$SAVED/metadata.json" ] || fail "log or metadata missing: $(ls "$SAVED")"
  reason=$(json "$SAVED/metadata.json" 'd["incomplete_reason"]')
  case $reason in "no dump: "*) ;; *) fail "reason on the raw device: $reason" ;; esac
fi
mkdir -p "$WORK/look" && mount -o ro "$disk" "$WORK/look"
dir=$(ls -d "$WORK"/look/crash/rawhost-* 2>/dev/null | tail -n1 || true)
if [ -z "$dir" ]; then fail "no dump on the second target"; else
  [ -s "$dir/vmcore" ] || fail "no vmcore on the second target"
  r=$(json "$dir/metadata.json" 'd["targets"][0]["result"] + "|" + d["targets"][0]["detail"]')
  case $r in "log and metadata only|$tiny: no dump: "*) ;; *) fail "the raw target's record: $r" ;; esac
fi
umount "$WORK/look"

# ----------------------------------------------------------------- identity
# load recorded the raw device's identity; the capture kernel gave that name
# to another device (here: a size that differs). Nothing is written to it,
# not even a header; the dump lands on the next target, which says why.
CASE=identity
other=$(loopdev other 200M)
idisk=$(loopdev idisk 400M mkfs)
printf 'host = rawhost\nkernel_release = 6.1.0\nraw_device = %s size=%s\n' "$other" \
  "$(($(blockdev --getsize64 "$other") + 4096))" >"$WORK/record"
capture "target = raw:$other" "target = disk:$idisk:/crash"
grep -q "capture complete" "$WORK/$CASE.out" || fail "capture did not complete on the second target"
[ "$(head -c 4096 "$other" | tr -d '\0' | wc -c)" = 0 ] || fail "bytes were written to the device that is not the recorded one"
mkdir -p "$WORK/look" && mount -o ro "$idisk" "$WORK/look"
dir=$(ls -d "$WORK"/look/crash/rawhost-* 2>/dev/null | tail -n1 || true)
if [ -z "$dir" ]; then fail "no dump on the second target"; else
  r=$(json "$dir/metadata.json" 'd["targets"][0]["result"] + "|" + d["targets"][0]["detail"]')
  case $r in "failed|$other is not the device load checked (size "*) ;; *) fail "the raw target's record: $r" ;; esac
fi
umount "$WORK/look"
# The same device with its identity as recorded: written.
printf 'host = rawhost\nkernel_release = 6.1.0\nraw_device = %s size=%s\n' "$other" \
  "$(blockdev --getsize64 "$other")" >"$WORK/record"
CASE=identity-same
capture "target = raw:$other"
grep -q "capture complete" "$WORK/$CASE.out" || fail "the recorded device was not written: $(tail -n 5 "$WORK/$CASE.out")"
printf 'host = rawhost\nkernel_release = 6.1.0\n' >"$WORK/record"

# ----------------------------------------------------------------- damaged
CASE=damaged
capture "target = raw:$raw" "dump_level = 31"
printf 'X' | dd of="$raw" bs=1 seek=$(((1 << 20) + 123456)) conv=notrunc status=none
savecore "$raw" --dir "$WORK/crash-damaged"
[ $SC_RC -eq 1 ] || fail "savecore of a damaged stream exited $SC_RC"
grep -q "SHA-256" "$WORK/$CASE.savecore" || fail "no digest error: $(cat "$WORK/$CASE.savecore")"
[ ! -e "$WORK/crash-damaged" ] || fail "savecore wrote a crash directory from a damaged dump"
head -c 4096 "$raw" | python3 -c 'import sys; b=sys.stdin.buffer.read(); sys.exit(0 if b[:8]==b"KDKRAW01" and b[12]==2 else 1)' ||
  fail "the header is no longer 'committed'"

if [ $FAILS -ne 0 ]; then
  echo "raw-target: $FAILS FAILED (consoles in $WORK/*.out, *.savecore)"
  for f in "$WORK"/*.out "$WORK"/*.savecore; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
  exit 1
fi
echo "raw-target: PASSED"
