#!/bin/bash
# Records a real DHCP exchange for the unit tests: our client against
# dnsmasq 2.90 (Debian 12) on a veth pair in a network namespace, captured
# with tcpdump on the server's side, written as C++ byte arrays (the IPv4
# packets, Ethernet header removed) to tests/agent/net/dhcp_recorded.inc.
#   tests/agent/net/record-dhcp.sh build/host/tests/unit_tests
# Needs root, dnsmasq-base, tcpdump. Rerun only to refresh the recording.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/netns-dhcp.sh" "$1" "$work/dhcp.pcap" >/dev/null
server_version=$(dnsmasq --version | awk 'NR == 1 { print "dnsmasq " $3 }')
"$here/pcap_to_inc.py" "$work/dhcp.pcap" "$here/dhcp_recorded.inc" Dnsmasq \
  "A DHCP exchange recorded with tcpdump on a veth pair in a network namespace" \
  "(tests/agent/net/record-dhcp.sh): kdumpkit's client (MAC 02:00:00:00:77:02, host" \
  "name crashed-host) and $server_version (10.77.0.1, range 10.77.0.50-99/24," \
  "router 10.77.0.1, DNS 10.77.0.53 and .54, domain kdk.test, lease 1h)."
