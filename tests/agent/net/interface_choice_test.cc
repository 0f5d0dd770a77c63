#include "agent/net/interface_choice.h"

#include <linux/if.h>

#include <catch2/catch.hpp>

#include "agent/net/resolv_conf.h"

using namespace kdk;
using namespace kdk::net;

namespace {

std::vector<rtnl::Link> links() {
  rtnl::Link lo;
  lo.index = 1;
  lo.name = "lo";
  lo.flags = IFF_LOOPBACK | IFF_UP;
  rtnl::Link a;
  a.index = 2;
  a.name = "ens3";
  a.mac = "52:54:00:12:34:56";
  rtnl::Link b;
  b.index = 3;
  b.name = "ens4";
  b.mac = "52:54:00:ab:cd:ef";
  return {lo, a, b};
}

}  // namespace

TEST_CASE("interface choice: configured name or MAC, recorded MAC, else the first with a link", "[net]") {
  CHECK(choose_interface(links(), "ens4", "")->index == 3);
  CHECK(choose_interface(links(), "52:54:00:AB:CD:EF", "")->index == 3);
  CHECK(choose_interface(links(), "52-54-00-12-34-56", "52:54:00:ab:cd:ef")->index == 2);
  auto recorded = choose_interface(links(), "", "52:54:00:ab:cd:ef");
  CHECK(recorded->index == 3);
  CHECK(recorded->reason == "ens4, MAC 52:54:00:ab:cd:ef recorded by load");
  auto gone = choose_interface(links(), "", "52:54:00:00:00:01");
  CHECK_FALSE(gone->index);
  CHECK(gone->reason ==
        "the first interface with a link (no interface has the recorded MAC 52:54:00:00:00:01)");
  CHECK_FALSE(choose_interface(links(), "", "")->index);
  auto missing = choose_interface(links(), "eth0", "");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "network interface eth0 not found (present: ens3 52:54:00:12:34:56, ens4 52:54:00:ab:cd:ef)");
  // Loopback is never chosen, even by name.
  CHECK_FALSE(choose_interface(links(), "lo", ""));
}

TEST_CASE("interface choice: MAC syntax", "[net]") {
  CHECK(normalize_mac("52:54:00:AB:cd:EF") == "52:54:00:ab:cd:ef");
  CHECK(normalize_mac("52-54-00-ab-cd-ef") == "52:54:00:ab:cd:ef");
  CHECK(normalize_mac("52:54:00:ab:cd") == "");
  CHECK(normalize_mac("52:54:00:ab:cd:eg") == "");
  CHECK_FALSE(looks_like_mac("eth0"));
}

TEST_CASE("resolv.conf: at most three servers for musl, search domain", "[net]") {
  CHECK(render_resolv_conf({"10.0.0.1", "2001:db8::53", "10.0.0.3", "10.0.0.4"}, "example.test") ==
        "# written by kdumpkit in the capture kernel\n"
        "nameserver 10.0.0.1\nnameserver 2001:db8::53\nnameserver 10.0.0.3\nsearch example.test\n");
}
