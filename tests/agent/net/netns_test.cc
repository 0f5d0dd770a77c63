// The network bring-up against the real kernel and a real DHCP server
// (dnsmasq), inside the namespace tests/agent/net/netns-dhcp.sh builds. Hidden
// ([.netns]): they change the interfaces and routes of the namespace they
// run in, so they run only there (CTest entry net_netns).
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "agent/net/bring_up.h"
#include "loader/network_record.h"
#include "util/fd.h"
#include "util/rtnetlink.h"

using namespace kdk;

namespace {

// Set by netns-dhcp.sh: without it these cases would reconfigure the
// host's own interfaces.
std::string work_dir() {
  const char* w = std::getenv("KDK_NETNS_WORK");
  if (!w) FAIL("run through tests/agent/net/netns-dhcp.sh (KDK_NETNS_WORK is not set)");
  return w;
}

int link_index(const std::string& name) {
  auto links = rtnl::list_links();
  REQUIRE(links);
  for (const auto& l : *links) {
    if (l.name == name) return l.index;
  }
  FAIL("no link " << name);
  return 0;
}

std::vector<std::string> addresses_of(const std::string& name) {
  int index = link_index(name);
  auto all = rtnl::list_addresses();
  REQUIRE(all);
  std::vector<std::string> out;
  for (const auto& a : *all) {
    if (a.index == index && a.scope == RT_SCOPE_UNIVERSE) out.push_back(a.prefix.cidr());
  }
  return out;
}

bool has_default_route(const std::string& name, const std::string& gateway) {
  int index = link_index(name);
  auto routes = rtnl::list_routes();
  REQUIRE(routes);
  return std::any_of(routes->begin(), routes->end(), [&](const rtnl::Route& r) {
    return r.destination.empty() && r.gateway == gateway && r.oif == index;
  });
}

}  // namespace

TEST_CASE("bring_up: DHCP from dnsmasq configures address, route and resolv.conf", "[.netns]") {
  net::Settings s;
  s.interface = "kdk-cli";
  s.dhcp = true;
  s.link_timeout = std::chrono::seconds(10);
  s.address_timeout = std::chrono::seconds(20);
  s.resolv_conf = work_dir() + "/resolv.conf";
  s.host_name = "crashed-host";
  auto state = net::bring_up(s, Clock::system());
  if (!state) FAIL(state.error().message);
  INFO(state->describe());
  WARN("DHCP bring-up: link " << state->link_ms << " ms, address " << state->address_ms
                              << " ms: " << state->describe());
  CHECK(state->interface == "kdk-cli");
  CHECK(state->mac == "02:00:00:00:77:02");
  REQUIRE(state->addresses.size() == 1);
  CHECK(state->addresses[0].rfind("10.77.0.", 0) == 0);
  CHECK(state->addresses[0].substr(state->addresses[0].size() - 3) == "/24");
  CHECK(state->gateways == std::vector<std::string>{"10.77.0.1"});
  CHECK(state->dns == std::vector<std::string>{"10.77.0.53", "10.77.0.54"});
  CHECK(state->how.rfind("dhcp from 10.77.0.1, lease 3600 s", 0) == 0);
  // What the kernel now has, read back independently of bring_up's report.
  CHECK(addresses_of("kdk-cli") == state->addresses);
  CHECK(has_default_route("kdk-cli", "10.77.0.1"));
  auto resolv = read_file(s.resolv_conf);
  REQUIRE(resolv);
  CHECK(resolv->find("nameserver 10.77.0.53\nnameserver 10.77.0.54\nsearch kdk.test\n") != std::string::npos);
  // The server agrees: it holds a lease for our MAC and host name.
  auto leases = read_file(work_dir() + "/leases");
  REQUIRE(leases);
  CHECK(leases->find("02:00:00:00:77:02") != std::string::npos);
  CHECK(leases->find("crashed-host") != std::string::npos);

  SECTION("load's record of the route to a host behind that gateway") {
    // Local stubs and scoped addresses mean nothing in the capture kernel.
    std::string resolv_conf = work_dir() + "/production-resolv.conf";
    REQUIRE(write_file(resolv_conf,
                       "nameserver 127.0.0.53\nnameserver fe80::1%kdk-cli\nnameserver 10.77.0.53\n"));
    auto rec = loader::record_network_for({"192.0.2.80:2049"}, resolv_conf);
    if (!rec) FAIL(rec.error().message);
    CHECK(rec->dns == std::vector<std::string>{"10.77.0.53"});
    CHECK(rec->interface == "kdk-cli");
    CHECK(rec->mac == "02:00:00:00:77:02");
    CHECK(rec->addresses == state->addresses);
    CHECK(rec->gateways == std::vector<std::string>{"10.77.0.1"});
    CHECK(rec->modules.empty());  // veth is a virtual device: no driver module
    REQUIRE(rec->routes.size() == 1);
    CHECK(rec->routes[0].second == "192.0.2.80 via 10.77.0.1 dev kdk-cli");
  }
}

TEST_CASE("bring_up: static IPv4 and IPv6 on the interface chosen by MAC", "[.netns]") {
  net::Settings s;
  s.interface = "02:00:00:00:78:02";
  s.dhcp = false;
  s.addresses = {"10.78.0.2/24", "fd00:78::2/64"};
  s.gateways = {"10.78.0.1", "fd00:78::1"};
  s.dns = {"10.78.0.53"};
  s.link_timeout = std::chrono::seconds(10);
  s.resolv_conf = work_dir() + "/resolv-static.conf";
  auto state = net::bring_up(s, Clock::system());
  if (!state) FAIL(state.error().message);
  CHECK(state->interface == "kdk-c2");
  CHECK(state->how == "static");
  auto have = addresses_of("kdk-c2");
  CHECK(std::find(have.begin(), have.end(), "10.78.0.2/24") != have.end());
  CHECK(std::find(have.begin(), have.end(), "fd00:78::2/64") != have.end());
  CHECK(has_default_route("kdk-c2", "10.78.0.1"));
  CHECK(has_default_route("kdk-c2", "fd00:78::1"));
  // IPv6 without duplicate address detection: usable at once.
  auto route = rtnl::route_to(*rtnl::parse_address("fd00:78::1"));
  REQUIRE(route);
  CHECK(route->source == "fd00:78::2");
  auto rec = loader::record_network_for({"[fd00:78::1]:443"}, "/nonexistent");
  REQUIRE(rec);
  CHECK(rec->interface == "kdk-c2");
  // On-link target: the interface's default routes, both families.
  CHECK(rec->gateways == std::vector<std::string>{"10.78.0.1", "fd00:78::1"});
}

TEST_CASE("bring_up: no DHCP answer falls back to the addresses load recorded", "[.netns]") {
  net::Settings s;
  s.recorded_mac = "02:00:00:00:79:02";
  s.recorded_addresses = {"10.79.0.2/24"};
  s.recorded_gateways = {"10.79.0.1"};
  s.recorded_dns = {"10.79.0.53"};
  s.link_timeout = std::chrono::seconds(10);
  s.address_timeout = std::chrono::seconds(3);
  s.resolv_conf = work_dir() + "/resolv-fallback.conf";
  auto state = net::bring_up(s, Clock::system());
  if (!state) FAIL(state.error().message);
  CHECK(state->interface == "kdk-c3");
  CHECK(state->how.rfind("static from the load record (dhcp on kdk-c3: no DHCPOFFER within 3 s", 0) == 0);
  CHECK(state->address_ms >= 3000);
  CHECK(addresses_of("kdk-c3") == std::vector<std::string>{"10.79.0.2/24"});
  CHECK(state->dns == std::vector<std::string>{"10.79.0.53"});
}

TEST_CASE("bring_up: an absent configured interface is named with what exists", "[.netns]") {
  work_dir();
  net::Settings s;
  s.interface = "eth9";
  s.link_timeout = std::chrono::seconds(1);
  auto state = net::bring_up(s, Clock::system());
  REQUIRE_FALSE(state);
  CHECK(state.error().message.find("network interface eth9 not found (present: ") == 0);
  CHECK(state.error().message.find("kdk-cli 02:00:00:00:77:02") != std::string::npos);
}

TEST_CASE("bring_up: an interface that appears late (asynchronous driver probe) is waited for", "[.netns]") {
  work_dir();
  REQUIRE(std::system("(sleep 0.5; ip link add kdk-late type veth peer name kdk-late-peer &&"
                      " ip link set kdk-late-peer up) &") == 0);
  net::Settings s;
  s.interface = "kdk-late";
  s.dhcp = false;
  s.addresses = {"10.80.0.2/24"};
  s.link_timeout = std::chrono::seconds(10);
  s.resolv_conf = "";
  auto state = net::bring_up(s, Clock::system());
  if (!state) FAIL(state.error().message);
  CHECK(state->interface == "kdk-late");
  CHECK(state->link_ms >= 500);
  CHECK(addresses_of("kdk-late") == std::vector<std::string>{"10.80.0.2/24"});
}
