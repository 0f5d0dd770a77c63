#include "agent/net/bring_up.h"

#include <linux/if.h>
#include <sys/random.h>

#include <algorithm>
#include <cstdio>

#include "agent/net/dhcp_client.h"
#include "agent/net/interface_choice.h"
#include "agent/net/resolv_conf.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/rtnetlink.h"

namespace kdk::net {

using std::chrono::milliseconds;

Settings Settings::from(const config::NetworkConfig& config, const config::LoadRecord& record) {
  Settings s;
  s.interface = config.interface;
  s.dhcp = config.dhcp;
  s.addresses = config.addresses;
  s.gateways = config.gateways;
  s.dns = config.dns;
  s.recorded_mac = record.net_mac;
  s.recorded_addresses = record.net_addresses;
  s.recorded_gateways = record.net_gateways;
  s.recorded_dns = record.net_dns;
  s.link_timeout = milliseconds(config.timeout_s * 1000LL);
  s.address_timeout = milliseconds(config.timeout_s * 1000LL);
  s.host_name = record.host;
  return s;
}

std::string NetworkState::describe() const {
  std::string s = interface + " " + mac;
  for (const auto& a : addresses) s += " " + a;
  for (const auto& g : gateways) s += " via " + g;
  if (!dns.empty()) {
    s += " dns";
    for (const auto& d : dns) s += " " + d;
  }
  return s + " (" + how + ")";
}

namespace {

// Chooses the interface and waits until it has a carrier, setting links up
// as they appear: a NIC whose driver probes asynchronously shows up after
// its module is loaded, so the choice is made again on every poll.
Result<rtnl::Link> wait_for_link(const Settings& settings, milliseconds timeout, const Clock& clock) {
  const milliseconds deadline = clock.now() + timeout;
  std::vector<int> raised;
  std::string said;
  for (;;) {
    auto links = rtnl::list_links();
    if (!links) return links.error();
    auto choice = choose_interface(*links, settings.interface, settings.recorded_mac);
    std::string waiting;
    if (choice) {
      if (choice->reason != said) log::info("network: using %s", choice->reason.c_str());
      said = choice->reason;
      for (const auto& l : *links) {
        if (l.loopback() || (choice->index && l.index != *choice->index)) continue;
        if (l.running()) return l;
        if (std::find(raised.begin(), raised.end(), l.index) == raised.end()) {
          if (auto s = rtnl::set_link_up(l.index); !s) return s.error().within(l.name);
          raised.push_back(l.index);
        }
        waiting += format("%s%s (flags 0x%x, operstate %u)", waiting.empty() ? "" : ", ", l.name.c_str(),
                          l.flags, l.operstate);
      }
    }
    if (clock.now() >= deadline) {
      // A configured interface that never appeared: the error says which exist.
      if (!choice) return choice.error();
      return Error{format("no link within %lld s on %s", static_cast<long long>(timeout.count() / 1000),
                          waiting.empty() ? "any interface" : waiting.c_str())};
    }
    clock.sleep(milliseconds(100));
  }
}

std::array<uint8_t, 6> mac_bytes(const std::string& mac) {
  std::array<uint8_t, 6> out{};
  for (size_t i = 0; i < 6 && i * 3 + 1 < mac.size(); ++i) {
    out[i] = static_cast<uint8_t>(std::stoul(mac.substr(i * 3, 2), nullptr, 16));
  }
  return out;
}

uint32_t random_xid(const Clock& clock) {
  uint32_t x = 0;
  if (::getrandom(&x, sizeof x, GRND_NONBLOCK) != sizeof x)
    x = static_cast<uint32_t>(clock.now().count() * 2654435761u);
  return x;
}

Status add_static(const rtnl::Link& link, const std::vector<std::string>& addresses,
                  const std::vector<std::string>& gateways, NetworkState& state) {
  for (const auto& text : addresses) {
    auto p = rtnl::parse_prefix(text);
    if (!p) return p.error().within("net_address");
    if (auto s = rtnl::add_address(link.index, *p); !s) return s.error().within(link.name);
    state.addresses.push_back(p->cidr());
  }
  for (const auto& text : gateways) {
    auto g = rtnl::parse_address(text);
    if (!g) return g.error().within("net_gateway");
    if (auto s = rtnl::add_default_route(link.index, *g); !s) return s.error().within(link.name);
    state.gateways.push_back(g->address());
  }
  return {};
}

Status configure_from_dhcp(const rtnl::Link& link, const Settings& settings, const Clock& clock,
                           NetworkState& state, std::string& domain) {
  auto transport = open_packet_transport(link.index);
  if (!transport) return transport.error();
  DhcpTiming timing;
  timing.timeout = settings.address_timeout;
  auto lease =
      obtain_lease(**transport, mac_bytes(link.mac), random_xid(clock), timing, clock, settings.host_name);
  if (!lease) return lease.error().within("dhcp on " + link.name);
  std::vector<std::string> gateways;
  if (!lease->routers.empty()) gateways.push_back(ipv4_text(lease->routers.front()));
  std::string cidr = ipv4_text(lease->address) + "/" + std::to_string(lease->prefix);
  if (auto s = add_static(link, {cidr}, gateways, state); !s) return s;
  for (Ipv4 d : lease->dns) state.dns.push_back(ipv4_text(d));
  domain = lease->domain;
  state.how = lease->describe();
  return {};
}

}  // namespace

Result<NetworkState> bring_up(const Settings& settings, const Clock& clock) {
  const milliseconds start = clock.now();
  auto links = rtnl::list_links();
  if (!links) return links.error();
  for (const auto& l : *links) {
    if (l.loopback() && !(l.flags & IFF_UP)) {
      if (auto s = rtnl::set_link_up(l.index); !s)
        log::warn("network: loopback: %s", s.error().message.c_str());
    }
  }
  auto link = wait_for_link(settings, settings.link_timeout, clock);
  if (!link) return link.error();
  NetworkState state;
  state.interface = link->name;
  state.mac = link->mac;
  state.link_ms = (clock.now() - start).count();
  log::info("network: %s (%s) has a link after %lld ms", link->name.c_str(), link->mac.c_str(),
            state.link_ms);

  const milliseconds address_start = clock.now();
  std::string domain;
  if (!settings.dhcp) {
    if (auto s = add_static(*link, settings.addresses, settings.gateways, state); !s) return s.error();
    state.how = "static";
  } else {
    auto s = configure_from_dhcp(*link, settings, clock, state, domain);
    if (!s) {
      if (settings.recorded_addresses.empty()) return s.error();
      // The production kernel's own addresses: the machine that held them is
      // the one that crashed, so nothing else uses them now.
      log::warn("network: %s; using the addresses recorded by load", s.error().message.c_str());
      state.addresses.clear();
      state.gateways.clear();
      state.dns.clear();
      if (auto st = add_static(*link, settings.recorded_addresses, settings.recorded_gateways, state); !st) {
        return st.error();
      }
      state.how = "static from the load record (" + s.error().message + ")";
    }
  }
  if (!settings.dns.empty()) {
    state.dns = settings.dns;
  } else if (state.dns.empty()) {
    state.dns = settings.recorded_dns;
  }
  if (!state.dns.empty() && !settings.resolv_conf.empty()) {
    if (auto s = write_file(settings.resolv_conf, render_resolv_conf(state.dns, domain)); !s)
      return s.error();
  }
  state.address_ms = (clock.now() - address_start).count();
  log::info("network: %s configured in %lld ms: %s", link->name.c_str(), state.address_ms,
            state.describe().c_str());
  return state;
}

}  // namespace kdk::net
