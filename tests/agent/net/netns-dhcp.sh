#!/bin/bash
# The network bring-up for real, on the host: a network namespace of its
# own (and a mount namespace, so /sys shows its interfaces), veth pairs, and
# dnsmasq as the DHCP server. Runs the unit tests tagged [netns] there.
#   tests/agent/net/netns-dhcp.sh UNIT_TESTS [PCAP]
# With PCAP, the DHCP exchange is also captured there (tcpdump), which is
# how tests/agent/net/record-dhcp.sh records packets for the unit tests.
# Needs root, dnsmasq (dnsmasq-base) and, for PCAP, tcpdump.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../lib/skip.sh"
kdk_need_root
kdk_need_tools unshare ip dnsmasq
unit_tests=$(realpath "$1")
pcap=${2:+$(realpath -m "$2")}
if [ "${KDK_IN_NETNS:-}" != 1 ]; then
  exec unshare --net --mount env KDK_IN_NETNS=1 "$0" "$unit_tests" ${pcap:+"$pcap"}
fi
mount --make-rprivate /
mount -t sysfs sysfs /sys

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KDK_KEEP_WORK:-}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

ip link set lo up
# Pair 1: DHCP from dnsmasq. Pair 2: static addresses. Pair 3: a link with no
# DHCP server (the fallback to what load recorded). Fixed MACs so recorded
# packets are reproducible.
ip link add kdk-srv address 02:00:00:00:77:01 type veth peer name kdk-cli address 02:00:00:00:77:02
ip link add kdk-s2 type veth peer name kdk-c2 address 02:00:00:00:78:02
ip link add kdk-s3 type veth peer name kdk-c3 address 02:00:00:00:79:02
for l in kdk-srv kdk-s2 kdk-s3; do ip link set "$l" up; done
ip addr add 10.77.0.1/24 dev kdk-srv
ip addr add 10.78.0.1/24 dev kdk-s2
# No fd00:78::1 here: the kernel refuses a gateway that is a local address,
# and both ends of the pair live in this namespace.

dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --port=0 \
  --interface=kdk-srv --bind-interfaces \
  --dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h \
  --dhcp-option=option:router,10.77.0.1 \
  --dhcp-option=option:dns-server,10.77.0.53,10.77.0.54 \
  --dhcp-option=option:domain-name,kdk.test \
  --dhcp-leasefile="$work/leases" --pid-file="$work/dnsmasq.pid" \
  --log-dhcp --log-facility="$work/dnsmasq.log" &
pids+=($!)
if [ -n "$pcap" ]; then
  tcpdump -i kdk-srv -U -w "$pcap" 'udp port 67 or udp port 68' 2>"$work/tcpdump.log" &
  pids+=($!)
fi
# dnsmasq and tcpdump are listening once their files appear.
for _ in $(seq 50); do
  [ -s "$work/dnsmasq.pid" ] && { [ -z "$pcap" ] || grep -q listening "$work/tcpdump.log" 2>/dev/null; } && break
  sleep 0.1
done

status=0
KDK_NETNS_WORK="$work" "$unit_tests" '[netns]' || status=$?
if [ "$status" != 0 ]; then
  echo "--- dnsmasq log"; cat "$work/dnsmasq.log" || true
fi
[ -z "$pcap" ] || sleep 0.5
exit "$status"
