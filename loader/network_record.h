// What the capture kernel needs to reach the network targets, learned at
// `load` time as kdump-utils does: for each target host, the route the
// kernel uses to it (RTM_GETROUTE), the interface with its MAC, addresses
// and next hop, the resolvers of /etc/resolv.conf, and the NIC's driver
// modules from sysfs for the initramfs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/load_record.h"
#include "util/result.h"

namespace kdk::loader {

struct NetworkRecord {
  std::string interface;  // empty when every target is on this machine (loopback)
  std::string mac;
  std::vector<std::string> addresses;  // CIDR, global scope, IPv4 then IPv6 as the kernel lists them
  std::vector<std::string> gateways;   // next hops to the targets, else the interface's default routes
  std::vector<std::string> dns;        // from resolv.conf
  std::vector<std::string> modules;    // NIC driver modules (virtio_net, virtio_pci; e1000e; ...)
  std::vector<std::pair<std::string, std::string>> routes;  // host -> "10.0.0.5 via 10.0.0.1 dev eth0"

  // Copies the net_* fields into the load record.
  void apply_to(config::LoadRecord& record) const;
};

// The nameserver addresses of a resolv.conf, in order.
std::vector<std::string> parse_resolv_conf_servers(const std::string& text);

// "host", "host:port", "[2001:db8::1]:443" -> the host part.
std::string host_of(const std::string& host_port);

// `hosts` are target host names or addresses, with or without ":port".
// Fails when a host does not resolve, has no route, or when the hosts are
// reached through different interfaces (the capture kernel brings up one).
Result<NetworkRecord> record_network_for(const std::vector<std::string>& hosts,
                                         const std::string& resolv_conf = "/etc/resolv.conf",
                                         const std::string& sysfs_net = "/sys/class/net");

}  // namespace kdk::loader
