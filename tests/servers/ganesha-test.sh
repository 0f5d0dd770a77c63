#!/bin/bash
# tests/servers/ganesha.sh works: NFSv4 only on a loopback port, and NFSv3
# (with rpcbind and MOUNT) in a network namespace of its own. Each server
# must answer an RPC NULL call (rpcinfo). This host kernel has no NFS
# client, so the mount itself is tested in QEMU.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../tests/lib/skip.sh"
kdk_need_root
kdk_need_tools unshare ip rpcbind dpkg-deb apt-get python3
here=$(cd "$(dirname "$0")" && pwd)
if [ "${KDK_IN_NETNS:-}" != 1 ]; then
  work=$(mktemp -d)
  trap '"$here/ganesha.sh" stop "$work/v4" 2>/dev/null || true; rm -rf "$work"' EXIT
  mkdir -p "$work/export" "$work/v4"
  port=$((20000 + RANDOM % 10000))
  "$here/ganesha.sh" start "$work/v4" "$work/export" --port "$port" 2>/dev/null
  "$here/rpc_null.py" 127.0.0.1 "$port" 100003 4
  "$here/ganesha.sh" stop "$work/v4"
  echo "ganesha: NFSv4 on 127.0.0.1:$port answered"
  exec unshare --net --mount env KDK_IN_NETNS=1 "$0"
fi
work=$(mktemp -d)
trap '"$here/ganesha.sh" stop "$work/v3" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/export" "$work/v3"
mount --make-rprivate /
mount -t tmpfs tmpfs /run
ip link set lo up
# ganesha resolves its bind address with AI_ADDRCONFIG: some interface
# other than lo must have an address.
ip link add kdk-g0 type veth peer name kdk-g1
ip addr add 192.0.2.1/24 dev kdk-g0
ip link set kdk-g0 up
"$here/ganesha.sh" start "$work/v3" "$work/export" --v3 2>/dev/null
rpcinfo -t 127.0.0.1 nfs 3
rpcinfo -t 127.0.0.1 mountd 3
"$here/rpc_null.py" 127.0.0.1 20048 100005 3
echo "ganesha: NFSv3 and MOUNT v3 (port 20048) with rpcbind answered in a namespace"
