#!/usr/bin/env bash
# e2e-faults.sh BINARY [SCENARIO...]: capture-level faults in real crashes
# (QEMU). BINARY must be kdumpkit-test (the kdumpkit_test.* switches).
# Scenarios (all by default):
#   disk-vanishes  two ext4 targets, disk A (LABEL=vanish, a hot-pluggable
#                  virtio disk) then disk B (LABEL=kdumpdata). When the
#                  capture starts writing to A, the host deletes A's backend
#                  (HMP drive_del over QMP): the guest's disk stays, every
#                  request to it fails with EIO, as a dying disk does. The
#                  capture must record A's failure and save a complete dump
#                  to B, then reboot.
#   raw-poweroff   a raw partition target (raw:/dev/vdc). QEMU is SIGKILLed
#                  (power cut: the guest's page cache is lost) at seeded
#                  random points of the raw write: around the commit, just
#                  after the header, early and in the middle of the stream,
#                  after the stream's last byte (sync, read-back). The boot
#                  up to the capture kernel is run once and saved (QMP
#                  migrate to a file); each cut restores it. One more
#                  boot attaches every cut disk and runs `kdumpkit savecore`
#                  on each: it must report nothing saved, or save a dump
#                  that checks good (metadata complete, digests, libkdumpfile)
#                  -- never exit 1, never a bad vmcore.
#   nfs-override   the capture command line carries kdumpkit.target=nfs (a
#                  one-word target; `load` refuses it, so the test build's
#                  kdumpkit_test.unchecked_append switch adds it after the
#                  checks): the capture reports it, ignores it, and saves a
#                  complete dump to the configured disk.
# KDK_FAULTS_SEED fixes the cut points (printed on every run).
# KDK_FAULTS_BREAK breaks a scenario on purpose (the run must then FAIL):
#   keep-disk   disk-vanishes does not delete A's backend
#   damage-raw  raw-poweroff flips a byte in each cut disk's stored stream
#               (where the header records one) before savecore
#   obey-override  nfs-override appends a valid override instead
#               (kdumpkit.target=disk:LABEL=decoy:/crash): the capture follows
#               it away from the configured disk
# Exit 0 = all passed; failed runs keep their work dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 mkfs.ext4 debugfs e2fsck cpio python3 timeout
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [disk-vanishes|raw-poweroff|nfs-override]..."
exec 2>&1
BIN=$(readlink -f "$1")
shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(disk-vanishes raw-poweroff nfs-override)
kdk_fetch_guest || exit 1
SEED=${KDK_FAULTS_SEED:-$(date +%s)}
BREAK=${KDK_FAULTS_BREAK:-}
echo "seed $SEED (KDK_FAULTS_SEED=$SEED repeats these cut points)"
[ -z "$BREAK" ] || echo "KDK_FAULTS_BREAK=$BREAK: broken on purpose, this run must FAIL"

prepare() { kdk_scenario_prepare "$BIN" "$@"; }
boot() { kdk_scenario_boot; }
console() { kdk_scenario_console; }
has() { kdk_scenario_has "$1"; }
result() { kdk_scenario_result "$@"; }
FAILED=()

# boot_background: QEMU in the background (APPEND, QEMU_EXTRA as for boot),
# its pid file in $W/qemu.pid; BOOT_JOB is the job, T0 its start.
boot_background() {
  rm -f "$W/console.log" "$W/qemu.pid"
  : >"$W/console.log"
  QEMU_EXTRA="${QEMU_EXTRA:-} -pidfile $W/qemu.pid" boot >"$W/boot.out" 2>&1 &
  BOOT_JOB=$!
  T0=$(date +%s.%N)
}
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
running() { kill -0 "$BOOT_JOB" 2>/dev/null; }

# wait_for ERE [SECONDS]: waits until a console line matches ERE; fails when
# QEMU exits first or after SECONDS (default 300).
wait_for() {
  local re=$1 limit=${2:-300} n=0
  while ! grep -q -E -- "$re" "$W/console.log" 2>/dev/null; do
    running || return 1
    n=$((n + 1))
    [ $n -lt $((limit * 20)) ] || return 1
    sleep 0.05
  done
}

# power_cut: SIGKILL to QEMU (nothing of the guest's page cache survives).
power_cut() {
  local pid
  pid=$(cat "$W/qemu.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
}

# qmp COMMAND-JSON...: QMP commands through QEMU's socket, in order; each
# must succeed. A "migrate" waits until the migration completed. Prints the
# human monitor's output, if any.
qmp() {
  python3 - "$W/qmp.sock" "$@" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "event" not in m:
            return m
def run(cmd):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    r = reply()
    if "return" not in r:
        print("QMP %s: %s" % (cmd["execute"], r))
        sys.exit(1)
    return r["return"]
reply()
run({"execute": "qmp_capabilities"})
for arg in sys.argv[2:]:
    cmd = json.loads(arg)
    if cmd["execute"] == "wait-incoming":  # ours: until the incoming migration completed
        for _ in range(1200):
            if run({"execute": "query-migrate"}).get("status") == "completed":
                break
            time.sleep(0.05)
        else:
            print("the incoming migration did not complete")
            sys.exit(1)
        continue
    if cmd["execute"] == "quit":  # QEMU may close the socket before it answers
        f.write(arg + "\n")
        f.flush()
        f.readline()
        break
    r = run(cmd)
    if cmd["execute"] == "migrate":
        for _ in range(1200):
            st = run({"execute": "query-migrate"}).get("status")
            if st == "completed":
                break
            if st in ("failed", "cancelled"):
                print("migration %s" % st)
                sys.exit(1)
            time.sleep(0.1)
        else:
            print("migration did not complete")
            sys.exit(1)
    elif isinstance(r, str) and r.strip():
        print(r.strip())
PY
}
# resume_incoming: once QEMU (started with -incoming) has read the saved
# state, runs it (the state was saved stopped, and stays so).
resume_incoming() {
  local n=0
  while [ ! -S "$W/qmp.sock" ]; do
    running || return 1
    n=$((n + 1))
    [ $n -lt 600 ] || return 1
    sleep 0.05
  done
  qmp '{"execute": "wait-incoming"}' '{"execute": "cont"}'
}
hmp() { qmp "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"$1\"}}"; }

# random_delay MAX: a seeded delay in [0, MAX) seconds; each call its own.
DRAW=0
random_delay() {
  DRAW=$((DRAW + 1))
  awk -v s="$SEED" -v d="$DRAW" -v m="$1" 'BEGIN { srand((s % 1000003) * 16 + d); printf "%.2f", rand() * m }'
}

# check_raw_dump DIR: a crash directory that savecore rebuilt (extracted)
# holds a good dump: a kdump-compressed vmcore libkdumpfile reads, with the
# crash in its memory; metadata.json complete, naming the flattened stream
# (whose digest savecore checked against the header) and the log's digest.
check_raw_dump() {
  local dir=$1 e=0
  kdk_check_vmcore "$dir/vmcore" || e=1
  python3 - "$dir" <<'PY' || e=1
import hashlib, json, os, sys
d = sys.argv[1]
bad = []
try:
    m = json.load(open(os.path.join(d, "metadata.json")))
except Exception as x:  # noqa: BLE001 -- a missing or bad file is the finding
    print("FAIL: metadata.json: %s" % x)
    sys.exit(1)
files = {f["name"]: f for f in m.get("files", [])}
if m.get("complete") is not True: bad.append("not complete")
if "sysrq" not in m.get("panic_line", ""): bad.append("panic_line %r" % m.get("panic_line"))
if "vmcore.flat" not in files: bad.append("no vmcore.flat entry")
dm = open(os.path.join(d, "vmcore-dmesg.txt"), "rb").read()
if files.get("vmcore-dmesg.txt", {}).get("sha256") != hashlib.sha256(dm).hexdigest(): bad.append("dmesg sha256")
if not m.get("targets") or m["targets"][-1]["result"] != "complete": bad.append("targets %r" % m.get("targets"))
if bad: print("FAIL: metadata.json: " + "; ".join(bad))
sys.exit(1 if bad else 0)
PY
  kdk_check_dmesg "$dir/vmcore" "$dir/dmesg.check" || e=1
  return $e
}

# ------------------------------------------------------------ disk-vanishes

scenario_disk-vanishes() {
  local e=0 line dev
  prepare disk-vanishes "target = disk:LABEL=vanish:$KDK_TARGET_DIR" \
    "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" || return 1
  truncate -s 2G "$W/a.img" && mkfs.ext4 -q -F -L vanish "$W/a.img" || return 1
  QEMU_EXTRA="-drive if=none,id=diska,file=$W/a.img,format=raw -device virtio-blk-pci,drive=diska"
  QEMU_EXTRA="$QEMU_EXTRA -qmp unix:$W/qmp.sock,server=on,wait=off" APPEND="" boot_background
  # The first target's vmcore is being written: "space:" is the capture's
  # last line before the dump (its progress reaches the console log only at
  # 100 %: the serial line's \r updates make one line), which takes about
  # 2.5-10 s under TCG; the drive goes 0.5-1.5 s into it.
  local delay
  delay=$(awk -v d="$(random_delay 1)" 'BEGIN { printf "%.2f", 0.5 + d }')
  if wait_for 'kdumpkit: saving /proc/vmcore .* to /dev/vd' && wait_for 'kdumpkit: space: '; then
    line=$(grep -m1 -E 'kdumpkit: saving /proc/vmcore' "$W/console.log")
    dev=$(sed -n 's|.* to \(/dev/vd[a-z]*\):.*|\1|p' <<<"$line")
    echo "    $(elapsed) s: $line"
    sleep "$delay"
    if [ "$BREAK" = keep-disk ]; then
      echo "    KDK_FAULTS_BREAK=keep-disk: $dev stays"
    else
      hmp "drive_del diska" || { kdk_err "drive_del failed"; e=1; }
      echo "    $(elapsed) s: drive_del diska ($dev), $delay s after the dump started"
    fi
  else
    kdk_err "the capture never started writing to the first target"
    e=1
    power_cut
  fi
  wait "$BOOT_JOB" || { kdk_err "the boot failed: $(cat "$W/boot.out")"; e=1; }
  SECS=$(elapsed)
  SECS=${SECS%.*}
  kdk_check_console "$W/console.log" || e=1
  console | grep -E "kdumpkit: (error: target .* failed|error: vmcore on|vmcore on|saved |capture complete)|I/O error|EXT4-fs error" |
    head -n 12 | sed 's/^/    /' || true
  has "target disk:LABEL=vanish:$KDK_TARGET_DIR failed" ||
    { kdk_err "the capture did not record the failure of the vanished disk"; e=1; }
  has "saved $KDK_TARGET_DIR/" || { kdk_err "no complete dump on the second target"; e=1; }
  kdk_check_target "$W/vdb.img" "$W/vmcore" || e=1
  if [ -f "$W/vmcore" ]; then
    kdk_check_metadata "$W" || e=1
    kdk_check_dmesg "$W/vmcore" "$W/dmesg.txt" || e=1
    python3 - "$W/metadata.json" <<'PY' || { kdk_err "metadata.json does not say that the first target failed, and why"; e=1; }
import json, sys
m = json.load(open(sys.argv[1]))
t = m.get("targets", [])
first = t[0] if t else {}
print("    metadata targets: %s" % "; ".join("%s: %s (%s)" % (a.get("target"), a.get("result"), a.get("detail", "")) for a in t))
ok = (len(t) >= 2 and "vanish" in first.get("target", "") and first.get("result") == "failed"
      and first.get("detail") and t[-1].get("result") == "complete")
sys.exit(0 if ok else 1)
PY
  fi
  # The disk failed while the dump was being written, not after it was
  # committed: the first target's failure is its vmcore (a write, or the
  # fsync before the commit; write errors on a page-cached file surface at
  # the fsync, which the dump's 100 % line precedes). Its first I/O error
  # is shown against the dump's time for the record.
  python3 - "$W/console.log" "${dev#/dev/}" <<'PY' || { kdk_err "the disk did not vanish during the dump"; e=1; }
import re, sys
text = open(sys.argv[1], errors="replace").read().replace("\r", "\n")
dev = sys.argv[2]
stamp = lambda l: float(re.match(r"\[ *([0-9.]+)\]", l).group(1))
lines = text.split("\n")
i = next((n for n, l in enumerate(lines) if "kdumpkit: saving /proc/vmcore" in l), None)
end = next((n for n, l in enumerate(lines) if i is not None and n > i and "target disk:LABEL=vanish" in l), None)
if end is None:
    print("    no failure of the first target on the console")
    sys.exit(1)
seg = lines[i:end]
t_space = stamp(next(l for l in seg if "kdumpkit: space: " in l))
io = [stamp(l) for l in seg if re.match(r"\[ *[0-9.]+\] .*I/O error.*\b%s\b" % dev, l)]
done = [l for l in seg if "kdumpkit: dump: 100.0%" in l]
secs = float(re.search(r"in ([0-9.]+)s", done[-1]).group(1)) if done else None
print("    dump on %s: from %.1f s, %s; first I/O error at %s s" % (
    dev, t_space, "written in %.1f s" % secs if done else "stopped before its end", io[0] if io else "none"))
failure = lines[end]
print("    failure: %s" % failure.split("kdumpkit: ", 1)[-1][:200])
sys.exit(0 if "vmcore not saved" in failure else 1)
PY
  kdk_check_fsck "$W/vdb.img" || e=1
  local cap done_
  cap=$(console | grep -F -m1 'kdumpkit: capture starting' | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  done_=$(console | grep -F -m1 'kdumpkit: capture complete' | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  echo "    capture kernel clock: capture starting ${cap:-?} s, complete ${done_:-?} s"
  result disk-vanishes $e
}

# ------------------------------------------------------------ raw-poweroff

# The cut points: NAME, the console line (ERE) after which QEMU is killed,
# and the delay after it: MIN plus a seeded random part below SPAN, in
# seconds, or with UNIT "stream" in units of the stream's own duration
# (measured by the first cut, which lets the capture finish its stream: the
# restored state is the same each time). The stream's progress reaches the
# console log only at 100 % (the serial line's \r updates make one line),
# so "space:", the capture's last line before the stream, places the cuts
# inside it.
CUTS=(
  "commit|kdumpkit: flattened stream:|0|0.2|s"
  "header|kdumpkit: raw target /dev/vdc:|0|0.3|s"
  "early|kdumpkit: space: |0.05|0.3|stream"
  "middle|kdumpkit: space: |0.3|0.35|stream"
  "late|kdumpkit: dump: 100|0|1.5|s"
)

# The boot after the cuts: each cut disk's savecore into its own directory on
# the ext4 disk (vdb).
overlay_savecore_all() {
  mkdir -p "$1/etc/kdk"
  {
    echo '#!/bin/sh'
    echo 'mkdir -p /mnt/t && mount -t ext4 /dev/vdb /mnt/t || exit 1'
    for d in "$@"; do
      [ "$d" = "$1" ] && continue
      echo "kdumpkit savecore --dir /mnt/t/saved-$d /dev/$d"
      echo "echo \"KDK-GUEST: savecore $d exited \$?\""
    done
    echo 'umount /mnt/t'
    echo 'sync'
    echo 'poweroff -f'
  } >"$1/etc/kdk/before-crash"
  chmod 0755 "$1/etc/kdk/before-crash"
}

scenario_raw-poweroff() {
  local e=0 name re min max unit delay i devs=() letters=(c d e f g h) total stream=6
  prepare raw-poweroff "target = raw:/dev/vdc" || return 1
  truncate -s 1G "$W/vdc.img" || return 1
  # One boot to the capture kernel's start, saved (RAM and devices, with
  # the disks as they are then); each cut restores it and runs the capture
  # from there, so a cut costs the capture's time only.
  local qmp_arg="-qmp unix:$W/qmp.sock,server=on,wait=off"
  QEMU_EXTRA="$qmp_arg" APPEND="" boot_background
  if ! wait_for 'kdumpkit: capture starting'; then
    kdk_err "the capture kernel never started: $(tail -n 5 "$W/console.log" | tr '\n' ' ')"
    power_cut
    result raw-poweroff 1
    return 0
  fi
  qmp '{"execute": "stop"}' "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat>$W/state\"}}" \
    '{"execute": "quit"}' || { kdk_err "saving the VM state failed"; e=1; }
  wait "$BOOT_JOB" 2>/dev/null || true
  total=$(elapsed)
  echo "    boot to the capture kernel, saved: $total s ($(du -m "$W/state" | cut -f1) MiB of state)"
  mv "$W/console.log" "$W/console-boot.log" && cp --sparse=always "$W/vdc.img" "$W/vdc-start.img" || return 1
  for i in "${!CUTS[@]}"; do
    IFS='|' read -r name re min max unit <<<"${CUTS[$i]}"
    cp --sparse=always "$W/vdc-start.img" "$W/vdc.img" || return 1
    rm -f "$W/qmp.sock"
    QEMU_EXTRA="$qmp_arg -incoming exec:cat<$W/state" APPEND="" boot_background
    resume_incoming || { kdk_err "cut $name: restoring the saved state failed"; e=1; }
    delay=$(awk -v a="$min" -v b="$(random_delay "$max")" -v u="$([ "$unit" = stream ] && echo "$stream" || echo 1)" \
      'BEGIN { printf "%.2f", (a + b) * u }')
    if wait_for "$re"; then
      sleep "$delay"
      power_cut
      echo "    cut $name: $(elapsed) s after the restore, ${delay} s after /$re/; last: $(grep -E 'kdumpkit: ' "$W/console.log" | tail -n1 | tr '\r' '|' | cut -c1-160)"
    else
      kdk_err "cut $name: the capture never printed /$re/ (QEMU ran $(elapsed) s): $(tail -n 3 "$W/boot.out" | tr '\n' ' ')"
      e=1
      power_cut
    fi
    wait "$BOOT_JOB" 2>/dev/null || true
    total=$(awk -v a="$total" -v b="$(elapsed)" 'BEGIN { printf "%.1f", a + b }')
    if [ "$name" = commit ]; then
      # The stream's duration, from its 100 % progress line ("... in 6.5s").
      stream=$(tr '\r' '\n' <"$W/console.log" | sed -n 's/.*kdumpkit: dump: 100.0% .* in \([0-9.]*\)s.*/\1/p' | tail -n1)
      [ -n "$stream" ] || { kdk_err "no 100 % line of the stream"; stream=6; e=1; }
      echo "    the stream took $stream s"
    fi
    mv "$W/console.log" "$W/console-$name.log"
    mv "$W/vdc.img" "$W/cut-$name.img"
    devs+=("vd${letters[$i]}:$name")
  done
  if [ "$BREAK" = damage-raw ]; then
    python3 - "$W"/cut-*.img <<'PY'
import struct, sys
for p in sys.argv[1:]:
    with open(p, "r+b") as f:
        h = f.read(4096)
        if h[:8] != b"KDKRAW01":
            continue
        off, length = struct.unpack_from("<QQ", h, 48 + 48)  # region 1: the stream
        if length:
            f.seek(off + length // 2)
            b = f.read(1)
            f.seek(off + length // 2)
            f.write(bytes([b[0] ^ 0xFF]))
            print("    KDK_FAULTS_BREAK=damage-raw: flipped byte %d of %s" % (off + length // 2, p))
PY
  fi
  # One boot for every cut disk: vdc (kdk_boot's), then the others in order.
  local extra="" list=()
  for i in "${!devs[@]}"; do
    name=${devs[$i]#*:}
    list+=("${devs[$i]%%:*}")
    if [ "$i" -eq 0 ]; then cp --sparse=always "$W/cut-$name.img" "$W/vdc.img"; else
      extra="$extra -drive file=$W/cut-$name.img,format=raw,if=virtio"
    fi
  done
  mkdir -p "$W/after/etc" && cp "$W/overlay/etc/kdumpkit.conf" "$W/after/etc/" &&
    overlay_savecore_all "$W/after" "${list[@]}" &&
    kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/after" || return 1
  local t1
  t1=$(date +%s)
  QEMU_EXTRA="$extra" APPEND="" boot || e=1
  SECS=$(awk -v a="$total" -v b="$(($(date +%s) - t1))" 'BEGIN { printf "%.0f", a + b }')
  echo "    savecore boot: $(($(date +%s) - t1)) s"
  console | grep -E 'KDK-GUEST: savecore|kdumpkit: (error: )?/dev/vd' | sed 's/^/    /' || true
  local dev saved dirs n
  for i in "${!devs[@]}"; do
    dev=${devs[$i]%%:*} name=${devs[$i]#*:}
    if ! has "KDK-GUEST: savecore $dev exited 0"; then
      kdk_err "cut $name: savecore $dev did not exit 0 (a power cut must leave nothing or a good dump)"
      e=1
      continue
    fi
    saved=$W/saved-$dev
    rm -rf "$saved"
    debugfs -R "rdump /saved-$dev $W" "$W/vdb.img" >/dev/null 2>&1 || true
    dirs=$(ls -d "$saved"/*/ 2>/dev/null || true)
    n=$(grep -c . <<<"$dirs" || true)
    if [ "$n" -eq 0 ]; then
      echo "    cut $name ($dev): nothing saved"
    elif [ "$n" -ne 1 ]; then
      kdk_err "cut $name: $n crash directories from one device"
      e=1
    elif [ -e "$dirs/vmcore" ]; then
      if check_raw_dump "${dirs%/}"; then
        echo "    cut $name ($dev): a good dump, vmcore $(stat -c %s "$dirs/vmcore") bytes"
      else
        kdk_err "cut $name: savecore saved a bad dump"
        e=1
      fi
    else
      # An interrupted capture: its kernel log, checked against its digest by savecore.
      echo "    cut $name ($dev): no vmcore; saved $(cd "$dirs" && echo *)"
      if compgen -G "$dirs/*-incomplete*" >/dev/null; then
        kdk_err "cut $name: files left incomplete"
        e=1
      fi
    fi
  done
  kdk_check_fsck "$W/vdb.img" || e=1
  result raw-poweroff $e
}

# ------------------------------------------------------------ nfs-override

scenario_nfs-override() {
  local e=0
  prepare nfs-override "target = disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" || return 1
  local word=kdumpkit.target=nfs
  [ "$BREAK" != obey-override ] || word=kdumpkit.target=disk:LABEL=decoy:/crash
  QEMU_EXTRA="" APPEND="kdumpkit_test.unchecked_append=$word" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  console | grep -E 'unchecked_append|ignoring kernel command line|kdumpkit: target |kdumpkit: saving' | sed 's/^/    /' || true
  has 'test switch kdumpkit_test.unchecked_append: "kdumpkit.target=nfs" added' ||
    { kdk_err "load did not add the unchecked override"; e=1; }
  grep -q -E 'Kernel command line:.* elfcorehdr=.*kdumpkit\.target=nfs|Kernel command line:.*kdumpkit\.target=nfs.* elfcorehdr=' \
    <<<"$(console)" || { kdk_err "the capture kernel's command line lacks kdumpkit.target=nfs"; e=1; }
  grep -q -E 'ignoring kernel command line overrides: .*nfs' <<<"$(console)" ||
    { kdk_err "the capture did not report the bad override"; e=1; }
  has "kdumpkit: target disk:LABEL=$KDK_TARGET_LABEL:$KDK_TARGET_DIR" ||
    { kdk_err "the capture did not go on to the configured target"; e=1; }
  kdk_check_target "$W/vdb.img" "$W/vmcore" || e=1
  if [ -f "$W/vmcore" ]; then
    kdk_check_metadata "$W" || e=1
    kdk_check_dmesg "$W/vmcore" "$W/dmesg.txt" || e=1
  fi
  kdk_check_fsck "$W/vdb.img" || e=1
  result nfs-override $e
}

for s in "${SCENARIOS[@]}"; do
  kdk_say "scenario $s"
  "scenario_$s" || { FAILED+=("$s"); echo "scenario $s: FAILED to set up"; }
done
if [ ${#FAILED[@]} -ne 0 ]; then
  echo "e2e-faults: FAILED: ${FAILED[*]}"
  exit 1
fi
echo "e2e-faults: PASSED (${SCENARIOS[*]})"
