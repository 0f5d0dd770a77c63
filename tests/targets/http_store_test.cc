// HttpStore against a scripted fake transport: the request sequence, retries,
// streaming and the messages. The real-server cases are in
// http_store_nginx_test.cc ([nginx]).
#include "targets/http_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "targets/http/byte_channel.h"
#include "targets/secret_file.h"
#include "util/fd.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;

namespace {

struct Seen {
  std::string method, url, body, authorization;
  bool chunked = false;
};

class FakeTransport : public http::Transport {
 public:
  // Given the request seen so far (body read), answers it.
  std::function<Result<http::Response>(const Seen&, size_t index)> answer;
  std::vector<Seen>* log = nullptr;
  size_t read_limit = SIZE_MAX;  // stop reading the body after this many bytes (a cut)

  Result<http::Response> perform(const http::Request& r) override {
    Seen s{r.method, r.url, std::string(r.body), {}, !r.body_size && bool(r.body_source)};
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization") s.authorization = v;
    if (r.body_source) {
      char buf[1000];
      while (s.body.size() < read_limit) {
        Result<size_t> n = r.body_source(buf, sizeof buf);
        if (!n.ok()) return n.error().within("fake: request body");
        if (*n == 0) break;
        s.body.append(buf, *n);
      }
    }
    size_t index = log->size();
    log->push_back(s);
    return answer(s, index);
  }
};

struct Fixture {
  std::vector<Seen> seen;
  FakeTransport* fake = nullptr;
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<HttpStore> store;

  explicit Fixture(std::string auth = "") {
    auto t = std::make_unique<FakeTransport>();
    fake = t.get();
    fake->log = &seen;
    fake->answer = [](const Seen& s, size_t) -> Result<http::Response> {
      return http::Response{s.method == "MKCOL" ? 201L : 201L, {}, {}};
    };
    HttpStoreSettings settings;
    settings.retry.attempts = 3;
    settings.env = RetryEnv{Clock{[] { return std::chrono::milliseconds(0); },
                                  [this](std::chrono::milliseconds d) { sleeps.push_back(d); }},
                            [] { return 0.0; }};
    settings.stream_buffer = 4096;
    store = std::make_unique<HttpStore>(std::move(t), "https://dumps.example/crash/", "host-2026-01-02-03:04:05",
                                        std::move(auth), settings);
  }
};

// Produces `size` deterministic bytes in uneven writes.
StreamProducer pattern(size_t size, int* runs = nullptr) {
  return [size, runs](ByteWriter& out) -> Status {
    if (runs) ++*runs;
    std::string block;
    for (size_t done = 0; done < size;) {
      size_t n = std::min<size_t>(size - done, 777 + done % 3000);
      block.resize(n);
      for (size_t i = 0; i < n; ++i) block[i] = static_cast<char>((done + i) * 131 % 251);
      if (Status s = out.write(block.data(), n); !s) return s;
      done += n;
    }
    return {};
  };
}

std::string pattern_bytes(size_t size) {
  std::string b(size, '\0');
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<char>(i * 131 % 251);
  return b;
}

}  // namespace

TEST_CASE("http store: put makes the crash directory, then PUTs with the credentials", "[http_store]") {
  Fixture f("Bearer secret-token");
  Result<StoredObject> r = f.store->put("vmcore-dmesg.txt", "hello\n");
  REQUIRE(r.ok());
  CHECK(r->size == 6);
  CHECK(r->sha256 == sha256_hex("hello\n", 6));
  REQUIRE(f.seen.size() == 2);
  CHECK(f.seen[0].method == "MKCOL");
  CHECK(f.seen[0].url == "https://dumps.example/crash/host-2026-01-02-03:04:05/");
  CHECK(f.seen[1].method == "PUT");
  CHECK(f.seen[1].url == "https://dumps.example/crash/host-2026-01-02-03:04:05/vmcore-dmesg.txt");
  CHECK(f.seen[1].body == "hello\n");
  CHECK(f.seen[1].authorization == "Bearer secret-token");
  CHECK(f.store->where() == "https://dumps.example/crash/host-2026-01-02-03:04:05");
  // A second file: no second MKCOL.
  REQUIRE(f.store->put("metadata.json", "{}").ok());
  CHECK(f.seen.size() == 3);
}

TEST_CASE("http store: MKCOL on an existing directory (405) is fine; 409 makes the parents", "[http_store]") {
  Fixture f;
  f.fake->answer = [](const Seen& s, size_t i) -> Result<http::Response> {
    if (s.method == "MKCOL" && i == 0) return http::Response{409, {}, {}};
    if (s.method == "MKCOL") return http::Response{405, {}, {}};
    return http::Response{201, {}, {}};
  };
  REQUIRE(f.store->put("a", "x").ok());
  std::vector<std::string> urls;
  for (const auto& s : f.seen) urls.push_back(s.method + " " + s.url);
  CHECK(urls == std::vector<std::string>{
                    "MKCOL https://dumps.example/crash/host-2026-01-02-03:04:05/",
                    "MKCOL https://dumps.example/crash/",
                    "MKCOL https://dumps.example/crash/host-2026-01-02-03:04:05/",
                    "PUT https://dumps.example/crash/host-2026-01-02-03:04:05/a",
                });
}

TEST_CASE("http store: a stream is sent chunked, sized and hashed on the bytes sent", "[http_store]") {
  Fixture f;
  Result<StoredObject> r = f.store->put_stream("vmcore.flat", pattern(300000));
  REQUIRE(r.ok());
  CHECK(r->size == 300000);
  std::string expected = pattern_bytes(300000);
  CHECK(r->sha256 == sha256_hex(expected.data(), expected.size()));
  REQUIRE(f.seen.size() == 2);
  CHECK(f.seen[1].chunked);
  CHECK(f.seen[1].body == expected);
}

TEST_CASE("http store: a stream answered 500 twice is produced three times and stored once", "[http_store]") {
  Fixture f;
  f.fake->answer = [](const Seen& s, size_t i) -> Result<http::Response> {
    if (s.method == "PUT" && i <= 2) return http::Response{500, {}, {}};
    return http::Response{201, {}, {}};
  };
  int runs = 0;
  Result<StoredObject> r = f.store->put_stream("vmcore.flat", pattern(50000, &runs));
  REQUIRE(r.ok());
  CHECK(runs == 3);
  CHECK(r->size == 50000);
  CHECK(f.sleeps.size() == 2);
}

TEST_CASE("http store: a stream cut midway is retried from the start", "[http_store]") {
  Fixture f;
  f.fake->read_limit = 10000;  // the first attempt reads 10000 bytes, then the connection "breaks"
  f.fake->answer = [&f](const Seen& s, size_t) -> Result<http::Response> {
    if (s.method == "PUT" && f.fake->read_limit != SIZE_MAX) {
      f.fake->read_limit = SIZE_MAX;
      return Error{"PUT x: Send failure: Connection reset by peer", ECONNRESET};
    }
    return http::Response{201, {}, {}};
  };
  int runs = 0;
  Result<StoredObject> r = f.store->put_stream("vmcore.flat", pattern(200000, &runs));
  REQUIRE(r.ok());
  CHECK(runs == 2);
  CHECK(r->size == 200000);
  CHECK(f.seen.back().body == pattern_bytes(200000));
}

TEST_CASE("http store: 403 is not retried, names the refusal, and removes the object", "[http_store]") {
  Fixture f("Basic a2R1bXA6cHc=");
  f.fake->answer = [](const Seen& s, size_t) -> Result<http::Response> {
    if (s.method == "PUT") return http::Response{403, {}, {}};
    return http::Response{s.method == "DELETE" ? 204L : 201L, {}, {}};
  };
  int runs = 0;
  Result<StoredObject> r = f.store->put_stream("vmcore.flat", pattern(100000, &runs));
  REQUIRE_FALSE(r.ok());
  CHECK(runs == 1);
  CHECK(f.sleeps.empty());
  CHECK_THAT(r.error().message, Catch::Contains("403 Forbidden"));
  CHECK(f.seen.back().method == "DELETE");
}

TEST_CASE("http store: the producer's own failure is final, with its message", "[http_store]") {
  Fixture f;
  int runs = 0;
  Result<StoredObject> r = f.store->put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
    ++runs;
    if (Status s = out.write("abc", 3); !s) return s;
    return Error{"read /proc/vmcore at 0x1000: Input/output error", EIO};
  });
  REQUIRE_FALSE(r.ok());
  CHECK(runs == 1);
  CHECK_THAT(r.error().message, Catch::Contains("Input/output error"));
}

TEST_CASE("http store: a server down fails after the configured attempts", "[http_store]") {
  Fixture f;
  f.fake->answer = [](const Seen&, size_t) -> Result<http::Response> {
    return Error{"cannot connect to dumps.example: Connection refused", ECONNREFUSED};
  };
  Result<StoredObject> r = f.store->put("a", "x");
  REQUIRE_FALSE(r.ok());
  CHECK(f.seen.size() == 3);  // the MKCOL, three times
  CHECK_THAT(r.error().message, Catch::Contains("Connection refused"));
}

TEST_CASE("http store: check() PUTs and DELETEs a test object; 401 names the credential", "[http_store]") {
  Fixture f;
  REQUIRE(f.store->check().ok());
  REQUIRE(f.seen.size() == 2);
  CHECK(f.seen[0].method == "PUT");
  CHECK(f.seen[0].url == "https://dumps.example/crash/.kdumpkit-check");
  CHECK(f.seen[1].method == "DELETE");

  f.fake->answer = [](const Seen&, size_t) -> Result<http::Response> { return http::Response{401, {}, {}}; };
  Status s = f.store->check();
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("401 Unauthorized"));
  CHECK(f.sleeps.empty());
}

TEST_CASE("http store: path segments are percent-encoded", "[http_store]") {
  CHECK(percent_encode_segment("host-2026-01-02-03:04:05") == "host-2026-01-02-03:04:05");
  CHECK(percent_encode_segment("a b/c?d#e%") == "a%20b%2Fc%3Fd%23e%25");
}

TEST_CASE("byte channel: bounded, ordered, and both sides can end it", "[http_store]") {
  http::ByteChannel ch(16);
  std::string got;
  std::thread reader([&] {
    char buf[5];
    for (;;) {
      Result<size_t> n = ch.read(buf, sizeof buf);
      REQUIRE(n.ok());
      if (*n == 0) break;
      got.append(buf, *n);
    }
  });
  std::string sent = pattern_bytes(1000);
  REQUIRE(ch.write(sent.data(), sent.size()).ok());
  ch.finish();
  reader.join();
  CHECK(got == sent);

  http::ByteChannel abandoned(16);
  abandoned.abandon("500 Internal Server Error");
  Status s = abandoned.write(sent.data(), sent.size());
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().errno_value == EPIPE);

  http::ByteChannel failed(16);
  failed.fail(Error{"engine broke"});
  char buf[4];
  Result<size_t> n = failed.read(buf, sizeof buf);
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().message == "engine broke");
}

TEST_CASE("secret files: root-only files are read, others refused without their content", "[http_store]") {
  char dir[] = "/tmp/kdk-secret-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string ok = std::string(dir) + "/token";
  REQUIRE(write_file(ok, "s3cr3t-value\n", 0600).ok());
  chmod(ok.c_str(), 0600);
  Result<std::string> token = read_secret_file(ok, "token_file");
  REQUIRE(token.ok());
  CHECK(*token == "s3cr3t-value");

  std::string open_file = std::string(dir) + "/open";
  REQUIRE(write_file(open_file, "s3cr3t-value\n", 0644).ok());
  chmod(open_file.c_str(), 0644);
  Result<std::string> refused = read_secret_file(open_file, "token_file");
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("token_file " + open_file));
  CHECK_THAT(refused.error().message, Catch::Contains("0644"));
  CHECK_THAT(refused.error().message, !Catch::Contains("s3cr3t"));

  std::string empty = std::string(dir) + "/empty";
  REQUIRE(write_file(empty, "\n", 0600).ok());
  chmod(empty.c_str(), 0600);
  CHECK_FALSE(read_secret_file(empty, "token_file").ok());
  CHECK_FALSE(read_secret_file(std::string(dir) + "/missing", "token_file").ok());

  std::remove(ok.c_str());
  std::remove(open_file.c_str());
  std::remove(empty.c_str());
  rmdir(dir);
}
