// The SSH targets against OpenSSH's sshd (tests/servers/sshd.sh) and a fault
// proxy on loopback: tagged [sshserver], run by tests/servers/run-sshd-tests.sh
// (CTest entry ssh_server), which starts the server and passes its details
// in KDK_SSHD_* variables. The server's directory is read directly to see
// what arrived.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config/target_url.h"
#include "targets/sftp_store.h"
#include "targets/ssh_command_store.h"
#include "util/fd.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) FAIL(std::string(name) + " is not set: run tests/servers/run-sshd-tests.sh");
  return v;
}

std::string fresh_dir() {
  static int n = 0;
  return "host-2026-12-02-15:00:" + std::to_string(10 + n++) + "-" + std::to_string(getpid());
}

config::NetworkTarget target(const std::string& text) {
  auto t = config::parse_target(text);
  if (!t.ok()) FAIL(t.error().message);
  return std::get<config::NetworkTarget>(t->where);
}

// "sftp://user@127.0.0.1:PORT/DATA/SUB identity=... known_hosts=..."
std::string url(const std::string& scheme, const std::string& sub, const std::string& port = "",
                const std::string& identity = "", const std::string& known_hosts = "") {
  return scheme + "://" + env("KDK_SSHD_USER") +
         "@127.0.0.1:" + (port.empty() ? env("KDK_SSHD_PORT") : port) + env("KDK_SSHD_DATA") + "/" + sub +
         " identity=" + (identity.empty() ? env("KDK_SSHD_ID_ED25519") : identity) +
         " known_hosts=" + (known_hosts.empty() ? env("KDK_SSHD_KNOWN_HOSTS") : known_hosts);
}

struct Sleeps {
  std::vector<std::chrono::milliseconds> seen;
};

ssh::SshStoreSettings settings(Sleeps* sleeps = nullptr, int attempts = 3) {
  ssh::SshStoreSettings s;
  s.retry.attempts = attempts;
  s.retry.initial_delay = std::chrono::milliseconds(20);
  s.retry.max_delay = std::chrono::milliseconds(100);
  s.transport.connect_timeout = std::chrono::seconds(5);
  s.transport.io_timeout = std::chrono::seconds(10);
  Clock real = Clock::system();
  s.env.clock.sleep = [real, sleeps](std::chrono::milliseconds d) {
    if (sleeps) sleeps->seen.push_back(d);
    real.sleep(d);
  };
  return s;
}

std::unique_ptr<CrashStore> open_store(const std::string& text, const std::string& crash_dir,
                                       const ssh::SshStoreSettings& s) {
  auto t = target(text);
  if (t.scheme == "sftp") {
    auto store = SftpStore::open(t, crash_dir, s);
    if (!store.ok()) FAIL(store.error().message);
    return std::move(*store);
  }
  auto store = SshCommandStore::open(t, crash_dir, s);
  if (!store.ok()) FAIL(store.error().message);
  return std::move(*store);
}

Status check(const std::string& text, const ssh::SshStoreSettings& s) {
  auto t = target(text);
  if (t.scheme == "sftp") {
    auto store = SftpStore::open(t, "", s);
    if (!store.ok()) return store.error();
    return (*store)->check();
  }
  auto store = SshCommandStore::open(t, "", s);
  if (!store.ok()) return store.error();
  return (*store)->check();
}

// Deterministic, incompressible bytes (as compressed dump pages are).
std::string payload(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  std::mt19937 gen(seed);
  for (size_t i = 0; i + 4 <= size; i += 4) {
    uint32_t v = gen();
    std::memcpy(&out[i], &v, 4);
  }
  return out;
}

// A producer writing `data` in pieces of `piece` bytes.
StreamProducer producer(const std::string& data, size_t piece = 65536) {
  return [&data, piece](ByteWriter& out) -> Status {
    for (size_t at = 0; at < data.size(); at += piece) {
      if (Status s = out.write(data.data() + at, std::min(piece, data.size() - at)); !s) return s;
    }
    return {};
  };
}

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> out;
  FILE* p = popen(("ls -A '" + dir + "' 2>/dev/null").c_str(), "r");
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) {
    std::string s = buf;
    if (!s.empty() && s.back() == '\n') s.pop_back();
    out.push_back(s);
  }
  if (p) pclose(p);
  return out;
}

void check_file(const std::string& path, const std::string& expected) {
  auto got = read_file(path);
  REQUIRE(got.ok());
  CHECK(got->size() == expected.size());
  CHECK(sha256_hex(got->data(), got->size()) == sha256_hex(expected.data(), expected.size()));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

// known_hosts naming the fault proxy's port with the server's keys.
std::string known_hosts_for_port(const std::string& port) {
  std::string path = env("KDK_SSHD_DATA") + "/../known_hosts-" + port;
  std::string text;
  for (const char* pub : {"KDK_SSHD_HOST_ED25519_PUB", "KDK_SSHD_HOST_ECDSA_PUB"}) {
    auto line = read_file(env(pub));
    REQUIRE(line.ok());
    std::string l = *line;
    l = l.substr(0, l.find(' ', l.find(' ') + 1));
    text += "[127.0.0.1]:" + port + " " + l + "\n";
  }
  REQUIRE(write_file(path, text, 0600).ok());
  return path;
}

}  // namespace

TEST_CASE("sftp: files arrive under their names, written through incomplete ones", "[sshserver]") {
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    const std::string crash = fresh_dir();
    auto store = open_store(url(scheme, std::string("basic-") + scheme), crash, settings());
    const std::string dir = env("KDK_SSHD_DATA") + "/basic-" + scheme + "/" + crash;
    CHECK(store->where() == std::string(scheme) + "://" + env("KDK_SSHD_USER") +
                                "@127.0.0.1:" + env("KDK_SSHD_PORT") + env("KDK_SSHD_DATA") + "/basic-" +
                                scheme + "/" + crash);
    auto a = store->put("vmcore-dmesg.txt", "[    0.000000] Linux version\n");
    REQUIRE(a.ok());
    CHECK(a->size == 29);
    REQUIRE(store->put("metadata.json", "{\"complete\": false}\n").ok());
    std::string big = payload(5u << 20, 1);
    auto s = store->put_stream("vmcore.flat", producer(big));
    REQUIRE(s.ok());
    CHECK(s->size == big.size());
    CHECK(s->sha256 == sha256_hex(big.data(), big.size()));
    // metadata.json is replaced by its final version.
    REQUIRE(store->put("metadata.json", "{\"complete\": true}\n").ok());
    check_file(dir + "/vmcore.flat", big);
    check_file(dir + "/metadata.json", "{\"complete\": true}\n");
    check_file(dir + "/vmcore-dmesg.txt", "[    0.000000] Linux version\n");
    CHECK(listing(dir) == std::vector<std::string>{"metadata.json", "vmcore-dmesg.txt", "vmcore.flat"});
    struct stat st {};
    REQUIRE(::stat(dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
  }
}

TEST_CASE("load's check: every key type is accepted, the probe file deleted", "[sshserver]") {
  for (const char* scheme : {"sftp", "ssh"}) {
    for (const char* id : {"KDK_SSHD_ID_ED25519", "KDK_SSHD_ID_ECDSA", "KDK_SSHD_ID_RSA"}) {
      INFO(scheme << " " << id);
      Status s = check(url(scheme, "check", "", env(id)), settings());
      CHECK(s.ok());
      if (!s.ok()) WARN(s.error().message);
    }
  }
  CHECK(listing(env("KDK_SSHD_DATA") + "/check").empty());
}

TEST_CASE("a key restricted to SFTP (authorized_keys command=) works for sftp:// only", "[sshserver]") {
  CHECK(check(url("sftp", "sftponly", "", env("KDK_SSHD_ID_SFTP_ONLY")), settings()).ok());
  Sleeps sleeps;
  Status s = check(url("ssh", "sftponly", "", env("KDK_SSHD_ID_SFTP_ONLY")), settings(&sleeps));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().errno_value == 0);
  CHECK(sleeps.seen.empty());
}

TEST_CASE("an unknown or changed host key is refused at once, nothing written", "[sshserver]") {
  const std::string empty = env("KDK_SSHD_DATA") + "/../empty_known_hosts";
  REQUIRE(write_file(empty, "", 0600).ok());
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    Sleeps sleeps;
    Status changed =
        check(url(scheme, "hostkey", "", "", env("KDK_SSHD_WRONG_KNOWN_HOSTS")), settings(&sleeps));
    REQUIRE_FALSE(changed.ok());
    CHECK(changed.error().errno_value == 0);
    CHECK_THAT(changed.error().message,
               Catch::Contains("HOST KEY CHANGED for [127.0.0.1]:" + env("KDK_SSHD_PORT")));

    auto store = open_store(url(scheme, "hostkey", "", "", empty), fresh_dir(), settings(&sleeps));
    auto put = store->put("vmcore-dmesg.txt", "x");
    REQUIRE_FALSE(put.ok());
    CHECK(put.error().errno_value == 0);
    CHECK_THAT(put.error().message, Catch::Contains("unknown"));
    CHECK_THAT(put.error().message, Catch::Contains("SHA256:"));
    CHECK(sleeps.seen.empty());
  }
  CHECK(listing(env("KDK_SSHD_DATA") + "/hostkey").empty());
}

TEST_CASE("a key the server does not accept is refused at once", "[sshserver]") {
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    Sleeps sleeps;
    Status s = check(url(scheme, "stranger", "", env("KDK_SSHD_ID_STRANGER")), settings(&sleeps));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().errno_value == 0);
    CHECK_THAT(s.error().message, Catch::Contains("does not accept the key ssh-ed25519 SHA256:"));
    CHECK(sleeps.seen.empty());
  }
}

TEST_CASE("a server that is down is retried, then reported", "[sshserver]") {
  // A port nothing listens on.
  std::string port = "1";
  Sleeps sleeps;
  auto store = open_store(url("sftp", "down", port), fresh_dir(), settings(&sleeps, 3));
  auto r = store->put("vmcore-dmesg.txt", "x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().errno_value == ECONNREFUSED);
  CHECK_THAT(r.error().message, Catch::Contains("Connection refused"));
  CHECK_THAT(r.error().message, Catch::Contains("(3 attempts)"));
  CHECK(sleeps.seen.size() == 2);
}

TEST_CASE("a connection cut midway is retried from the start; the file is whole", "[sshserver]") {
  const std::string port = env("KDK_SSHD_FAULT_PORT");
  const std::string known = known_hosts_for_port(port);
  std::string big = payload(12u << 20, 2);
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    const std::string crash = fresh_dir();
    Sleeps sleeps;
    // The first connection through the proxy is cut once 3 MB went through
    // it: in the middle of the stream (the log before it is small).
    REQUIRE(write_file(env("KDK_SSHD_FAULT_MODE"), "cut 3000000 1\n", 0644).ok());
    auto store =
        open_store(url(scheme, std::string("cut-") + scheme, port, "", known), crash, settings(&sleeps, 4));
    REQUIRE(store->put("vmcore-dmesg.txt", "log\n").ok());
    auto s = store->put_stream("vmcore.flat", producer(big));
    REQUIRE(s.ok());
    CHECK(sleeps.seen.size() >= 1);
    auto mode = read_file(env("KDK_SSHD_FAULT_MODE"));
    REQUIRE(mode.ok());
    CHECK_THAT(*mode, Catch::StartsWith("cut 3000000 0"));
    const std::string dir = env("KDK_SSHD_DATA") + "/cut-" + scheme + "/" + crash;
    check_file(dir + "/vmcore.flat", big);
    CHECK(listing(dir) == std::vector<std::string>{"vmcore-dmesg.txt", "vmcore.flat"});
    REQUIRE(write_file(env("KDK_SSHD_FAULT_MODE"), "pass\n", 0644).ok());
  }
}

TEST_CASE("a failing producer is not retried and leaves no partial file", "[sshserver]") {
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    const std::string crash = fresh_dir();
    Sleeps sleeps;
    auto store = open_store(url(scheme, "producer"), crash, settings(&sleeps));
    std::string half = payload(3u << 20, 3);
    auto r = store->put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
      if (Status s = out.write(half.data(), half.size()); !s) return s;
      return Error{"read /proc/vmcore at offset 0x1000: Input/output error", EIO};
    });
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("Input/output error"));
    CHECK(sleeps.seen.empty());
    CHECK(listing(env("KDK_SSHD_DATA") + "/producer/" + crash).empty());
  }
}

TEST_CASE("a directory the server cannot make is a final error that says why", "[sshserver]") {
  for (const char* scheme : {"sftp", "ssh"}) {
    INFO(scheme);
    Sleeps sleeps;
    auto t = url(scheme, "x");
    // Under /proc nobody makes directories.
    t.replace(t.find(env("KDK_SSHD_DATA")), env("KDK_SSHD_DATA").size(), "/proc/kdumpkit");
    Status s = check(t, settings(&sleeps));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().errno_value == 0);
    CHECK(sleeps.seen.empty());
    INFO(s.error().message);
    CHECK_THAT(s.error().message, Catch::Contains("/proc/kdumpkit"));
  }
}

TEST_CASE("throughput of the SSH targets on loopback", "[sshserver_bench]") {
  const size_t total = 512u << 20;
  std::string chunk = payload(4u << 20, 9);
  const char* buffer = std::getenv("KDK_SSH_BENCH_BUFFER_KIB");
  for (const char* scheme : {"sftp", "ssh"}) {
    auto s = settings();
    if (buffer) s.transport.write_buffer = std::strtoul(buffer, nullptr, 10) << 10;
    auto store = open_store(url(scheme, "bench"), fresh_dir(), s);
    auto t0 = std::chrono::steady_clock::now();
    auto r = store->put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
      for (size_t done = 0; done < total; done += chunk.size()) {
        if (Status s = out.write(chunk.data(), chunk.size()); !s) return s;
      }
      return {};
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(r.ok());
    std::printf("%s (%zu KiB writes): %zu MiB in %.2f s, %.1f MiB/s\n", scheme,
                s.transport.write_buffer >> 10, total >> 20, secs,
                static_cast<double>(total) / 1048576.0 / secs);
  }
}
