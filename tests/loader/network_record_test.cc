#include "loader/network_record.h"

#include <catch2/catch.hpp>

using namespace kdk::loader;

TEST_CASE("network record: host part of host[:port]", "[loader][net]") {
  CHECK(host_of("dumps.example") == "dumps.example");
  CHECK(host_of("dumps.example:8443") == "dumps.example");
  CHECK(host_of("[2001:db8::1]:443") == "2001:db8::1");
  CHECK(host_of("2001:db8::1") == "2001:db8::1");
}

TEST_CASE("network record: a target on this machine needs no interface", "[loader][net]") {
  auto rec = record_network_for({"127.0.0.1:9000", "localhost"}, "/nonexistent");
  REQUIRE(rec);
  CHECK(rec->interface.empty());
  CHECK(rec->mac.empty());
  REQUIRE(rec->routes.size() == 2);
  CHECK(rec->routes[0].first == "127.0.0.1");
  CHECK(rec->routes[0].second == "127.0.0.1 dev lo");
}

TEST_CASE("network record: nameservers of resolv.conf", "[loader][net]") {
  CHECK(parse_resolv_conf_servers("# c\nnameserver 10.0.0.1\n  nameserver\t192.0.2.53 # x\noptions edns0\n"
                                  "nameserver\nsearch a b\n") ==
        std::vector<std::string>{"10.0.0.1", "192.0.2.53"});
}
