// HttpStore against nginx (tests/servers/nginx.sh) and its fault proxy on
// loopback: tagged [nginx], run by tests/servers/run-nginx-tests.sh (CTest
// entry http_nginx), which starts the servers and passes their addresses in
// KDK_NGINX_* variables.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/target_url.h"
#include "targets/http_store.h"
#include "util/fd.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) FAIL(std::string(name) + " is not set: run tests/servers/run-nginx-tests.sh");
  return v;
}

// A fresh crash directory name per store, so cases do not see each other's files.
std::string fresh_dir() {
  static int n = 0;
  return "host-2026-11-26-15:00:" + std::to_string(10 + n++) + "-" + std::to_string(getpid());
}

config::NetworkTarget target(const std::string& text) {
  Result<config::Target> t = config::parse_target(text);
  if (!t.ok()) FAIL(t.error().message);
  return std::get<config::NetworkTarget>(t->where);
}

struct Sleeps {
  std::vector<std::chrono::milliseconds> seen;
};

HttpStoreSettings settings(Sleeps* sleeps = nullptr, int attempts = 4) {
  HttpStoreSettings s;
  s.retry.attempts = attempts;
  s.retry.initial_delay = std::chrono::milliseconds(20);
  s.retry.max_delay = std::chrono::milliseconds(100);
  s.connect_timeout = std::chrono::seconds(5);
  s.stall_timeout = std::chrono::seconds(10);
  Clock real = Clock::system();
  s.env.clock.sleep = [real, sleeps](std::chrono::milliseconds d) {
    if (sleeps) sleeps->seen.push_back(d);
    real.sleep(d);
  };
  return s;
}

std::unique_ptr<HttpStore> open_store(const std::string& text, const std::string& dir,
                                      HttpStoreSettings s = settings()) {
  Result<std::unique_ptr<HttpStore>> store = HttpStore::open(target(text), dir, s);
  if (!store.ok()) FAIL(store.error().message);
  return std::move(*store);
}

// `size` pseudo-random bytes (incompressible, the same on every run),
// written in 1 MiB blocks.
struct Pattern {
  uint64_t size;
  int runs = 0;
  StreamProducer producer() {
    return [this](ByteWriter& out) -> Status {
      ++runs;
      std::vector<uint64_t> block(1 << 17);
      uint64_t x = 0x9e3779b97f4a7c15ull;
      for (uint64_t done = 0; done < size;) {
        for (auto& w : block) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          w = x;
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, block.size() * 8));
        if (Status s = out.write(block.data(), n); !s) return s;
        done += n;
      }
      return {};
    };
  }
};

std::string server_file(const std::string& location, const std::string& dir, const std::string& name) {
  return env("KDK_NGINX_ROOT") + "/" + location + "/" + dir + "/" + name;
}

std::string file_sha256(const std::string& path) {
  Result<std::string> data = read_file(path);
  if (!data.ok()) FAIL(data.error().message);
  return sha256_hex(data->data(), data->size());
}

// A copy of a credential file with other permissions (the fixture's are 0600).
std::string copy_with_mode(const std::string& from, mode_t mode) {
  Result<std::string> data = read_file(from);
  REQUIRE(data.ok());
  std::string to = from + ".mode" + std::to_string(mode);
  REQUIRE(write_file(to, *data, mode).ok());
  chmod(to.c_str(), mode);
  return to;
}

void set_fault(const std::string& mode) {
  REQUIRE(write_file(env("KDK_NGINX_FAULT_MODE"), mode + "\n").ok());
}
std::string fault_state() { return read_file(env("KDK_NGINX_FAULT_MODE")).value(); }

void upload_and_verify(const std::string& text, const std::string& location) {
  std::string dir = fresh_dir();
  auto store = open_store(text, dir);
  Result<StoredObject> dmesg = store->put("vmcore-dmesg.txt", "[    0.000000] Linux version 6.1\n");
  REQUIRE(dmesg.ok());
  Pattern p{20u << 20};
  Result<StoredObject> flat = store->put_stream("vmcore.flat", p.producer());
  if (!flat.ok()) FAIL(flat.error().message);
  CHECK(flat->size == 20u << 20);
  CHECK(file_sha256(server_file(location, dir, "vmcore.flat")) == flat->sha256);
  CHECK(file_sha256(server_file(location, dir, "vmcore-dmesg.txt")) == dmesg->sha256);
  CHECK(p.runs == 1);
}

}  // namespace

TEST_CASE("nginx: upload over HTTP: a file and a 20 MiB stream arrive whole", "[nginx]") {
  upload_and_verify(env("KDK_NGINX_HTTP") + "/dav", "dav");
}

TEST_CASE("nginx: upload over HTTPS, verified against the test CA", "[nginx]") {
  upload_and_verify(env("KDK_NGINX_HTTPS") + "/dav ca=" + env("KDK_NGINX_CA"), "dav");
}

TEST_CASE("nginx: HTTPS with a CA that did not sign the server is refused at once", "[nginx]") {
  Sleeps sleeps;
  auto store = open_store(env("KDK_NGINX_HTTPS") + "/dav ca=" + env("KDK_NGINX_WRONG_CA"), fresh_dir(),
                          settings(&sleeps));
  Result<StoredObject> r = store->put("vmcore-dmesg.txt", "x");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("certificate verify failed for host 127.0.0.1"));
  CHECK(sleeps.seen.empty());
  Status check = store->check();
  REQUIRE_FALSE(check.ok());
  CHECK_THAT(check.error().message, Catch::Contains("certificate verify failed"));
}

TEST_CASE("nginx: mutual TLS: the client certificate opens /mtls/, its absence gets 403", "[nginx]") {
  upload_and_verify(env("KDK_NGINX_HTTPS") + "/mtls ca=" + env("KDK_NGINX_CA") + " client_cert=" +
                        env("KDK_NGINX_CLIENT_CERT") + " client_key=" + env("KDK_NGINX_CLIENT_KEY"),
                    "mtls");
  Sleeps sleeps;
  auto bare =
      open_store(env("KDK_NGINX_HTTPS") + "/mtls ca=" + env("KDK_NGINX_CA"), fresh_dir(), settings(&sleeps));
  Result<StoredObject> r = bare->put("a", "x");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("403 Forbidden"));
  CHECK(sleeps.seen.empty());

  auto stranger = open_store(env("KDK_NGINX_HTTPS") + "/mtls ca=" + env("KDK_NGINX_CA") +
                                 " client_cert=" + env("KDK_NGINX_STRANGER_CERT") +
                                 " client_key=" + env("KDK_NGINX_STRANGER_KEY"),
                             fresh_dir());
  CHECK_FALSE(stranger->check().ok());
}

TEST_CASE("nginx: bearer token from token_file", "[nginx]") {
  upload_and_verify(
      env("KDK_NGINX_HTTP") + "/token plain_http_credentials=yes token_file=" + env("KDK_NGINX_TOKEN_FILE"),
      "token");
  auto anonymous = open_store(env("KDK_NGINX_HTTP") + "/token", fresh_dir());
  Status s = anonymous->check();
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("401 Unauthorized"));

  std::string wrong = env("KDK_NGINX_TOKEN_FILE") + ".wrong";
  REQUIRE(write_file(wrong, "not-the-token\n", 0600).ok());
  chmod(wrong.c_str(), 0600);
  auto bad = open_store(env("KDK_NGINX_HTTP") + "/token plain_http_credentials=yes token_file=" + wrong,
                        fresh_dir());
  s = bad->check();
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("401 Unauthorized: check token_file " + wrong));
  CHECK_THAT(s.error().message, !Catch::Contains("not-the-token"));
}

TEST_CASE("nginx: a stream refused with 401 stops at once, naming what to fix", "[nginx]") {
  Sleeps sleeps;
  auto anonymous =
      open_store(env("KDK_NGINX_HTTPS") + "/token ca=" + env("KDK_NGINX_CA"), fresh_dir(), settings(&sleeps));
  Pattern p{64u << 20};
  auto start = std::chrono::steady_clock::now();
  Result<StoredObject> r = anonymous->put_stream("vmcore.flat", p.producer());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("401 Unauthorized: the server wants credentials"));
  CHECK(p.runs == 1);
  CHECK(sleeps.seen.empty());
  CHECK(seconds < 10);

  auto stranger = open_store(env("KDK_NGINX_HTTPS") + "/mtls ca=" + env("KDK_NGINX_CA") +
                                 " client_cert=" + env("KDK_NGINX_STRANGER_CERT") +
                                 " client_key=" + env("KDK_NGINX_STRANGER_KEY"),
                             fresh_dir());
  Status s = stranger->check();
  REQUIRE_FALSE(s.ok());
  INFO(s.error().message);
  CHECK_THAT(s.error().message, Catch::Contains("400"));
}

TEST_CASE("nginx: basic auth from basic_auth_file", "[nginx]") {
  upload_and_verify(env("KDK_NGINX_HTTPS") + "/basic ca=" + env("KDK_NGINX_CA") +
                        " basic_auth_file=" + env("KDK_NGINX_BASIC_FILE"),
                    "basic");
}

TEST_CASE("nginx: credential files readable by others are refused", "[nginx]") {
  std::string loose = copy_with_mode(env("KDK_NGINX_TOKEN_FILE"), 0640);
  Result<std::unique_ptr<HttpStore>> store =
      HttpStore::open(target(env("KDK_NGINX_HTTP") + "/token plain_http_credentials=yes token_file=" + loose),
                      fresh_dir(), settings());
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.error().message, Catch::Contains("chmod 600"));
  std::string secret = read_file(env("KDK_NGINX_TOKEN_FILE")).value();
  while (!secret.empty() && secret.back() == '\n') secret.pop_back();
  CHECK_THAT(store.error().message, !Catch::Contains(secret));

  std::string loose_key = copy_with_mode(env("KDK_NGINX_CLIENT_KEY"), 0644);
  store =
      HttpStore::open(target(env("KDK_NGINX_HTTPS") + "/mtls client_cert=" + env("KDK_NGINX_CLIENT_CERT") +
                             " client_key=" + loose_key),
                      fresh_dir(), settings());
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.error().message, Catch::Contains("client_key"));
}

TEST_CASE("nginx: 500 twice, then accepted: one complete file", "[nginx]") {
  std::string dir = fresh_dir();
  auto store = open_store(env("KDK_NGINX_FAULT") + "/dav", dir);
  REQUIRE(store->put("vmcore-dmesg.txt", "log\n").ok());  // the MKCOL before the fault
  set_fault("500 2 PUT");
  Pattern p{8u << 20};
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  if (!r.ok()) FAIL(r.error().message);
  CHECK(fault_state() == "500 0 PUT\n");
  CHECK(p.runs == 3);
  CHECK(file_sha256(server_file("dav", dir, "vmcore.flat")) == r->sha256);
  set_fault("pass");
}

TEST_CASE("nginx: a connection cut midway is retried; the file on the server is complete", "[nginx]") {
  std::string dir = fresh_dir();
  auto store = open_store(env("KDK_NGINX_FAULT") + "/dav", dir);
  REQUIRE(store->put("vmcore-dmesg.txt", "log\n").ok());
  set_fault("cut 5000000 1 PUT");
  Pattern p{32u << 20};
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  if (!r.ok()) FAIL(r.error().message);
  CHECK(fault_state() == "cut 5000000 0 PUT\n");
  CHECK(p.runs == 2);
  CHECK(r->size == 32u << 20);
  CHECK(file_sha256(server_file("dav", dir, "vmcore.flat")) == r->sha256);
  set_fault("pass");
}

TEST_CASE("nginx: a cut on every attempt leaves no file behind", "[nginx]") {
  std::string dir = fresh_dir();
  auto store = open_store(env("KDK_NGINX_FAULT") + "/dav", dir, settings(nullptr, 2));
  REQUIRE(store->put("vmcore-dmesg.txt", "log\n").ok());
  set_fault("cut 3000000 2 PUT");
  Pattern p{16u << 20};
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  REQUIRE_FALSE(r.ok());
  CHECK(p.runs == 2);
  CHECK_FALSE(path_exists(server_file("dav", dir, "vmcore.flat")));
  set_fault("pass");
}

TEST_CASE("nginx: a TLS connection cut midway is retried; the file is complete", "[nginx]") {
  std::string text = env("KDK_NGINX_FAULT_TLS") + "/dav ca=" + env("KDK_NGINX_CA");
  std::string dir = fresh_dir();
  REQUIRE(open_store(text, dir)->put("vmcore-dmesg.txt", "log\n").ok());
  // A new store, so a new connection: the fault applies to connections.
  auto store = open_store(text, dir);
  REQUIRE(write_file(env("KDK_NGINX_FAULT_TLS_MODE"), "cut 5000000 1\n").ok());
  Pattern p{24u << 20};
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  if (!r.ok()) FAIL(r.error().message);
  CHECK(read_file(env("KDK_NGINX_FAULT_TLS_MODE")).value() == "cut 5000000 0 PUT\n");
  CHECK(p.runs == 2);
  CHECK(file_sha256(server_file("dav", dir, "vmcore.flat")) == r->sha256);
}

TEST_CASE("nginx: a server that stops reading is cut after the stall timeout and retried", "[nginx]") {
  std::string dir = fresh_dir();
  HttpStoreSettings s = settings();
  s.stall_timeout = std::chrono::seconds(2);
  auto store = open_store(env("KDK_NGINX_FAULT") + "/dav", dir, s);
  REQUIRE(store->put("vmcore-dmesg.txt", "log\n").ok());
  set_fault("stall 2000000 1 PUT");
  Pattern p{64u << 20};
  auto start = std::chrono::steady_clock::now();
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) FAIL(r.error().message);
  CHECK(p.runs == 2);
  CHECK(seconds < 30);
  CHECK(file_sha256(server_file("dav", dir, "vmcore.flat")) == r->sha256);
  set_fault("pass");
}

TEST_CASE("nginx: uploads go through the configured proxy (CONNECT for https)", "[nginx]") {
  std::string log_file = env("KDK_NGINX_PROXY_LOG");
  upload_and_verify(env("KDK_NGINX_HTTP") + "/dav proxy=" + env("KDK_NGINX_PROXY"), "dav");
  upload_and_verify(
      env("KDK_NGINX_HTTPS") + "/dav ca=" + env("KDK_NGINX_CA") + " proxy=" + env("KDK_NGINX_PROXY"), "dav");
  std::string log = read_file(log_file).value();
  std::string http_host = env("KDK_NGINX_HTTP").substr(7);
  std::string https_host = env("KDK_NGINX_HTTPS").substr(8);
  CHECK_THAT(log, Catch::Contains("PUT http://" + http_host + "/dav/"));
  CHECK_THAT(log, Catch::Contains("CONNECT " + https_host));
}

TEST_CASE("nginx: 403 is not retried", "[nginx]") {
  Sleeps sleeps;
  auto store = open_store(env("KDK_NGINX_HTTP") + "/forbidden", fresh_dir(), settings(&sleeps));
  Pattern p{1u << 20};
  Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("403 Forbidden"));
  CHECK(p.runs == 1);
  CHECK(sleeps.seen.empty());
}

TEST_CASE("nginx: check() passes on a writable location and names a closed port", "[nginx]") {
  auto store = open_store(env("KDK_NGINX_HTTPS") + "/dav ca=" + env("KDK_NGINX_CA"), fresh_dir());
  Status ok = store->check();
  if (!ok.ok()) FAIL(ok.error().message);
  CHECK_FALSE(path_exists(env("KDK_NGINX_ROOT") + "/dav/.kdumpkit-check"));

  auto closed = open_store("http://127.0.0.1:1/dav", fresh_dir());
  Status refused = closed->check();
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("Connection refused"));
}

// Loopback throughput, not a test: `unit_tests '[nginx_bench]'` under
// run-nginx-tests.sh prints MB/s for a 500 MB stream over HTTP and HTTPS.
TEST_CASE("nginx: 500 MB stream throughput", "[.][nginx][nginx_bench]") {
  for (const std::string& text :
       {env("KDK_NGINX_HTTP") + "/dav", env("KDK_NGINX_HTTPS") + "/dav ca=" + env("KDK_NGINX_CA")}) {
    std::string dir = fresh_dir();
    auto store = open_store(text, dir);
    Pattern p{500'000'000};
    auto start = std::chrono::steady_clock::now();
    Result<StoredObject> r = store->put_stream("vmcore.flat", p.producer());
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok()) FAIL(r.error().message);
    std::printf("%s: %.0f MB in %.2f s = %.0f MB/s\n", text.substr(0, text.find(':')).c_str(), r->size / 1e6,
                seconds, r->size / 1e6 / seconds);
    std::remove(server_file("dav", dir, "vmcore.flat").c_str());
  }
}
