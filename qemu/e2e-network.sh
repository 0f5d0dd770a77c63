#!/usr/bin/env bash
# e2e-network.sh BINARY [SCENARIO...]: real crashes in QEMU that save the dump
# to network targets, served by real servers on the host's loopback only.
# The guest's NIC is QEMU user networking with restrict=on: it reaches
# nothing but explicit guestfwd rules, one per server, each relayed by socat
# to a 127.0.0.1 port:
#   10.0.2.100:80   nginx, HTTP (WebDAV PUT)     tests/servers/nginx.sh
#   10.0.2.100:443  nginx, HTTPS (test CA, client certificates)
#   10.0.2.101:2049 nfs-ganesha, NFSv4.1         tests/servers/ganesha.sh
#   10.0.2.102:9000 radosgw (SigV4 checked)      tests/servers/s3.sh
#   10.0.2.103:22   OpenSSH sshd (SFTP, commands) tests/servers/sshd.sh
# The first kernel gets a static address for `kdumpkit load` (which checks
# each target by writing to it, and records the route); the capture kernel
# brings the network up itself (DHCP from slirp, or static addresses).
# Scenarios (all by default):
#   http      plain HTTP with a bearer token (token_file), DHCP, lzo
#   https     mutual TLS + token-free upload to nginx, DHCP; the capture
#             kernel's clock is set to 2001 first (kdumpkit_test.clock), so
#             the certificate only verifies because the clock is put back
#             from CRASHTIME; vmcore.flat reassembled and read by libkdumpfile
#   s3        the first target (HTTP on a port nobody serves) is down: the
#             dump goes to S3 as a multipart upload (5 MiB parts), static
#             address; metadata.json says why the first target failed
#   nfs       NFSv4.1 to ganesha, written like a disk (atomic renames)
#   sftp      SFTP to sshd with an Ed25519 key, the host key checked against
#             known_hosts, DHCP: vmcore.flat rebuilt by makedumpfile -R and
#             read by libkdumpfile, no -incomplete file left, files 0600
#   ssh       kdump-utils' command mode (cat > vmcore-incomplete, mv to
#             vmcore.flat) with an RSA key (rsa-sha2-256), static address;
#             checked as sftp
# Exit 0 = all passed; failed runs keep their work dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/lib/skip.sh"
kdk_need_tools qemu-system-x86_64 socat mkfs.ext4 cpio nginx openssl radosgw ceph-mon ceph-osd rpcbind dpkg-deb python3 \
  /usr/sbin/sshd ssh-keygen setpriv makedumpfile
[ $# -ge 1 ] || kdk_die "usage: $0 BINARY [http|https|s3|nfs|sftp|ssh]..."
exec 2>&1
BIN=$(readlink -f "$1")
shift
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(http https s3 nfs sftp ssh)
SERVERS=$KDK_QEMU_DIR/../tests/servers
kdk_require_tools qemu-system-x86_64 socat mkfs.ext4 cpio timeout nginx openssl node || exit 1
kdk_fetch_guest || exit 1

SRV=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-netsrv.XXXX")
cleanup() {
  "$SERVERS/nginx.sh" stop "$SRV/nginx" >/dev/null 2>&1 || true
  "$SERVERS/s3.sh" stop "$SRV/s3" >/dev/null 2>&1 || true
  "$SERVERS/ganesha.sh" stop "$SRV/nfs" >/dev/null 2>&1 || true
  "$SERVERS/sshd.sh" stop "$SRV/sshd" >/dev/null 2>&1 || true
  [ "${KDUMPKIT_KEEP:-0}" = 1 ] || rm -rf "$SRV"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Servers: started once, shared by the scenarios.
start_servers() {
  mkdir -p "$SRV/nginx" "$SRV/s3" "$SRV/nfs" "$SRV/export/crash"
  KDK_NGINX_SAN="IP:10.0.2.100" "$SERVERS/nginx.sh" start "$SRV/nginx" >"$SRV/nginx.env" || return 1
  . "$SRV/nginx.env"
  "$SERVERS/s3.sh" start "$SRV/s3" "$(free_port)" >/dev/null || return 1
  . "$SRV/s3/s3.env"
  NFS_PORT=$(free_port)
  "$SERVERS/ganesha.sh" start "$SRV/nfs" "$SRV/export" --port "$NFS_PORT" >/dev/null || return 1
  chmod 0755 "$SRV" # sshd runs as an unprivileged user, under $SRV/sshd
  "$SERVERS/sshd.sh" start "$SRV/sshd" >"$SRV/sshd.env" || return 1
  . "$SRV/sshd.env"
  # The guest reaches sshd as 10.0.2.103, port 22.
  local t pub
  for t in ED25519 ECDSA; do
    pub=KDK_SSHD_HOST_${t}_PUB
    printf '10.0.2.103 %s\n' "$(cut -d' ' -f1,2 "${!pub}")"
  done >"$SRV/guest_known_hosts"
}

# The guestfwd rules. QEMU splits KDK_QEMU_EXTRA on white space, so each
# relay is a one-word script.
netdev_args() {
  local rules="" spec guest port f
  for spec in "10.0.2.100:80=${KDK_NGINX_HTTP##*:}" "10.0.2.100:443=${KDK_NGINX_HTTPS##*:}" \
    "10.0.2.101:2049=$NFS_PORT" "10.0.2.102:9000=$S3_PORT" "10.0.2.103:22=$KDK_SSHD_PORT"; do
    guest=${spec%%=*}
    port=${spec#*=}
    f=$SRV/fwd-$port
    printf '#!/bin/sh\nexec socat - TCP:127.0.0.1:%s\n' "$port" >"$f" && chmod 0755 "$f"
    rules+=",guestfwd=tcp:$guest-cmd:$f"
  done
  echo "-netdev user,id=n0,restrict=on$rules -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"
}

# prepare NAME CONFIG-LINES...: the first initramfs with the configuration,
# the test PKI and credentials (root-only, where the configuration names
# them), and a pre-init that gives the first kernel its address; sets W.
prepare() {
  local name=$1
  shift
  W=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-net-$name.XXXX")
  mkdir -p "$W/overlay/etc/kdumpkit" "$W/overlay/etc/kdk"
  printf '%s\n' "$@" >"$W/overlay/etc/kdumpkit.conf"
  install -m 0600 "$KDK_NGINX_CA" "$W/overlay/etc/kdumpkit/ca.pem"
  install -m 0600 "$KDK_NGINX_CLIENT_CERT" "$W/overlay/etc/kdumpkit/client.pem"
  install -m 0600 "$KDK_NGINX_CLIENT_KEY" "$W/overlay/etc/kdumpkit/client.key"
  install -m 0600 "$S3_CREDENTIALS" "$W/overlay/etc/kdumpkit/s3"
  install -m 0600 "$KDK_NGINX_TOKEN_FILE" "$W/overlay/etc/kdumpkit/token"
  install -m 0600 "$KDK_SSHD_ID_ED25519" "$W/overlay/etc/kdumpkit/id_ed25519"
  install -m 0600 "$KDK_SSHD_ID_RSA" "$W/overlay/etc/kdumpkit/id_rsa"
  install -m 0600 "$SRV/guest_known_hosts" "$W/overlay/etc/kdumpkit/known_hosts"
  echo "${LOAD_ARGS:-}" >"$W/overlay/etc/kdk/load-args"
  cat >"$W/pre-init" <<'SH'
modprobe virtio_pci; modprobe virtio_net
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up && ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
  echo "KDK-GUEST: network set-up failed"
SH
  kdk_wrap_init "$W/overlay" "$W/pre-init" && kdk_build_first_initramfs "$BIN" "$W/first.cpio" "$W/overlay" &&
    kdk_make_disks "$W"
}

# Scenario helpers (boot, console, has, result) are kdk_scenario_* in lib.sh.
boot() { QEMU_EXTRA=$(netdev_args) kdk_scenario_boot; }
console() { kdk_scenario_console; }
has() { kdk_scenario_has "$1"; }
result() { kdk_scenario_result "$@"; }
FAILED=()

# check_upload DIR DUMPNAME [JSON-CHECKS]: the crash directory as uploaded:
# every file metadata.json lists has that size and sha256, the dump is
# complete, the log has the crash; then the dump is rebuilt (vmcore.flat)
# and read by libkdumpfile. Extra python expressions on `m` must hold.
check_upload() {
  local dir=$1 dump=$2 extra=${3:-True} problems
  [ -d "$dir" ] || {
    kdk_err "no crash directory uploaded"
    return 1
  }
  problems=$(/usr/bin/python3 - "$dir" "$dump" "$extra" <<'PY'
import hashlib, json, os, sys
d, dump, extra = sys.argv[1:4]
bad = []
try:
    m = json.load(open(os.path.join(d, "metadata.json")))
except Exception as e:
    print("metadata.json: %s" % e); sys.exit(0)
if m.get("complete") is not True:
    bad.append("complete is %r (%s)" % (m.get("complete"), m.get("incomplete_reason")))
names = {f["name"]: f for f in m.get("files", [])}
for name in (dump, "vmcore-dmesg.txt"):
    if name not in names:
        bad.append("metadata.json lists no " + name)
for name, f in names.items():
    p = os.path.join(d, name)
    if not os.path.exists(p):
        bad.append("%s listed but absent" % name); continue
    data = open(p, "rb").read()
    if len(data) != f["size"] or hashlib.sha256(data).hexdigest() != f["sha256"]:
        bad.append("%s: size/sha256 differ from metadata.json" % name)
if "sysrq: Trigger a crash" not in open(os.path.join(d, "vmcore-dmesg.txt")).read():
    bad.append("vmcore-dmesg.txt has no sysrq line")
try:
    if not eval(extra, {"m": m}):
        bad.append("metadata check failed: " + extra)
except Exception as e:
    bad.append("metadata check %s: %s" % (extra, e))
print("; ".join(bad))
PY
  )
  if [ -n "$problems" ]; then
    kdk_err "$dir: $problems"
    return 1
  fi
  local vmcore=$dir/$dump
  if [ "$dump" = vmcore.flat ]; then
    "$BIN" reassemble "$dir/vmcore.flat" "$W/vmcore" || {
      kdk_err "kdumpkit reassemble failed on vmcore.flat"
      return 1
    }
    vmcore=$W/vmcore
  fi
  kdk_check_dmesg "$vmcore" "$W/dmesg.txt"
}

newest_dir() { find "$1" -mindepth 1 -maxdepth 1 -type d -name "$KDK_GUEST_HOSTNAME-*" 2>/dev/null | sort | tail -n 1; }

scenario_http() {
  local e=0 dir
  prepare http "target = http://10.0.2.100/token/crash token_file=/etc/kdumpkit/token plain_http_credentials=yes" "compression = lzo" || return 1
  APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  dir=$(newest_dir "$KDK_NGINX_ROOT/token/crash")
  check_upload "$dir" vmcore.flat '"dhcp" in m.get("network", "") and m["dump"]["compression"] == "lzo"' || e=1
  if grep -q -F "$(cat "$KDK_NGINX_TOKEN_FILE")" <<<"$(console)"; then
    kdk_err "the token appears on the console"
    e=1
  fi
  result http $e
}

scenario_https() {
  local e=0 dir
  prepare https "target = https://10.0.2.100/mtls/crash ca=/etc/kdumpkit/ca.pem client_cert=/etc/kdumpkit/client.pem client_key=/etc/kdumpkit/client.key" || return 1
  APPEND="kdumpkit_test.clock=1000000000" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  has "kdumpkit: network: eth0 52:54:00:12:34:56" || { kdk_err "no network line for eth0 in the capture kernel"; e=1; }
  dir=$(newest_dir "$KDK_NGINX_ROOT/mtls/crash")
  check_upload "$dir" vmcore.flat '"dhcp" in m.get("network", "") and "set to the crash time" in m.get("clock", "")' || e=1
  result https $e
}

scenario_s3() {
  local e=0 dir
  # The first target is checked at load and found down: --force arms anyway,
  # as a fleet would when its primary server is briefly away.
  LOAD_ARGS=--force prepare s3 \
    "target = http://10.0.2.100:8080/dav/crash" \
    "target = s3://$S3_BUCKET/fleet endpoint=http://10.0.2.102:9000 credentials_file=/etc/kdumpkit/s3 part_size=5" \
    "net_address = 10.0.2.15/24" "retries = 2" || return 1
  APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  local crash
  crash=$("$SERVERS/s3.sh" keys "$SRV/s3" "fleet/$KDK_GUEST_HOSTNAME-" | cut -d/ -f2 | sort -u | tail -n 1)
  if [ -z "$crash" ]; then
    kdk_err "no crash directory in the bucket"
    e=1
  else
    # Rebuild the crash directory from the objects under its prefix.
    dir=$W/s3-crash
    mkdir -p "$dir"
    local key
    for key in $("$SERVERS/s3.sh" keys "$SRV/s3" "fleet/$crash/"); do
      "$SERVERS/s3.sh" get "$SRV/s3" "$key" "$dir/${key#"fleet/$crash/"}" || e=1
    done
    check_upload "$dir" vmcore.flat \
      'm["targets"][0]["result"] == "failed" and "10.0.2.100:8080" in m["targets"][0]["detail"] and m["network"].find("static") >= 0' || e=1
  fi
  has "s3: multipart upload of fleet/" || { kdk_err "the console shows no multipart upload"; e=1; }
  result s3 $e
}

scenario_nfs() {
  local e=0 dir
  prepare nfs "target = nfs://10.0.2.101/export/crash vers=4.1" || return 1
  APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  dir=$(newest_dir "$SRV/export/crash")
  check_upload "$dir" vmcore '"dhcp" in m.get("network", "")' || e=1
  if [ -n "$dir" ] && grep -q incomplete <<<"$(ls "$dir")"; then
    kdk_err "an -incomplete file was left on the export: $(ls "$dir")"
    e=1
  fi
  result nfs $e
}

# check_ssh_upload DIR: what an SSH target leaves, beyond check_upload: no
# -incomplete file, every file root-only (0600, as kdump-utils writes them),
# and makedumpfile -R rebuilds from vmcore.flat the same file as kdumpkit
# reassemble, which libkdumpfile read in check_upload.
check_ssh_upload() {
  local dir=$1 e=0 f
  [ -n "$dir" ] && [ -d "$dir" ] || return 1
  if grep -q incomplete <<<"$(ls "$dir")"; then
    kdk_err "an -incomplete file was left on the server: $(ls "$dir")"
    e=1
  fi
  for f in "$dir"/*; do
    [ "$(stat -c %a "$f")" = 600 ] || { kdk_err "$f has mode $(stat -c %a "$f")"; e=1; }
  done
  if makedumpfile -R "$W/vmcore.R" <"$dir/vmcore.flat" >"$W/makedumpfile-R.log" 2>&1; then
    cmp -s "$W/vmcore.R" "$W/vmcore" || { kdk_err "makedumpfile -R and kdumpkit reassemble differ"; e=1; }
  else
    kdk_err "makedumpfile -R failed: $(tail -n 2 "$W/makedumpfile-R.log")"
    e=1
  fi
  return $e
}

scenario_sftp() {
  local e=0 dir
  prepare sftp "target = sftp://$KDK_SSHD_USER@10.0.2.103$KDK_SSHD_DATA/sftp identity=/etc/kdumpkit/id_ed25519 known_hosts=/etc/kdumpkit/known_hosts" || return 1
  APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  dir=$(newest_dir "$KDK_SSHD_DATA/sftp")
  check_upload "$dir" vmcore.flat '"dhcp" in m.get("network", "") and m["targets"][0]["target"].startswith("sftp://") and m["targets"][0]["result"] == "complete"' || e=1
  check_ssh_upload "$dir" || e=1
  result sftp $e
}

scenario_ssh() {
  local e=0 dir
  prepare ssh "target = ssh://$KDK_SSHD_USER@10.0.2.103$KDK_SSHD_DATA/ssh identity=/etc/kdumpkit/id_rsa known_hosts=/etc/kdumpkit/known_hosts" \
    "net_address = 10.0.2.15/24" || return 1
  APPEND="" boot || e=1
  kdk_check_console "$W/console.log" || e=1
  dir=$(newest_dir "$KDK_SSHD_DATA/ssh")
  check_upload "$dir" vmcore.flat 'm["network"].find("static") >= 0 and m["targets"][0]["target"].startswith("ssh://") and m["targets"][0]["result"] == "complete"' || e=1
  check_ssh_upload "$dir" || e=1
  grep -q "Accepted publickey for $KDK_SSHD_USER .* ssh2: RSA" "$KDK_SSHD_LOG" || { kdk_err "sshd never accepted the RSA key"; e=1; }
  result ssh $e
}

start_servers || kdk_die "starting the test servers failed (see $SRV)"
for s in "${SCENARIOS[@]}"; do
  declare -F "scenario_$s" >/dev/null || kdk_die "unknown scenario '$s'"
  kdk_say "scenario $s"
  "scenario_$s" || FAILED+=("$s")
done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "FAILED: ${FAILED[*]}"
  exit 1
fi
echo "all network scenarios passed: ${SCENARIOS[*]}"
