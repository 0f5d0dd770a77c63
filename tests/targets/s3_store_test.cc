// S3Store against an in-memory fake of the S3 operations it uses (the real
// server is tests/targets/s3_server_test.cc): request shapes, part sizes,
// retries of one part, abort on final failure.
#include "targets/s3/s3_store.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "targets/s3/part_schedule.h"
#include "targets/s3/s3_xml.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;
using namespace kdk::targets::s3;

namespace {

struct Seen {
  std::string method, path, query;
  size_t body_size = 0;
  http::Headers headers;
};

class FakeS3 : public http::Transport {
 public:
  std::map<std::string, std::string> objects;                 // path → bytes
  std::map<std::string, std::map<int, std::string>> uploads;  // id → part → bytes
  std::vector<Seen> seen;
  // Returns an answer instead of the fake's own, for fault injection.
  std::function<std::optional<Result<http::Response>>(const Seen&)> fault;
  int next_id = 1;

  Result<http::Response> perform(const http::Request& r) override {
    REQUIRE(r.url.rfind("http://s3.test:9000/", 0) == 0);
    std::string rest = r.url.substr(std::string("http://s3.test:9000").size());
    Seen s;
    s.method = r.method;
    size_t q = rest.find('?');
    s.path = rest.substr(0, q);
    s.query = q == std::string::npos ? "" : rest.substr(q + 1);
    s.body_size = r.body.size();
    s.headers = r.headers;
    seen.push_back(s);
    CHECK(has_header(r, "authorization"));
    CHECK(has_header(r, "x-amz-date"));
    CHECK(has_header(r, "x-amz-content-sha256"));
    if (r.body_size) CHECK(*r.body_size == r.body.size());
    if (fault) {
      if (auto answer = fault(s)) return *answer;
    }
    auto params = parse_query(s.query);
    if (r.method == "PUT" && params.empty()) {
      objects[s.path] = std::string(r.body);
      return ok("", {{"etag", "\"x\""}});
    }
    if (r.method == "POST" && params.count("uploads")) {
      std::string id = "up+" + std::to_string(next_id++);
      uploads[id];
      return ok(
          "<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>" +
          xml_escape(id) + "</UploadId></InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT" && params.count("partNumber")) {
      auto it = uploads.find(params["uploadId"]);
      if (it == uploads.end()) return error(404, "NoSuchUpload");
      int n = std::stoi(params["partNumber"]);
      it->second[n] = std::string(r.body);
      return ok("", {{"etag", "\"etag-" + std::to_string(n) + "\""}});
    }
    if (r.method == "POST" && params.count("uploadId")) {
      auto it = uploads.find(params["uploadId"]);
      if (it == uploads.end()) return error(404, "NoSuchUpload");
      std::string all;
      int expect = 1;
      for (auto& [n, data] : it->second) {
        CHECK(n == expect++);
        CHECK(std::string(r.body).find("<PartNumber>" + std::to_string(n) + "</PartNumber><ETag>&quot;etag-" +
                                       std::to_string(n) + "&quot;</ETag>") != std::string::npos);
        all += data;
      }
      objects[s.path] = all;
      uploads.erase(it);
      return ok("<CompleteMultipartUploadResult><ETag>\"e-3\"</ETag></CompleteMultipartUploadResult>");
    }
    if (r.method == "DELETE" && params.count("uploadId")) {
      uploads.erase(params["uploadId"]);
      return ok("");
    }
    if (r.method == "DELETE") {
      objects.erase(s.path);
      return http::Response{204, {}, ""};
    }
    return error(405, "MethodNotAllowed");
  }

  int count(const std::string& method, const std::string& query_part) const {
    int n = 0;
    for (auto& s : seen) n += s.method == method && s.query.find(query_part) != std::string::npos;
    return n;
  }

  static http::Response ok(std::string body, http::Headers headers = {}) { return {200, headers, body}; }
  static http::Response error(long status, const std::string& code) {
    return {status,
            {},
            "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>fake says " + code +
                "</Message></Error>"};
  }

 private:
  static bool has_header(const http::Request& r, const std::string& name) {
    for (auto& [n, v] : r.headers) {
      if (n == name) return true;
    }
    return false;
  }
  static std::string decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  }
  static std::map<std::string, std::string> parse_query(const std::string& q) {
    std::map<std::string, std::string> out;
    size_t i = 0;
    while (i < q.size()) {
      size_t amp = q.find('&', i);
      if (amp == std::string::npos) amp = q.size();
      std::string kv = q.substr(i, amp - i);
      size_t eq = kv.find('=');
      out[decode(kv.substr(0, eq))] = eq == std::string::npos ? "" : decode(kv.substr(eq + 1));
      i = amp + 1;
    }
    return out;
  }
};

struct Harness {
  FakeS3 s3;
  std::vector<std::chrono::milliseconds> sleeps;
  S3Store store;
  explicit Harness(uint64_t first_part = 5 * kMiB, int attempts = 3)
      : store(options(first_part, attempts), s3, env(), [] { return std::time_t{1764158400}; }) {}

  static S3Options options(uint64_t first_part, int attempts) {
    S3Options o;
    o.endpoint = "http://s3.test:9000";
    o.bucket = "dumps";
    o.prefix = "crash/host-2026-11-26-12:00:00";
    o.credentials = {"AKID", "SECRET", ""};
    o.first_part_size = first_part;
    o.retry.attempts = attempts;
    return o;
  }
  RetryEnv env() {
    RetryEnv e;
    e.clock.now = [] { return std::chrono::milliseconds(0); };
    e.clock.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    e.random = [] { return 0.5; };
    return e;
  }
};

// A deterministic stream of `size` bytes written in uneven chunks.
std::string pattern(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

StreamProducer producer_of(const std::string& data, size_t chunk = 777777) {
  return [&data, chunk](ByteWriter& out) -> Status {
    for (size_t off = 0; off < data.size(); off += chunk) {
      if (Status s = out.write(data.data() + off, std::min(chunk, data.size() - off)); !s) return s;
    }
    return {};
  };
}

const std::string kObjectPath = "/dumps/crash/host-2026-11-26-12%3A00%3A00/vmcore.flat";

}  // namespace

TEST_CASE("S3 part sizes grow within a fixed memory budget", "[s3]") {
  CHECK(part_size(16 * kMiB, 1) == 16 * kMiB);
  CHECK(part_size(16 * kMiB, 1000) == 16 * kMiB);
  CHECK(part_size(16 * kMiB, 1001) == 32 * kMiB);
  CHECK(part_size(16 * kMiB, 2001) == 64 * kMiB);
  CHECK(part_size(1 * kMiB, 1) == 5 * kMiB);           // S3's minimum
  CHECK(part_size(16 * kMiB, 10000) == kPartBudget);   // never more than 64 MiB in memory
  CHECK(part_size(1024 * kMiB, 4001) == 1024 * kMiB);  // unless the configuration asks for more
  // From the default first size 10,000 parts hold 560 GiB; from the smallest 450 GiB.
  CHECK(schedule_capacity(16 * kMiB) == (16 + 32 + 8 * 64) * 1000 * kMiB);
  CHECK(schedule_capacity(5 * kMiB) == (5 + 10 + 20 + 40 + 6 * 64) * 1000 * kMiB);
  // Sizes never shrink and every one but the last may be S3's minimum or more.
  for (uint32_t n = 1; n < kMaxParts; ++n) {
    CHECK(part_size(5 * kMiB, n) <= part_size(5 * kMiB, n + 1));
    CHECK(part_size(5 * kMiB, n) >= kMinPartSize);
  }
  // A 500 GiB dump from 16 MiB parts: how many parts and the largest buffer.
  uint64_t left = 500ULL * 1024 * kMiB, largest = 0;
  uint32_t n = 0;
  while (left > 0) {
    uint64_t p = part_size(16 * kMiB, ++n);
    largest = std::max(largest, p);
    left -= std::min(left, p);
  }
  CHECK(n < kMaxParts);
  CHECK(largest == kPartBudget);
}

TEST_CASE("S3 XML answers are read without trusting them", "[s3]") {
  CHECK(xml_element_text("<a><UploadIdMarker>x</UploadIdMarker><UploadId>id&amp;1&#x41;&#66;</UploadId></a>",
                         "UploadId") == "id&1AB");
  CHECK(xml_element_text("<UploadId/>", "UploadId") == "");
  CHECK(xml_element_text("<UploadId attr=\"1\">v</UploadId>", "UploadId") == "v");
  CHECK_FALSE(xml_element_text("<UploadId>never closed", "UploadId"));
  CHECK_FALSE(xml_element_text("<UploadId", "UploadId"));
  CHECK_FALSE(xml_element_text("", "UploadId"));
  CHECK(xml_element_text("<X>&bogus; &#xZZ; &#0; &</X>", "X") == "&bogus; &#xZZ; &#0; &");
  auto e = parse_s3_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The "
      "request "
      "signature we calculated does not match &lt;x&gt;</Message><RequestId>1</RequestId></Error>");
  REQUIRE(e);
  CHECK(e->code == "SignatureDoesNotMatch");
  CHECK(e->message == "The request signature we calculated does not match <x>");
  CHECK_FALSE(parse_s3_error("<CompleteMultipartUploadResult/>"));
  CHECK_FALSE(parse_s3_error("\x01\x02garbage<<<>>>"));
  CHECK(xml_escape("\"a\"&<b>'") == "&quot;a&quot;&amp;&lt;b&gt;&apos;");
  // Random bytes never crash the reader.
  std::string junk = pattern(4096);
  for (size_t i = 0; i < junk.size(); i += 97) junk[i] = '<';
  (void)xml_element_text(junk, "UploadId");
  (void)parse_s3_error(junk + "<Error><Code>");
}

TEST_CASE("S3Store put is one signed path-style PutObject", "[s3]") {
  Harness h;
  auto r = h.store.put("vmcore-dmesg.txt", "hello");
  REQUIRE(r.ok());
  CHECK(r->size == 5);
  CHECK(r->sha256 == sha256_hex("hello", 5));
  REQUIRE(h.s3.seen.size() == 1);
  CHECK(h.s3.seen[0].path == "/dumps/crash/host-2026-11-26-12%3A00%3A00/vmcore-dmesg.txt");
  CHECK(h.s3.objects.at(h.s3.seen[0].path) == "hello");
  bool host_ok = false;
  for (auto& [n, v] : h.s3.seen[0].headers) host_ok |= n == "host" && v == "s3.test:9000";
  CHECK(host_ok);
  CHECK(h.store.where() == "s3://dumps/crash/host-2026-11-26-12:00:00 at http://s3.test:9000");
}

TEST_CASE("S3Store streams that fit in the first part are one PutObject", "[s3]") {
  Harness h;
  for (size_t size : {size_t{0}, size_t{1000}, size_t{5 * kMiB}}) {
    h.s3.seen.clear();
    std::string data = pattern(size);
    auto r = h.store.put_stream("vmcore.flat", producer_of(data));
    REQUIRE(r.ok());
    CHECK(r->size == size);
    CHECK(r->sha256 == sha256_hex(data.data(), data.size()));
    REQUIRE(h.s3.seen.size() == 1);
    CHECK(h.s3.seen[0].method == "PUT");
    CHECK(h.s3.seen[0].query.empty());
    CHECK(h.s3.objects.at(kObjectPath) == data);
  }
}

TEST_CASE("S3Store streams larger than a part as a multipart upload", "[s3]") {
  Harness h;
  std::string data = pattern(12 * kMiB + 3);
  auto r = h.store.put_stream("vmcore.flat", producer_of(data));
  REQUIRE(r.ok());
  CHECK(r->size == data.size());
  CHECK(r->sha256 == sha256_hex(data.data(), data.size()));
  CHECK(h.s3.objects.at(kObjectPath) == data);
  CHECK(h.s3.uploads.empty());
  CHECK(h.s3.count("POST", "uploads") == 1);
  CHECK(h.s3.count("PUT", "partNumber=") == 3);
  CHECK(h.s3.count("POST", "uploadId=") == 1);
  // The valueless parameter goes on the URL bare; the id is encoded.
  CHECK(h.s3.seen[0].query == "uploads");
  CHECK(h.s3.seen[1].query == "partNumber=1&uploadId=up%2B1");
  CHECK(h.s3.seen[1].body_size == 5 * kMiB);
  CHECK(h.s3.seen[3].body_size == 2 * kMiB + 3);
  CHECK(h.sleeps.empty());
}

TEST_CASE("S3Store retries one part on its own", "[s3]") {
  Harness h;
  int failures = 0;
  h.s3.fault = [&](const Seen& s) -> std::optional<Result<http::Response>> {
    if (s.query.find("partNumber=2&") != std::string::npos && failures < 2) {
      ++failures;
      if (failures == 1) return Result<http::Response>(Error{"connection cut midway", ECONNRESET});
      return Result<http::Response>(FakeS3::error(503, "SlowDown"));
    }
    return std::nullopt;
  };
  std::string data = pattern(11 * kMiB);
  auto r = h.store.put_stream("vmcore.flat", producer_of(data));
  REQUIRE(r.ok());
  CHECK(h.s3.objects.at(kObjectPath) == data);
  CHECK(h.s3.count("PUT", "partNumber=1&") == 1);
  CHECK(h.s3.count("PUT", "partNumber=2&") == 3);
  CHECK(h.s3.count("POST", "uploads") == 1);
  REQUIRE(h.sleeps.size() == 2);
  // The shared policy (targets/retry.h): 1 s then 2 s, half of each random.
  CHECK(h.sleeps[0] == std::chrono::milliseconds(750));
  CHECK(h.sleeps[1] == std::chrono::milliseconds(1500));
}

TEST_CASE("S3Store aborts the upload when a part keeps failing", "[s3]") {
  Harness h;
  h.s3.fault = [&](const Seen& s) -> std::optional<Result<http::Response>> {
    if (s.query.find("partNumber=2&") != std::string::npos)
      return Result<http::Response>(Error{"injected cut", ECONNRESET});
    return std::nullopt;
  };
  std::string data = pattern(16 * kMiB);
  size_t written = 0;
  auto r = h.store.put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
    for (size_t off = 0; off < data.size(); off += kMiB) {
      if (Status s = out.write(data.data() + off, kMiB); !s)
        return Error{"producer stopped: " + s.error().message};
      written += kMiB;
    }
    return {};
  });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("UploadPart 2") != std::string::npos);
  CHECK(r.error().message.find("injected cut") != std::string::npos);
  CHECK(r.error().message.find("after 3 tries") != std::string::npos);
  CHECK(written == 10 * kMiB);  // the producer was stopped at the failing part
  CHECK(h.s3.count("PUT", "partNumber=2&") == 3);
  CHECK(h.s3.count("DELETE", "uploadId=") == 1);
  CHECK(h.s3.uploads.empty());
  CHECK(h.s3.objects.empty());
  CHECK(h.s3.count("POST", "uploadId=") == 0);
}

TEST_CASE("S3Store aborts when the producer fails or completion is refused", "[s3]") {
  Harness h;
  std::string data = pattern(6 * kMiB);
  SECTION("producer") {
    auto r = h.store.put_stream("vmcore.flat", [&](ByteWriter& out) -> Status {
      if (Status s = producer_of(data)(out); !s) return s;
      return Error{"vmcore read error at 0x1000"};
    });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "vmcore read error at 0x1000");
  }
  SECTION("completion with an error inside a 200 answer, retried then final") {
    int tries = 0;
    h.s3.fault = [&](const Seen& s) -> std::optional<Result<http::Response>> {
      if (s.method == "POST" && s.query.rfind("uploadId=", 0) == 0) {
        ++tries;
        if (tries == 1)
          return Result<http::Response>(http::Response{200, {}, "<Error><Code>InternalError</Code></Error>"});
        return Result<http::Response>(FakeS3::error(400, "InvalidPart"));
      }
      return std::nullopt;
    };
    auto r = h.store.put_stream("vmcore.flat", producer_of(data));
    REQUIRE_FALSE(r.ok());
    CHECK(tries == 2);
    CHECK(r.error().message.find("CompleteMultipartUpload") != std::string::npos);
    CHECK(r.error().message.find("InvalidPart") != std::string::npos);
  }
  CHECK(h.s3.count("DELETE", "uploadId=") == 1);
  CHECK(h.s3.uploads.empty());
  CHECK(h.s3.objects.empty());
}

TEST_CASE("S3Store does not retry a refused request and names the S3 error", "[s3]") {
  Harness h;
  h.s3.fault = [&](const Seen&) -> std::optional<Result<http::Response>> {
    return Result<http::Response>(FakeS3::error(403, "SignatureDoesNotMatch"));
  };
  Status s = h.store.check();
  REQUIRE_FALSE(s.ok());
  CHECK(h.s3.seen.size() == 1);
  CHECK(s.error().message.find("HTTP 403 SignatureDoesNotMatch: fake says SignatureDoesNotMatch") !=
        std::string::npos);
  CHECK(s.error().message.find("SECRET") == std::string::npos);
}

TEST_CASE("S3Store does not retry a certificate failure", "[s3]") {
  Harness h;
  h.s3.fault = [&](const Seen&) -> std::optional<Result<http::Response>> {
    return Result<http::Response>(Error{"PUT https://s3.test: certificate does not verify"});
  };
  Status s = h.store.check();
  REQUIRE_FALSE(s.ok());
  CHECK(h.s3.seen.size() == 1);
  CHECK(s.error().message.find("certificate does not verify") != std::string::npos);
}

TEST_CASE("S3Store check writes and deletes a test object", "[s3]") {
  Harness h;
  REQUIRE(h.store.check().ok());
  CHECK(h.s3.count("PUT", "") == 1);
  CHECK(h.s3.count("DELETE", "") == 1);
  CHECK(h.s3.objects.empty());
}
