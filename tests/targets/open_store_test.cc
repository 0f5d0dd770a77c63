#include "targets/open_store.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace kdk;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("the files network targets name travel into the capture initramfs, with the system CA by default",
          "[targets][open_store]") {
  auto c = config::parse_config(
      "target = https://dumps.example/crash token_file=/etc/kdumpkit/token\n"
      "target = https://other.example/crash ca=/etc/kdumpkit/ca.pem client_cert=/etc/kdumpkit/c.pem "
      "client_key=/etc/kdumpkit/c.key\n"
      "target = s3://b/p endpoint=http://10.0.0.1:9000 credentials_file=/etc/kdumpkit/s3\n"
      "target = http://plain.example/crash basic_auth_file=/etc/kdumpkit/token plain_http_credentials=yes\n"
      "target = disk:LABEL=x\n",
      "k.conf");
  REQUIRE(c.ok());
  auto files = targets::files_to_carry(*c);
  for (const char* f : {"/etc/kdumpkit/token", "/etc/kdumpkit/ca.pem", "/etc/kdumpkit/c.pem",
                        "/etc/kdumpkit/c.key", "/etc/kdumpkit/s3"}) {
    CHECK(has(files, f));
  }
  CHECK(std::count(files.begin(), files.end(), "/etc/kdumpkit/token") == 1);  // named twice, carried once
  // The first https target names no CA: verification uses the system bundle,
  // carried when this machine has one. Plain HTTP and S3 over http need none.
  CHECK(has(files, targets::kSystemCaBundle) == (::access(targets::kSystemCaBundle, R_OK) == 0));
  auto plain = config::parse_config("target = http://h/x\ntarget = s3://b/p endpoint=http://h:1\n", "k");
  REQUIRE(plain.ok());
  CHECK(targets::files_to_carry(*plain).empty());
}

TEST_CASE("SSH targets carry their key and known_hosts, the defaults when none are named",
          "[targets][open_store]") {
  auto c = config::parse_config(
      "target = sftp://kdump@dumps.example/crash identity=/etc/kdumpkit/id_ed25519 "
      "known_hosts=/etc/kdumpkit/kh\n"
      "target = ssh://dumps.example/crash identity=/etc/kdumpkit/id_ed25519\n",
      "k.conf");
  REQUIRE(c.ok());
  auto files = targets::files_to_carry(*c);
  CHECK(files ==
        std::vector<std::string>{"/etc/kdumpkit/id_ed25519", "/etc/kdumpkit/kh", "/root/.ssh/known_hosts"});
  auto d = config::parse_config("target = sftp://h/crash\n", "k");
  REQUIRE(d.ok());
  CHECK(targets::files_to_carry(*d) ==
        std::vector<std::string>{"/root/.ssh/kdumpkit_id_ed25519", "/root/.ssh/known_hosts"});
}

TEST_CASE("http, https, s3, sftp and ssh are upload targets, nfs is not", "[targets][open_store]") {
  auto c = config::parse_config(
      "target = nfs://h/e\ntarget = https://h/x\ntarget = s3://b\ntarget = sftp://h/d\ntarget = ssh://h/d\n",
      "k");
  REQUIRE(c.ok());
  CHECK_FALSE(targets::is_upload_target(std::get<config::NetworkTarget>(c->targets[0].where)));
  for (size_t i = 1; i < 5; ++i)
    CHECK(targets::is_upload_target(std::get<config::NetworkTarget>(c->targets[i].where)));
  auto nfs = targets::open_crash_store(*c, std::get<config::NetworkTarget>(c->targets[0].where), "d");
  REQUIRE_FALSE(nfs.ok());
  CHECK_THAT(nfs.error().message, Catch::Contains("not an upload target"));
}
