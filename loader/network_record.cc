#include "loader/network_record.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "targets/block_devices.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/rtnetlink.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (!item.empty() && std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

Result<rtnl::IpPrefix> resolve(const std::string& host) {
  if (auto literal = rtnl::parse_address(host)) return literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Error{"resolve " + host + ": " + gai_strerror(rc)};
  rtnl::IpPrefix out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      out.family = AF_INET;
      out.prefix = 32;
      std::memcpy(out.bytes, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
      break;
    }
    if (ai->ai_family == AF_INET6 && out.family == 0) {
      out.family = AF_INET6;
      out.prefix = 128;
      std::memcpy(out.bytes, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
    }
  }
  ::freeaddrinfo(res);
  // IPv4 first: the capture kernel's DHCP client is IPv4 only.
  if (out.family == 0) return Error{"resolve " + host + ": no IPv4 or IPv6 address"};
  return out;
}

}  // namespace

std::vector<std::string> parse_resolv_conf_servers(const std::string& text) {
  std::vector<std::string> out;
  for (auto line : lines(text)) {
    auto words = split_words(line);
    if (words.size() >= 2 && words[0] == "nameserver") out.push_back(words[1]);
  }
  return out;
}

void NetworkRecord::apply_to(config::LoadRecord& record) const {
  record.net_interface = interface;
  record.net_mac = mac;
  record.net_addresses = addresses;
  record.net_gateways = gateways;
  record.net_dns = dns;
}

std::string host_of(const std::string& host_port) {
  if (!host_port.empty() && host_port[0] == '[') {
    size_t close = host_port.find(']');
    return close == std::string::npos ? host_port : host_port.substr(1, close - 1);
  }
  // One ':' is a port; more is a bare IPv6 address.
  size_t colon = host_port.find(':');
  if (colon != std::string::npos && host_port.find(':', colon + 1) == std::string::npos) {
    return host_port.substr(0, colon);
  }
  return host_port;
}

Result<NetworkRecord> record_network_for(const std::vector<std::string>& hosts,
                                         const std::string& resolv_conf, const std::string& sysfs_net) {
  NetworkRecord rec;
  auto links = rtnl::list_links();
  if (!links) return links.error();
  int oif = 0;
  std::string first_host;
  for (const auto& hp : hosts) {
    std::string host = host_of(hp);
    auto addr = resolve(host);
    if (!addr) return addr.error();
    auto route = rtnl::route_to(*addr);
    if (!route) return route.error().within(host);
    auto link = std::find_if(links->begin(), links->end(),
                             [&](const rtnl::Link& l) { return l.index == route->oif; });
    if (link == links->end())
      return Error{format("%s: route through unknown link %d", host.c_str(), route->oif)};
    rec.routes.emplace_back(host, addr->address() + (route->gateway.empty() ? "" : " via " + route->gateway) +
                                      " dev " + link->name);
    // A target on this machine (tests, a local server) needs no interface.
    if (link->loopback()) continue;
    if (oif != 0 && oif != route->oif) {
      return Error{
          format("the network targets are reached through different interfaces (%s for %s, %s for %s); "
                 "the capture kernel brings up one: set net_interface",
                 rec.interface.c_str(), first_host.c_str(), link->name.c_str(), host.c_str())};
    }
    oif = route->oif;
    first_host = host;
    rec.interface = link->name;
    rec.mac = link->mac;
    add_unique(rec.gateways, route->gateway);
  }
  if (oif == 0) return rec;
  auto addresses = rtnl::list_addresses();
  if (!addresses) return addresses.error();
  for (const auto& a : *addresses) {
    if (a.index == oif && a.scope == 0) add_unique(rec.addresses, a.prefix.cidr());
  }
  if (rec.gateways.empty()) {
    // Targets on the local network: keep the interface's default routes so
    // a static fallback in the capture kernel still reaches other hosts.
    auto routes = rtnl::list_routes();
    if (!routes) return routes.error();
    for (const auto& r : *routes) {
      if (r.oif == oif && r.destination.empty() && !r.gateway.empty()) add_unique(rec.gateways, r.gateway);
    }
  }
  if (auto text = read_file(resolv_conf)) {
    for (const auto& s : parse_resolv_conf_servers(*text)) {
      // 127.0.0.53 and friends are local stub resolvers that will not run
      // in the capture kernel.
      if (s.rfind("127.", 0) == 0 || s == "::1") continue;
      // A scoped address (fe80::1%eth0) names an interface of this kernel;
      // the load record keeps plain addresses only.
      if (!rtnl::parse_address(s)) continue;
      add_unique(rec.dns, s);
    }
  }
  rec.modules = targets::driver_modules(rec.interface, sysfs_net);
  return rec;
}

}  // namespace kdk::loader
