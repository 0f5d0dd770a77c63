#!/usr/bin/env bash
# capture-ssh.sh KDUMPKIT: the capture to SSH targets on the host, with the
# busy fixture vmcore, against OpenSSH's sshd (tests/servers/sshd.sh: an
# unprivileged user, its own host keys and authorized_keys) and a fault
# proxy in front of it (tests/servers/fault_proxy.py, raw). Each case runs
# `kdumpkit capture` by hand and checks what the server's directory holds
# and what metadata.json says:
#   sftp, ssh     a complete crash directory: vmcore-dmesg.txt, vmcore.flat
#                 byte-equal to `kdumpkit dump --format flat`, kdumpkit.log,
#                 metadata.json; every file mode 0600, no -incomplete file
#   sftp-cut,     the connection is cut 4 MB into the dump: retried from the
#   ssh-cut       start, and the result is complete and byte-equal
#   hostkey       a changed host key (sftp) and an unknown one (ssh): both
#                 refused without a retry and without writing anything; the
#                 dump goes to the next target, metadata.json says why
#   badkey        a key the server does not accept: refused, next target
#   full-sftp,    the server's file system fills up (a 3 MiB tmpfs): the
#   full-ssh      dump fails there without a retry, its partial file is
#                 deleted, the log and metadata.json (complete false) stay,
#                 and the dump goes to the next target
#   load          `kdumpkit load` refuses a changed host key, a refused key,
#                 a server that is down and an identity others can read,
#                 naming each line; the good sftp and ssh lines pass
# Needs root (the tmpfs); exit 0 = all passed.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_tools /usr/sbin/sshd ssh-keygen setpriv python3 makedumpfile
kdk_need_root
[ $# -eq 1 ] || { echo "usage: $0 KDUMPKIT" >&2; exit 2; }
BIN=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS=$HERE/../servers
VMCORE=$("$HERE/../../qemu/fixtures.sh" busy | tail -n1)
[ -f "$VMCORE" ] || { echo "FAIL: no busy fixture ($VMCORE)"; exit 1; }

WORK=$(mktemp -d /tmp/kdk-capture-ssh.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
  umount "$WORK/sshd/data/full" 2>/dev/null || true
  "$SERVERS/sshd.sh" stop "$WORK/sshd" >/dev/null 2>&1 || true
  [ "${KDUMPKIT_KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$SERVERS/sshd.sh" start "$WORK/sshd" >"$WORK/sshd.env"
. "$WORK/sshd.env"
D=$KDK_SSHD_DATA
U=$KDK_SSHD_USER
# known_hosts for the fault proxy's port, and one with no line for the server.
for t in ED25519 ECDSA; do
  pub=KDK_SSHD_HOST_${t}_PUB
  printf '[127.0.0.1]:%s %s\n' "$KDK_SSHD_FAULT_PORT" "$(cut -d' ' -f1,2 "${!pub}")"
done >"$WORK/kh-fault"
: >"$WORK/kh-empty"
chmod 0600 "$WORK/kh-fault" "$WORK/kh-empty"

printf 'host = sshhost\nkernel_release = 6.1.0\n' >"$WORK/record"
: >"$WORK/empty.cmdline"
# What every complete upload must equal: the same engine, same options.
"$BIN" dump -q -d 31 -c zstd --format flat "$VMCORE" "$WORK/expected.flat"
echo "  expected vmcore.flat: $(stat -c %s "$WORK/expected.flat") bytes"

FAILS=0
fail() { echo "FAIL [$CASE]: $*"; FAILS=$((FAILS + 1)); }

# target SCHEME SUBDIR [PORT] [IDENTITY] [KNOWN_HOSTS]
target() {
  echo "target = $1://$U@127.0.0.1:${3:-$KDK_SSHD_PORT}$D/$2 identity=${4:-$KDK_SSHD_ID_ED25519} known_hosts=${5:-$KDK_SSHD_KNOWN_HOSTS}"
}

capture() {
  printf '%s\n' "$@" "retries = 3" >"$WORK/$CASE.conf"
  local start rc=0
  start=$(date +%s.%N)
  "$BIN" capture --cmdline "$WORK/empty.cmdline" --vmcore "$VMCORE" --config "$WORK/$CASE.conf" \
    --load-record "$WORK/record" --no-modules --mount-dir "$WORK/mnt-$CASE" >"$WORK/$CASE.out" 2>&1 || rc=$?
  SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  echo "  [$CASE] capture exit $rc in $SECS s"
  return 0
}

# check_dir DIR PYTHON-EXPR: a complete crash directory whose files match
# metadata.json and are root-only, with no incomplete file, whose
# vmcore.flat equals the expected stream, and for which PYTHON-EXPR (on `m`,
# the metadata) holds.
check_dir() {
  local dir=$1 expr=$2 problems
  [ -n "$dir" ] && [ -d "$dir" ] || { fail "no crash directory on the server"; return; }
  problems=$(/usr/bin/python3 - "$dir" "$expr" <<'PY'
import hashlib, json, os, stat, sys
d, expr = sys.argv[1:3]
bad = []
m = json.load(open(os.path.join(d, "metadata.json")))
if m.get("complete") is not True:
    bad.append("not complete: %s" % m.get("incomplete_reason"))
names = sorted(os.listdir(d))
if names != ["kdumpkit.log", "metadata.json", "vmcore-dmesg.txt", "vmcore.flat"]:
    bad.append("files: %s" % names)
for n in names:
    mode = stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode)
    if mode != 0o600:
        bad.append("%s has mode %o" % (n, mode))
for f in m.get("files", []):
    data = open(os.path.join(d, f["name"]), "rb").read()
    if len(data) != f["size"] or hashlib.sha256(data).hexdigest() != f["sha256"]:
        bad.append(f["name"] + " differs from metadata.json")
if not eval(expr, {"m": m}):
    bad.append("metadata: not " + expr)
print("; ".join(bad))
PY
  )
  [ -z "$problems" ] || fail "$dir: $problems"
  cmp -s "$dir/vmcore.flat" "$WORK/expected.flat" || fail "vmcore.flat differs from kdumpkit dump --format flat"
}
crash_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d -name 'sshhost-*' 2>/dev/null | sort | tail -n1; }
no_retry() { grep -q "attempt 1 of 3 failed" "$WORK/$CASE.out" && fail "retried: $(grep "attempt 1 of 3" "$WORK/$CASE.out")" || true; }

for s in sftp ssh; do
  CASE=$s
  capture "$(target $s "c$s")"
  check_dir "$(crash_dir "$D/c$s")" 'm["targets"][0]["result"] == "complete"'
  BYTES=$(stat -c %s "$WORK/expected.flat")
  echo "  [$CASE] $(awk -v b="$BYTES" -v s="$SECS" 'BEGIN{printf "%.1f MiB/s over the whole capture (dump engine included)", b/1048576/s}')"
  no_retry
done

# The dump itself, as makedumpfile rebuilds it from what arrived.
CASE=makedumpfile-R
if makedumpfile -R "$WORK/reassembled" <"$(crash_dir "$D/cssh")/vmcore.flat" >"$WORK/R.out" 2>&1; then
  "$BIN" reassemble "$(crash_dir "$D/cssh")/vmcore.flat" "$WORK/ours" >/dev/null 2>&1 || fail "kdumpkit reassemble failed"
  cmp -s "$WORK/reassembled" "$WORK/ours" || fail "makedumpfile -R and kdumpkit reassemble differ"
else
  fail "makedumpfile -R failed: $(tail -n 3 "$WORK/R.out")"
fi
rm -f "$WORK/reassembled" "$WORK/ours"

for s in sftp ssh; do
  CASE=$s-cut
  echo "cut 4000000 1" >"$KDK_SSHD_FAULT_MODE"
  capture "$(target $s "cut$s" "$KDK_SSHD_FAULT_PORT" "" "$WORK/kh-fault")"
  check_dir "$(crash_dir "$D/cut$s")" 'm["targets"][0]["result"] == "complete"'
  grep -q "^cut 4000000 0" "$KDK_SSHD_FAULT_MODE" || fail "the proxy cut nothing ($(cat "$KDK_SSHD_FAULT_MODE"))"
  grep -q "vmcore.flat: attempt 1 of 3 failed" "$WORK/$CASE.out" || fail "no retry of vmcore.flat in the log"
  echo pass >"$KDK_SSHD_FAULT_MODE"
done

CASE=hostkey
capture "$(target sftp chost "" "" "$KDK_SSHD_WRONG_KNOWN_HOSTS")" "$(target ssh chost "" "" "$WORK/kh-empty")" \
  "$(target sftp chostnext)"
check_dir "$(crash_dir "$D/chostnext")" \
  'm["targets"][0]["result"] == "failed" and "HOST KEY CHANGED" in m["targets"][0]["detail"] and m["targets"][1]["result"] == "failed" and "unknown" in m["targets"][1]["detail"] and "SHA256:" in m["targets"][1]["detail"]'
[ -e "$D/chost" ] && fail "something was written to a server whose host key did not match: $(ls -R "$D/chost")"
no_retry

CASE=badkey
capture "$(target sftp cbad "" "$KDK_SSHD_ID_STRANGER")" "$(target ssh cbadnext "" "$KDK_SSHD_ID_ECDSA")"
check_dir "$(crash_dir "$D/cbadnext")" \
  'm["targets"][0]["result"] == "failed" and "does not accept the key" in m["targets"][0]["detail"]'
[ -e "$D/cbad" ] && fail "something was written with a refused key"
no_retry

mkdir -p "$D/full"
mount -t tmpfs -o size=3m,mode=0755 kdk-full "$D/full"
chown "$U:" "$D/full"
for s in sftp ssh; do
  CASE=full-$s
  capture "$(target $s "full/$s")" "$(target $s "fullnext$s" "" "$KDK_SSHD_ID_RSA")"
  check_dir "$(crash_dir "$D/fullnext$s")" \
    'm["targets"][0]["result"] == "log and metadata only" and "vmcore.flat not uploaded" in m["targets"][0]["detail"]'
  dir=$(crash_dir "$D/full/$s")
  if [ -z "$dir" ]; then
    fail "no crash directory on the full file system"
  else
    [ "$(ls "$dir")" = "$(printf 'kdumpkit.log\nmetadata.json\nvmcore-dmesg.txt')" ] ||
      fail "the full file system holds: $(ls "$dir" | tr '\n' ' ')"
    /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(m["complete"] is not False)' \
      "$dir/metadata.json" || fail "metadata.json on the full file system does not say incomplete"
  fi
  no_retry
  echo "  [$CASE] $(grep -m1 "vmcore.flat on" "$WORK/$CASE.out" | sed 's/^kdumpkit: //' | cut -c1-200)"
  rm -rf "${dir:?}"
done
umount "$D/full"

CASE=load
install -m 0640 "$KDK_SSHD_ID_ED25519" "$WORK/id-open"
printf '%s\n' "$(target sftp cload "" "" "$KDK_SSHD_WRONG_KNOWN_HOSTS")" \
  "$(target ssh cload "" "$KDK_SSHD_ID_STRANGER")" \
  "$(target sftp cload "$(free_port)")" \
  "$(target ssh cload "" "$WORK/id-open")" \
  "$(target sftp cload "" "$KDK_SSHD_ID_RSA")" \
  "$(target ssh cload "" "$KDK_SSHD_ID_ECDSA")" >"$WORK/load.conf"
rc=0
"$BIN" load --config "$WORK/load.conf" --state-dir "$WORK/state" --kernel-release 6.1.0-kdk-test \
  --modules-dir "$WORK/no-modules" >"$WORK/load.out" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "load armed a configuration whose targets fail"
grep -q "refusing to arm: 4 problems" "$WORK/load.out" || fail "load does not count 4 problems: $(cat "$WORK/load.out")"
grep -q "load.conf:1: target .*HOST KEY CHANGED" "$WORK/load.out" || fail "line 1 (host key) not named"
grep -q "load.conf:2: target .*does not accept the key" "$WORK/load.out" || fail "line 2 (key refused) not named"
grep -q "load.conf:3: target .*refused" "$WORK/load.out" || fail "line 3 (server down) not named"
grep -q "load.conf:4: target .*root-only" "$WORK/load.out" || fail "line 4 (identity readable by others) not named"
grep -q "load.conf:[56]:" "$WORK/load.out" && fail "a working line is reported: $(grep "load.conf:[56]:" "$WORK/load.out")"
grep -q "BEGIN OPENSSH" "$WORK/load.out" && fail "a private key appears in load's output"
[ -z "$(ls -A "$D/cload" 2>/dev/null)" ] || fail "load left files on the server: $(ls -A "$D/cload")"
echo "  [$CASE] load exit $rc: $(grep -c "load.conf:[0-9]" "$WORK/load.out") lines named"

if [ $FAILS -gt 0 ]; then
  echo "capture-ssh: $FAILS failure(s); outputs in $WORK"
  KDUMPKIT_KEEP=1
  exit 1
fi
echo "capture-ssh: all cases passed"
