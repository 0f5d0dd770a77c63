#include "targets/nfs_mount.h"

#include <catch2/catch.hpp>

#include "config/target_url.h"

using namespace kdk;
using namespace kdk::targets;

namespace {

config::NetworkTarget nfs(const std::string& text) {
  auto t = config::parse_target(text);
  REQUIRE(t);
  return std::get<config::NetworkTarget>(t->where);
}

}  // namespace

TEST_CASE("nfs: mount(2) arguments for v4.1 by default", "[targets][nfs]") {
  auto spec = nfs_mount_spec(nfs("nfs://dumps.example/export/crash"), "192.0.2.7");
  REQUIRE(spec);
  CHECK(spec->source == "192.0.2.7:/export/crash");
  CHECK(spec->fstype == "nfs4");
  CHECK(spec->version == "4.1");
  CHECK(spec->options == "vers=4.1,addr=192.0.2.7,proto=tcp,soft,timeo=100,retrans=3");
}

TEST_CASE("nfs: v3 names the MOUNT server and disables locking; options= come last", "[targets][nfs]") {
  auto spec =
      nfs_mount_spec(nfs("nfs://dumps.example:2050/srv vers=3 options=timeo=600,retrans=2"), "192.0.2.7");
  REQUIRE(spec);
  CHECK(spec->fstype == "nfs");
  CHECK(spec->options ==
        "vers=3,addr=192.0.2.7,proto=tcp,port=2050,mountaddr=192.0.2.7,mountproto=tcp,mountvers=3,nolock,"
        "soft,timeo=100,retrans=3,timeo=600,retrans=2");
}

TEST_CASE("nfs: IPv6 server addresses", "[targets][nfs]") {
  auto spec = nfs_mount_spec(nfs("nfs://[2001:db8::7]/export vers=4.2"), "2001:db8::7");
  REQUIRE(spec);
  CHECK(spec->source == "[2001:db8::7]:/export");
  CHECK(spec->options == "vers=4.2,addr=2001:db8::7,proto=tcp6,soft,timeo=100,retrans=3");
}

TEST_CASE("nfs: unknown versions are refused; modules per version", "[targets][nfs]") {
  config::NetworkTarget t;
  t.scheme = "nfs";
  t.host = "h";
  t.path = "/e";
  t.options = {{"vers", "2"}};
  CHECK(nfs_mount_spec(t, "192.0.2.7").error().message ==
        "nfs target nfs://h/e: vers=2 is not one of 4.2, 4.1, 4.0, 3");
  CHECK(nfs_modules(t).size() == 3);
  t.options = {{"vers", "3"}};
  CHECK(nfs_modules(t) == std::vector<std::string>{"sunrpc", "nfs", "nfsv3"});
  t.options = {};
  CHECK(nfs_modules(t) == std::vector<std::string>{"sunrpc", "nfs", "nfsv4"});
}

TEST_CASE("nfs: address literals are not looked up; unknown names fail at once", "[targets][nfs]") {
  int sleeps = 0;
  Clock clock{[] { return std::chrono::milliseconds(0); }, [&](std::chrono::milliseconds) { ++sleeps; }};
  CHECK(*resolve_host("192.0.2.7", std::chrono::seconds(5), clock) == "192.0.2.7");
  CHECK(*resolve_host("2001:db8::7", std::chrono::seconds(5), clock) == "2001:db8::7");
  CHECK(*resolve_host("localhost", std::chrono::seconds(5), clock) == "127.0.0.1");
  auto none = resolve_host("no-such-host.invalid", std::chrono::seconds(5), clock);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.rfind("resolve no-such-host.invalid: ", 0) == 0);
}
