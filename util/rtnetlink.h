// The small part of rtnetlink kdumpkit needs, without `ip`: list links and
// addresses, set a link up, add addresses and default routes, and ask the
// kernel which route reaches a host. Used by the capture kernel's network
// bring-up and by `load` when it records the route to a network target.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::rtnl {

struct Link {
  int index = 0;
  std::string name;
  std::string mac;        // "52:54:00:12:34:56", lower case; empty when none
  unsigned flags = 0;     // IFF_UP, IFF_RUNNING, IFF_LOOPBACK, ...
  uint8_t operstate = 0;  // IF_OPER_UP = 6
  bool loopback() const;
  // The link can carry traffic: administratively up and with a carrier.
  bool running() const;
};

// An address with its prefix length, family AF_INET or AF_INET6.
struct IpPrefix {
  int family = 0;
  uint8_t bytes[16] = {};
  int prefix = 0;

  std::string address() const;  // "192.0.2.10"
  std::string cidr() const;     // "192.0.2.10/24"
};

// "192.0.2.10/24", "2001:db8::10/64"; without "/n", the full length.
Result<IpPrefix> parse_prefix(const std::string& text);
// An address without a prefix ("192.0.2.1", "fe80::1").
Result<IpPrefix> parse_address(const std::string& text);

struct Address {
  int index = 0;  // link
  IpPrefix prefix;
  unsigned char scope = 0;  // RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254
};

struct Route {
  int family = 0;
  std::string destination;  // "" for a default route, else "10.0.0.0/8"
  std::string gateway;      // "" when directly connected
  std::string source;       // preferred source address (RTA_PREFSRC), when given
  int oif = 0;              // output link index
};

Result<std::vector<Link>> list_links();
Result<std::vector<Address>> list_addresses();
// Routes of the main table, both families.
Result<std::vector<Route>> list_routes();

Status set_link_up(int index);
// Adds an address; IPv6 addresses skip duplicate address detection so they
// are usable at once (the capture kernel cannot wait for DAD).
Status add_address(int index, const IpPrefix& address);
// A default route through `gateway` on link `index` (family from gateway).
Status add_default_route(int index, const IpPrefix& gateway);
// RTM_GETROUTE: the route the kernel would use to reach `destination`.
Result<Route> route_to(const IpPrefix& destination);

}  // namespace kdk::rtnl
