// Network bring-up in the capture kernel, with no external tools: loopback
// up, the interface chosen (agent/net/interface_choice.h), its link up and a
// carrier awaited, addresses from the configuration or our DHCP client,
// default routes, and /etc/resolv.conf for musl's resolver.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/load_record.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::net {

struct Settings {
  std::string interface;  // configured name or MAC; empty: the recorded MAC, else the first with a link
  bool dhcp = true;
  std::vector<std::string> addresses;  // static, CIDR
  std::vector<std::string> gateways;
  std::vector<std::string> dns;  // configured resolvers (win over DHCP's)
  // What `load` recorded: the MAC chooses the interface; the addresses and
  // gateways are the fallback when DHCP gets no answer; the DNS servers are
  // used when neither the configuration nor DHCP gives any.
  std::string recorded_mac;
  std::vector<std::string> recorded_addresses;
  std::vector<std::string> recorded_gateways;
  std::vector<std::string> recorded_dns;
  std::chrono::milliseconds link_timeout{30000};
  std::chrono::milliseconds address_timeout{30000};  // the DHCP exchange
  std::string host_name;                             // sent to the DHCP server (option 12)
  std::string resolv_conf = "/etc/resolv.conf";

  static Settings from(const config::NetworkConfig& config, const config::LoadRecord& record);
};

struct NetworkState {
  std::string interface;
  std::string mac;
  std::vector<std::string> addresses;  // CIDR
  std::vector<std::string> gateways;
  std::vector<std::string> dns;
  std::string how;  // "dhcp from 10.0.2.2, lease 86400 s", "static", "static from the load record (...)"
  long long link_ms = 0;     // until the carrier was seen
  long long address_ms = 0;  // addresses, routes and resolv.conf
  // "eth0 52:54:00:12:34:56 10.0.2.15/24 via 10.0.2.2 dns 10.0.2.3 (dhcp from 10.0.2.2, lease 86400 s)"
  std::string describe() const;
};

Result<NetworkState> bring_up(const Settings& settings, const Clock& clock);

}  // namespace kdk::net
