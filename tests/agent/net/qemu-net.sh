#!/bin/bash
# The network bring-up and the NFS target in a real guest, before the
# capture sequence calls them: QEMU boots the Debian kernel of the harness
# with kdk_netprobe (tests/agent/net/netprobe_main.cc, static musl) as the work of
# its /init. The guest gets its address from QEMU's DHCP server (user
# networking, restrict=on: it reaches only the guestfwd ports), then mounts
# an nfs-ganesha export (tests/servers/ganesha.sh) with NFSv4.1 and NFSv3,
# writes a crash directory in each, and runs load's write check. Everything
# runs in a network namespace of its own (rpcbind binds every interface).
#   tests/agent/net/qemu-net.sh build/product/kdk_netprobe
# KDK_RECORD_SLIRP=FILE.inc also writes the DHCP exchange with QEMU's slirp
# server as C++ arrays (tests/agent/net/dhcp_slirp.inc). ~1 min under TCG.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../../qemu/lib.sh
. "$here/../../../qemu/lib.sh"
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../lib/skip.sh"
kdk_need_tools qemu-system-x86_64 cpio socat rpcbind dpkg-deb unshare
kdk_need_root
[ $# -eq 1 ] || kdk_die "usage: $0 KDK_NETPROBE"
probe=$(readlink -f "$1")
[ -x "$probe" ] || kdk_die "no probe binary at $1 (cmake --build build/product --target kdk_netprobe)"

if [ "${KDK_IN_NETNS:-}" != 1 ]; then
  # Downloads first, while the network is there.
  kdk_fetch_guest >/dev/null
  "$here/../../servers/ganesha.sh" fetch >/dev/null
  exec unshare --net --mount env KDK_IN_NETNS=1 "$0" "$probe"
fi

mount --make-rprivate /
mount -t tmpfs tmpfs /run
ip link set lo up
# ganesha resolves its bind address with AI_ADDRCONFIG: give some
# non-loopback interface an address.
ip link add kdk-q0 type veth peer name kdk-q1
ip addr add 192.0.2.1/24 dev kdk-q0
ip link set kdk-q0 up

kdk_fetch_guest >/dev/null
w=$(mktemp -d "${KDUMPKIT_WORK:-/tmp}/kdumpkit-net.XXXX")
ok=0
cleanup() {
  "$here/../../servers/ganesha.sh" stop "$w/ganesha" || true
  if [ $ok = 1 ] && [ "${KDUMPKIT_KEEP:-0}" != 1 ]; then rm -rf "$w"; else echo "kept $w"; fi
}
trap cleanup EXIT
mkdir -p "$w/export" "$w/ganesha" "$w/overlay/etc/kdk" "$w/overlay/usr/sbin"
"$here/../../servers/ganesha.sh" start "$w/ganesha" "$w/export" --v3 --pseudo /export

# The guest's /init: the harness's first initramfs (busybox, modules with
# nfs, nfsv4, nfsv3) with this script instead of guest-init.sh.
cat >"$w/overlay/init" <<'EOF'
#!/bin/sh
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "KDK-NET: guest up, kernel $(uname -r)"
for m in virtio_pci virtio_net nfsv4 nfsv3; do modprobe "$m" || echo "KDK-NET: FAIL modprobe $m"; done
. /etc/kdk/net-run
echo "KDK-NET: probe exited $?"
sync
poweroff -f
EOF
chmod 755 "$w/overlay/init"
install -m 0755 "$probe" "$w/overlay/usr/sbin/kdk_netprobe"
# v3 through slirp: each guestfwd rule is one port, so the ports are given
# and the client does not ask rpcbind.
cat >"$w/overlay/etc/kdk/net-run" <<'EOF'
kdk_netprobe 'nfs://10.0.2.100/export vers=4.1' \
  'nfs://10.0.2.100/export vers=3 options=port=2049,mountport=20048' \
  '!nfs://10.0.2.100/export/missing vers=4.1' \
  '!nfs://10.0.2.100:2051/export vers=4.1'
EOF
kdk_build_first_initramfs "$probe" "$w/first.cpio" "$w/overlay"
truncate -s 1M "$w/vda.img" "$w/vdb.img"

fwd=""
for port in 2049 20048; do fwd+=",guestfwd=tcp:10.0.2.100:$port-tcp:127.0.0.1:$port"; done
export KDK_QEMU_EXTRA="-netdev user,id=n0,restrict=on$fwd -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 -object filter-dump,id=d0,netdev=n0,file=$w/net.pcap"
export KDUMPKIT_QEMU_TIMEOUT=${KDUMPKIT_QEMU_TIMEOUT:-300}
start=$(date +%s)
kdk_boot "$w" "$w/first.cpio" || true
echo "qemu-net: guest ran $(($(date +%s) - start)) s"
grep 'KDK-NET\|kdumpkit:' "$w/console.log" | sed 's/^/    | /'

fail=0
check() { grep -q "$1" "$w/console.log" || { kdk_err "$2"; fail=1; }; }
# With restrict=on, slirp's DHCP server gives neither router nor DNS server:
# the targets are on its /24.
check 'KDK-NET: network eth0 52:54:00:12:34:56 10.0.2.15/24 (dhcp from 10.0.2.2, lease 86400 s)' \
  "no DHCP lease from slirp"
check 'KDK-NET: nfs ok 10.0.2.100:/export nfs4 ' "the NFSv4.1 mount did not work"
check 'KDK-NET: nfs ok 10.0.2.100:/export nfs ' "the NFSv3 mount did not work"
check 'KDK-NET: probe exited 0' "the probe failed"
check 'KDK-NET: refused in [0-9]* ms: mount 10.0.2.100:/export/missing (nfs4) on /run/kdk-netprobe-bad: No such file or directory' \
  "a missing export was not refused at once"
# A port nobody listens on: refused, retried after 1, 2, 4 s, given up
# within the probe's 8 s mount timeout.
check 'nfs: mount 10.0.2.100:/export (nfs4) on /run/kdk-netprobe-bad: Connection refused; retrying in 4000 ms' \
  "an unreachable server was not retried with backoff"
check 'KDK-NET: refused in [0-9]* ms: mount 10.0.2.100:/export (nfs4) on /run/kdk-netprobe-bad: Connection refused' \
  "an unreachable server was not given up"
if grep -q FAIL "$w/console.log"; then kdk_err "$(grep FAIL "$w/console.log")"; fail=1; fi
# What the server holds: one committed file per version, no leftovers.
[ "$(cat "$w/export/kdk-guest-probe/probe.txt" 2>/dev/null)" = "written by kdk_netprobe over nfs4 4.1" ] ||
  { kdk_err "no NFSv4.1 probe file on the server"; fail=1; }
[ "$(cat "$w/export/kdk-guest-probe-1/probe.txt" 2>/dev/null)" = "written by kdk_netprobe over nfs 3" ] ||
  { kdk_err "no NFSv3 probe file on the server"; fail=1; }
leftovers=$(find "$w/export" -name '*.incomplete' -o -name '.kdumpkit-probe-*')
[ -z "$leftovers" ] || { kdk_err "left on the server: $leftovers"; fail=1; }

if [ -n "${KDK_RECORD_SLIRP:-}" ]; then
  qemu_version=$(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }')
  "$here/pcap_to_inc.py" "$w/net.pcap" "$KDK_RECORD_SLIRP" Slirp \
    "A DHCP exchange recorded with QEMU's filter-dump (tests/agent/net/qemu-net.sh):" \
    "kdumpkit's client in a guest (MAC 52:54:00:12:34:56, host name kdk-guest)" \
    "and the DHCP server of QEMU $qemu_version's user networking (slirp, 10.0.2.2)" \
    "with restrict=on, under which it sends neither router nor DNS options."
fi
[ $fail = 0 ] || { echo "qemu-net: FAILED"; exit 1; }
ok=1
echo "qemu-net: PASSED"
