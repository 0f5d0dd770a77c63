// S3Store over libcurl against a real S3 server on loopback (radosgw, or
// s3rver with KDK_S3_SERVER=s3rver), started by
// tests/targets/s3-server-tests.sh, which exports tests/servers/s3.sh's
// s3.env. Tagged [s3server]: never run as a plain unit test.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "targets/s3/s3_store.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;
using namespace kdk::targets::s3;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') FAIL(std::string(name) + " is unset: run tests/targets/s3-server-tests.sh");
  return v;
}

S3Options server_options(const std::string& prefix) {
  S3Options o;
  o.endpoint = env("S3_ENDPOINT");
  o.bucket = env("S3_BUCKET");
  o.prefix = prefix;
  o.credentials = {env("S3_ACCESS_KEY"), env("S3_SECRET_KEY"), ""};
  o.first_part_size = 5 * kMiB;
  o.retry.attempts = 3;
  return o;
}

RetryEnv fast_clock() {
  // Real requests, no real waiting between tries.
  RetryEnv e;
  e.clock.now = [] { return std::chrono::milliseconds(0); };
  e.clock.sleep = [](std::chrono::milliseconds) {};
  e.random = [] { return 0.5; };
  return e;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// "STATUS SHA256" of the object as an independent client (curl's own SigV4,
// right for a GET without query) reads it back.
std::string read_back(const S3Store& store, const std::string& name) {
  std::string tmp = env("S3_WORK") + "/readback";
  std::string status =
      run("curl -s -o " + tmp + " -w '%{http_code}' --aws-sigv4 'aws:amz:us-east-1:s3' --user '" +
          env("S3_ACCESS_KEY") + ":" + env("S3_SECRET_KEY") +
          "' -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' '" + store.url_of(name) + "'");
  std::string sha = run("sha256sum " + tmp + " | cut -d' ' -f1; rm -f " + tmp);
  return status + " " + sha;
}

// The open uploads of `key` only: on s3rver, an earlier test case's upload
// that the server could not abort stays in its storage.
std::vector<std::string> open_uploads(const std::string& key) {
  // "OK" last: an empty list must come from the server, not from a failure.
  std::string out =
      run(std::string(KDK_SOURCE_DIR) + "/tests/servers/s3.sh open-uploads " + env("S3_WORK") + " && echo OK");
  REQUIRE(out.size() >= 2);
  REQUIRE(out.substr(out.size() - 2) == "OK");
  out.resize(out.size() - 2);
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < out.size()) {
    size_t nl = out.find('\n', i);
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(i, nl - i);
    if (line.find(" " + key + " ") != std::string::npos) lines.push_back(line);
    i = nl + 1;
  }
  return lines;
}

std::string pattern(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

StreamProducer producer_of(const std::string& data) {
  return [&data](ByteWriter& out) -> Status {
    for (size_t off = 0; off < data.size(); off += 65536) {
      if (Status s = out.write(data.data() + off, std::min<size_t>(65536, data.size() - off)); !s) return s;
    }
    return {};
  };
}

// Wraps the real transport: fails chosen requests before they leave, and
// records every request line.
class FaultTransport : public http::Transport {
 public:
  explicit FaultTransport(http::Transport& inner) : inner_(inner) {}
  std::function<bool(const http::Request&)> fail_when;
  std::vector<std::string> seen;  // "METHOD url"
  std::vector<long> statuses;
  Result<http::Response> perform(const http::Request& r) override {
    seen.push_back(r.method + " " + r.url);
    if (fail_when && fail_when(r)) {
      statuses.push_back(0);
      return Error{r.method + " " + r.url + ": injected connection reset", ECONNRESET};
    }
    auto result = inner_.perform(r);
    statuses.push_back(result.ok() ? result->status : 0);
    return result;
  }

 private:
  http::Transport& inner_;
};

}  // namespace

TEST_CASE("S3 server: small file and check", "[s3server]") {
  auto transport = http::make_curl_transport({});
  S3Store store(server_options("crash/host-2026-11-26-12:00:00"), *transport, fast_clock());
  REQUIRE(store.check().ok());
  std::string text = "<6>[    1.000000] Kernel panic - not syncing: sysrq triggered crash\n";
  auto r = store.put("vmcore-dmesg.txt", text);
  REQUIRE(r.ok());
  CHECK(read_back(store, "vmcore-dmesg.txt") == "200 " + sha256_hex(text.data(), text.size()));
  // A replaced file is replaced.
  REQUIRE(store.put("vmcore-dmesg.txt", "second").ok());
  CHECK(read_back(store, "vmcore-dmesg.txt") == "200 " + sha256_hex("second", 6));
  REQUIRE(store.remove("vmcore-dmesg.txt").ok());
  CHECK(read_back(store, "vmcore-dmesg.txt").rfind("404 ", 0) == 0);
}

TEST_CASE("S3 server: a stream of three parts reads back equal", "[s3server]") {
  auto transport = http::make_curl_transport({});
  FaultTransport counting(*transport);
  S3Store store(server_options("crash/multipart"), counting, fast_clock());
  std::string data = pattern(14 * kMiB + 12345, 7);
  auto r = store.put_stream("vmcore.flat", producer_of(data));
  REQUIRE(r.ok());
  CHECK(r->size == data.size());
  std::string sha = sha256_hex(data.data(), data.size());
  CHECK(r->sha256 == sha);
  CHECK(read_back(store, "vmcore.flat") == "200 " + sha);
  int parts = 0;
  for (auto& s : counting.seen) parts += s.find("partNumber=") != std::string::npos;
  CHECK(parts == 3);
  CHECK(open_uploads("crash/multipart/vmcore.flat").empty());
}

TEST_CASE("S3 server: wrong credentials are refused with the S3 error code", "[s3server]") {
  auto transport = http::make_curl_transport({});
  SECTION("wrong secret") {
    S3Options o = server_options("crash");
    o.credentials.secret_access_key = "not-the-secret";
    S3Store store(o, *transport, fast_clock());
    Status s = store.check();
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find("HTTP 403 SignatureDoesNotMatch") != std::string::npos);
    CHECK(s.error().message.find("cannot write a test object to s3://dumps/crash at ") == 0);
    CHECK(s.error().message.find("not-the-secret") == std::string::npos);
  }
  SECTION("unknown access key") {
    S3Options o = server_options("crash");
    o.credentials.access_key_id = "AKIANOBODY";
    S3Store store(o, *transport, fast_clock());
    Status s = store.check();
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find("InvalidAccessKeyId") != std::string::npos);
  }
  SECTION("no such bucket") {
    S3Options o = server_options("crash");
    o.bucket = "no-such-bucket";
    S3Store store(o, *transport, fast_clock());
    Status s = store.check();
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("NoSuchBucket") != std::string::npos);
  }
  SECTION("endpoint down") {
    S3Options o = server_options("crash");
    o.endpoint = "http://127.0.0.1:9";  // discard: nothing listens
    S3Store store(o, *transport, fast_clock());
    Status s = store.check();
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find("after 3 tries") != std::string::npos);
  }
}

TEST_CASE("S3 server: a part failing on every try aborts the upload", "[s3server]") {
  auto transport = http::make_curl_transport({});
  FaultTransport faulty(*transport);
  faulty.fail_when = [](const http::Request& r) { return r.url.find("partNumber=2&") != std::string::npos; };
  S3Store store(server_options("crash/failing"), faulty, fast_clock());
  std::string data = pattern(14 * kMiB, 9);
  auto r = store.put_stream("vmcore.flat", producer_of(data));
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().message.find("UploadPart 2") != std::string::npos);

  int part2 = 0, aborts = 0, completes = 0;
  std::string upload_id;
  for (size_t i = 0; i < faulty.seen.size(); ++i) {
    const std::string& s = faulty.seen[i];
    part2 += s.find("partNumber=2&") != std::string::npos;
    if (s.rfind("DELETE ", 0) == 0 && s.find("?uploadId=") != std::string::npos) {
      ++aborts;
      upload_id = s.substr(s.find("?uploadId=") + 10);
    }
    completes += s.rfind("POST ", 0) == 0 && s.find("?uploadId=") != std::string::npos;
  }
  CHECK(part2 == 3);
  CHECK(aborts >= 1);
  CHECK(completes == 0);
  // No object under the name.
  CHECK(read_back(store, "vmcore.flat").rfind("404 ", 0) == 0);
  // No open upload (ListMultipartUploads), except on s3rver, which lacks
  // AbortMultipartUpload (it answers 405): there the only one left is ours,
  // and the error says the abort was refused.
  auto open = open_uploads("crash/failing/vmcore.flat");
  if (env("S3_SERVER") != "s3rver") {
    CHECK(open.empty());
    CHECK(r.error().message.find("could not be aborted") == std::string::npos);
  } else if (!open.empty()) {
    CHECK(r.error().message.find("could not be aborted") != std::string::npos);
    CHECK(r.error().message.find("405 MethodNotAllowed") != std::string::npos);
    REQUIRE(open.size() == 1);
    CHECK(open[0].rfind(upload_id + " crash/failing/vmcore.flat ", 0) == 0);
    WARN("the server kept the aborted upload: " + open[0] + " (it has no AbortMultipartUpload)");
  }
}

TEST_CASE("S3 server: multipart throughput of a 200 MB stream", "[s3server][throughput]") {
  auto transport = http::make_curl_transport({});
  S3Options o = server_options("crash/throughput");
  o.first_part_size = 16 * kMiB;
  S3Store store(o, *transport, fast_clock());
  const size_t size = 200 * 1000 * 1000;
  std::string block = pattern(kMiB, 3);
  auto start = std::chrono::steady_clock::now();
  auto r = store.put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
    for (size_t off = 0; off < size; off += block.size()) {
      if (Status s = out.write(block.data(), std::min(block.size(), size - off)); !s) return s;
    }
    return {};
  });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(r.ok());
  CHECK(r->size == size);
  CHECK(read_back(store, "vmcore.flat") == "200 " + r->sha256);
  char line[160];
  std::snprintf(line, sizeof line, "S3 multipart upload of %zu bytes in 16 MiB parts: %.2f s, %.1f MB/s",
                size, seconds, size / seconds / 1e6);
  WARN(line);
  REQUIRE(store.remove("vmcore.flat").ok());
}

TEST_CASE("S3 server over HTTPS: the CA decides", "[s3server]") {
  S3Options o = server_options("crash/tls");
  o.endpoint = env("S3_TLS_ENDPOINT");
  SECTION("the test CA: accepted") {
    http::TransportOptions t;
    t.tls.ca_file = env("S3_CA");
    auto transport = http::make_curl_transport(t);
    S3Store store(o, *transport, fast_clock());
    REQUIRE(store.check().ok());
    std::string data = pattern(6 * kMiB, 5);
    auto r = store.put_stream("vmcore.flat", producer_of(data));
    REQUIRE(r.ok());
    CHECK(r->sha256 == sha256_hex(data.data(), data.size()));
  }
  SECTION("an unrelated CA: refused at once, naming the certificate") {
    http::TransportOptions t;
    t.tls.ca_file = env("S3_WRONG_CA");
    auto transport = http::make_curl_transport(t);
    FaultTransport counting(*transport);
    S3Store store(o, counting, fast_clock());
    Status s = store.check();
    REQUIRE_FALSE(s.ok());
    INFO(s.error().message);
    CHECK(s.error().message.find("certificate") != std::string::npos);
    CHECK(counting.seen.size() == 1);  // not worth another try
  }
}

namespace {

void set_fault(const std::string& mode) {
  FILE* f = std::fopen(env("S3_FAULT_MODE").c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs((mode + "\n").c_str(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("S3 server behind a faulty link: each part is retried on its own", "[s3server]") {
  auto transport = http::make_curl_transport({});
  FaultTransport counting(*transport);
  S3Options o = server_options("crash/faulty-link");
  o.endpoint = env("S3_FAULT_ENDPOINT");
  S3Store store(o, counting, fast_clock());
  std::string data = pattern(12 * kMiB, 11);
  SECTION("the connection cut 1 MiB into a part") { set_fault("cut 1048576 1 PUT"); }
  SECTION("the server answering 500 twice") { set_fault("500 2 PUT"); }
  auto r = store.put_stream("vmcore.flat", producer_of(data));
  set_fault("pass");
  REQUIRE(r.ok());
  std::string sha = sha256_hex(data.data(), data.size());
  CHECK(r->sha256 == sha);
  CHECK(read_back(store, "vmcore.flat") == "200 " + sha);
  int part1 = 0, creates = 0;
  for (auto& s : counting.seen) {
    part1 += s.find("partNumber=1&") != std::string::npos;
    creates += s.find("?uploads") != std::string::npos;
  }
  CHECK(part1 >= 2);    // the first PUT (part 1) met the fault and was sent again
  CHECK(creates == 1);  // within the same upload
  CHECK(open_uploads("crash/faulty-link/vmcore.flat").empty());
}
