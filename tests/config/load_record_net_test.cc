#include <catch2/catch.hpp>

#include "config/load_record.h"

using namespace kdk::config;

TEST_CASE("load record: the network interface fields round-trip", "[config][net]") {
  LoadRecord r;
  r.host = "kdk-guest";
  r.kernel_release = "6.1.0-40-amd64";
  r.net_interface = "ens3";
  r.net_mac = "52:54:00:12:34:56";
  r.net_addresses = {"10.0.2.15/24", "fec0::5054:ff:fe12:3456/64"};
  r.net_gateways = {"10.0.2.2"};
  r.net_dns = {"10.0.2.3", "2001:db8::53"};
  std::string text = r.serialize();
  CHECK(text.find("net_mac = 52:54:00:12:34:56\n") != std::string::npos);
  auto back = parse_load_record(text, "load.conf");
  REQUIRE(back);
  CHECK(back->net_interface == r.net_interface);
  CHECK(back->net_mac == r.net_mac);
  CHECK(back->net_addresses == r.net_addresses);
  CHECK(back->net_gateways == r.net_gateways);
  CHECK(back->net_dns == r.net_dns);
  // Without a network, nothing is written.
  LoadRecord plain{"h", "k", {}};
  CHECK(plain.serialize().find("net_") == std::string::npos);
}

TEST_CASE("load record: malformed network fields are refused naming the line", "[config][net]") {
  auto bad = [](const std::string& line) {
    auto r = parse_load_record("host = h\n" + line + "\n", "load.conf");
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK(bad("net_mac = 52:54:00:12:34") ==
        "load.conf:2: net_mac = \"52:54:00:12:34\": expected a MAC address such as 52:54:00:12:34:56");
  CHECK(bad("net_mac = 52:54:00:AB:34:56").find("expected a MAC") != std::string::npos);
  CHECK(bad("net_address = 10.0.2.15").find("expected an address with its prefix length") !=
        std::string::npos);
  CHECK(bad("net_address = 10.0.2.15/33").find("expected an address with its prefix length") !=
        std::string::npos);
  CHECK(bad("net_gateway = router") ==
        "load.conf:2: net_gateway = \"router\": expected an IPv4 or IPv6 address");
  CHECK(bad("net_dns = 10.0.0.256").find("expected an IPv4 or IPv6 address") != std::string::npos);
}
