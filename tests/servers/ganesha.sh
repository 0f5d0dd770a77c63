#!/bin/bash
# An NFS server for tests: nfs-ganesha 4.3 from Debian, unpacked (never
# installed: its package would pull in and start rpcbind, dbus, nfs-common
# services), serving one directory.
#
#   ganesha.sh fetch                       unpack into the cache; prints the root
#   ganesha.sh start WORK DIR [options]    start; returns once it answers
#       --addr A       listen address (default 127.0.0.1)
#       --port N       NFS port (default 2049)
#       --pseudo P     the path clients mount (default /export)
#       --v3           NFSv3 as well (and MOUNT); starts rpcbind first, which
#                      binds every interface: run it in a network (and mount,
#                      for /run/rpcbind.sock) namespace of its own, e.g.
#                      `unshare --net --mount`, with lo up AND an address on
#                      some other interface (ganesha resolves Bind_addr with
#                      AI_ADDRCONFIG, which finds nothing when only lo has one)
#       --mnt-port N   MOUNT protocol port with --v3 (default 20048)
#   ganesha.sh stop WORK                   stop what start started there
#
# WORK holds ganesha.conf, ganesha.pid, ganesha.log (and rpcbind.pid).
# Root is needed (the VFS backend uses open_by_handle_at). The shared
# libraries come from Debian packages listed in tests/packages.txt.
# Facts: ganesha needs UseGetpwnam = true here (no idmapd); rpcbind exits
# silently without an _rpc user (the rpcbind package creates it).
set -euo pipefail

cache_root() { echo "${KDUMPKIT_CACHE:-$HOME/.cache/kdumpkit}/ganesha"; }
ganesha_version=4.3-2

fetch() {
  local root
  root="$(cache_root)/$ganesha_version"
  if [ ! -x "$root/usr/bin/ganesha.nfsd" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download "nfs-ganesha=$ganesha_version" "nfs-ganesha-vfs=$ganesha_version" >/dev/null)
    mkdir -p "$root.tmp"
    for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$root.tmp"; done
    rm -rf "$tmp" "$root"
    mv "$root.tmp" "$root"
  fi
  echo "$root"
}

# Waits for a TCP listener on ADDR:PORT (bash's /dev/tcp), up to 30 s,
# while process PID lives.
wait_port() {
  local addr=$1 port=$2 pid=$3
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start() {
  local work=$1 dir=$2
  shift 2
  local addr=127.0.0.1 port=2049 pseudo=/export v3=0 mnt_port=20048
  while [ $# -gt 0 ]; do
    case $1 in
      --addr) addr=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --pseudo) pseudo=$2; shift 2 ;;
      --mnt-port) mnt_port=$2; shift 2 ;;
      --v3) v3=1; shift ;;
      *) echo "ganesha.sh: unknown option $1" >&2; exit 2 ;;
    esac
  done
  local root protocols=4
  root=$(fetch)
  mkdir -p "$work/recovery"
  rm -f "$work/ganesha.log"
  work=$(realpath "$work")
  dir=$(realpath "$dir")
  if [ "$v3" = 1 ]; then
    protocols="3, 4"
    getent passwd _rpc >/dev/null || { echo "ganesha.sh: rpcbind needs an _rpc user (install rpcbind)" >&2; exit 1; }
    mkdir -p /run/rpcbind
    rpcbind -f -w &
    echo $! >"$work/rpcbind.pid"
    wait_port 127.0.0.1 111 $! || { echo "ganesha.sh: rpcbind did not start" >&2; exit 1; }
  fi
  cat >"$work/ganesha.conf" <<CONF
NFS_CORE_PARAM {
  Bind_addr = $addr;
  NFS_Port = $port;
  # A fixed MOUNT port, so a QEMU guestfwd rule can reach it.
  MNT_Port = $mnt_port;
  Protocols = $protocols;
  Plugins_Dir = "$root/usr/lib/x86_64-linux-gnu/ganesha";
  Enable_NLM = false;
  Enable_RQUOTA = false;
  # v3 clients mount the same path as v4 ones.
  Mount_Path_Pseudo = true;
}
NFSV4 {
  Graceless = true;
  UseGetpwnam = true;
  Allow_Numeric_Owners = true;
  Only_Numeric_Owners = true;
  RecoveryBackend = fs;
  RecoveryRoot = "$work/recovery";
}
EXPORT {
  Export_Id = 1;
  Path = "$dir";
  Pseudo = "$pseudo";
  Access_Type = RW;
  Squash = No_Root_Squash;
  Protocols = $protocols;
  Transports = TCP;
  SecType = sys;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
CONF
  LD_LIBRARY_PATH="$root/usr/lib/ganesha" "$root/usr/bin/ganesha.nfsd" -F \
    -f "$work/ganesha.conf" -L "$work/ganesha.log" -p "$work/ganesha.pid" -N NIV_EVENT &
  echo $! >"$work/ganesha.pid"
  if ! wait_port "$addr" "$port" $!; then
    echo "ganesha.sh: no NFS server on $addr:$port; its log:" >&2
    cat "$work/ganesha.log" >&2 || true
    stop "$work"
    exit 1
  fi
}

stop() {
  local work=$1 f pid
  for f in ganesha rpcbind; do
    [ -f "$work/$f.pid" ] || continue
    pid=$(cat "$work/$f.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$work/$f.pid"
  done
}

case ${1:-} in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
