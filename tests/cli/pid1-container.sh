#!/usr/bin/env bash
# pid1-container.sh KDUMPKIT: a static kdumpkit that is PID 1 somewhere other
# than a capture kernel (a container: a new PID namespace with its own /proc)
# acts as the command line tool. It neither starts a capture nor reboots,
# which in a PID namespace would end the namespace.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 KDUMPKIT" >&2; exit 2; }
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/skip.sh"
kdk_need_root
kdk_need_tools unshare
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

rc=0
unshare --pid --fork --mount-proc "$BIN" --version >"$OUT" 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "--version as PID 1 exited $rc: $(cat "$OUT")"
grep -q "^kdumpkit " "$OUT" || fail "--version as PID 1 printed no version: $(cat "$OUT")"
grep -q "PID 1 outside a capture kernel" "$OUT" || fail "no word on why no capture starts: $(cat "$OUT")"
grep -q "capture starting" "$OUT" && fail "a capture started in a container: $(cat "$OUT")"

# The capture subcommand as PID 1 runs as it does by hand (it fails on the
# missing vmcore), and does not turn into init.
rc=0
unshare --pid --fork --mount-proc "$BIN" capture --vmcore /nonexistent --config /nonexistent >"$OUT" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "capture as PID 1 exited $rc, expected 1: $(cat "$OUT")"
grep -q "capture starting\|deadline" "$OUT" && fail "capture as PID 1 acted as init: $(cat "$OUT")"

[ $FAILS -eq 0 ] || exit 1
echo "pid1-container: PASSED"
