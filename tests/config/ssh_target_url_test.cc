// sftp:// and ssh:// targets: user, host, port and directory, and what is refused.
#include <catch2/catch.hpp>

#include "config/target_url.h"

using namespace kdk;
using namespace kdk::config;

namespace {
NetworkTarget net(const std::string& text) {
  auto t = parse_target(text);
  if (!t.ok()) FAIL(t.error().message);
  return std::get<NetworkTarget>(t->where);
}
}  // namespace

TEST_CASE("sftp and ssh targets take a user, a port and a directory", "[config][ssh]") {
  auto a = net(
      "sftp://dumps@backup.example:2222/srv//crash/ identity=/etc/kdumpkit/id known_hosts=/etc/kdumpkit/kh");
  CHECK(a.scheme == "sftp");
  CHECK(a.user == "dumps");
  CHECK(a.host == "backup.example:2222");
  CHECK(a.path == "/srv/crash");
  CHECK(a.option("identity") == "/etc/kdumpkit/id");
  CHECK(a.option("known_hosts") == "/etc/kdumpkit/kh");
  CHECK(a.url() == "sftp://dumps@backup.example:2222/srv/crash");

  auto b = net("ssh://10.0.0.5/var/crash");
  CHECK(b.user.empty());
  CHECK(b.host == "10.0.0.5");
  CHECK(b.url() == "ssh://10.0.0.5/var/crash");

  auto c = net("ssh://kdump@[fd00::5]:22/~/crash");
  CHECK(c.host == "[fd00::5]:22");
  CHECK(c.path == "/~/crash");
  CHECK(split_host_port(c.host).host == "fd00::5");
  CHECK(split_host_port(c.host).port == "22");
  CHECK(net("sftp://h/~").path == "/~");
}

TEST_CASE("bad sftp and ssh targets say what is wrong", "[config][ssh]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"sftp://kdump:secret@h/crash", "no password in the URL"},
      {"sftp://h:0/crash", "port \"0\" is not 1 to 65535"},
      {"ssh://h:70000/crash", "is not 1 to 65535"},
      {"ssh://h:ssh/crash", "port \"ssh\""},
      {"sftp://h/", "name the directory"},
      {"sftp://h", "name the directory"},
      {"sftp://@h/crash", "is not a user name"},
      {"ssh://h/a/../b", "\"..\""},
      {"sftp://h/crash identity=id", "absolute path"},
      {"sftp://h/crash token_file=/x", "unknown option \"token_file\""},
      {"sftp:///crash", "a host is required"},
  };
  for (const auto& c : cases) {
    auto t = parse_target(c.text);
    INFO(c.text);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.error().message, Catch::Contains(c.expected));
  }
}
