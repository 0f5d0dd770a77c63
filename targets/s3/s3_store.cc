#include "targets/s3/s3_store.h"

#include <algorithm>
#include <chrono>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "targets/s3/credentials.h"
#include "targets/s3/s3_xml.h"
#include "util/log.h"
#include "util/sha256.h"

namespace kdk::targets::s3 {

struct S3Store::Call {
  std::string what;  // "PutObject", "UploadPart 3", ... for messages
  std::string method;
  std::string key;  // decoded object key ("" for the bucket itself)
  std::vector<QueryParam> query;
  std::string_view body;
  std::string payload_sha256;
  http::Headers headers;  // extra headers (signed)
  // CompleteMultipartUpload may fail after a 200 status: the error is then
  // in the body.
  bool error_may_be_in_body = false;
};

namespace {

std::string strip_slashes(std::string s) {
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string endpoint_authority(const std::string& endpoint) {
  size_t start = endpoint.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = endpoint.find('/', start);
  std::string host = endpoint.substr(start, end == std::string::npos ? std::string::npos : end - start);
  // What libcurl sends as Host: the default port is left out.
  bool https = endpoint.rfind("https://", 0) == 0;
  std::string default_port = https ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0 &&
      host.back() != ']') {
    host.resize(host.size() - default_port.size());
  }
  return host;
}

// S3 puts its reason in an XML body: RequestTimeout (400) when the body
// stalled, InternalError or SlowDown even inside a 200 answer to
// CompleteMultipartUpload; those are worth another try, as the shared
// policy's statuses are.
Verdict judge_s3(const Result<http::Response>& outcome, bool error_may_be_in_body) {
  if (!outcome.ok()) return classify(outcome);
  auto error = parse_s3_error(outcome->body);
  std::string code = error ? error->code : "";
  bool retry_code = code == "RequestTimeout" || code == "InternalError" || code == "SlowDown";
  if (outcome->status >= 200 && outcome->status < 300) {
    if (!error_may_be_in_body || !error) return Verdict::kDone;
    return retry_code ? Verdict::kRetry : Verdict::kFail;
  }
  if (retry_code) return Verdict::kRetry;
  return classify(outcome);
}

std::string describe_failure(const http::Response& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  if (auto e = parse_s3_error(r.body)) {
    if (!e->code.empty()) out += " " + e->code;
    if (!e->message.empty()) out += ": " + e->message;
  }
  return out;
}

std::string header(const http::Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

// Collects the stream one part at a time; `flush` uploads a full part.
class PartWriter : public ByteWriter {
 public:
  using Flush = std::function<Status(std::string_view part, uint32_t number)>;
  PartWriter(uint64_t first_part_size, Flush flush) : first_(first_part_size), flush_(std::move(flush)) {}

  Status write(const void* data, size_t size) override {
    if (failure_) return *failure_;
    const char* p = static_cast<const char*>(data);
    sha_.update(p, size);
    total_ += size;
    while (size > 0) {
      // A full buffer is sent only when more bytes follow, so a stream that
      // fits in the first part stays one PutObject.
      if (buffer_.size() == target()) {
        if (Status s = send(); !s) return s;
      }
      if (buffer_.capacity() < target()) {
        if (Status s = grow(); !s) return s;
      }
      size_t n = std::min<size_t>(size, target() - buffer_.size());
      buffer_.append(p, n);
      p += n;
      size -= n;
    }
    return {};
  }

  // Sends what is buffered as the last part.
  Status send_last() { return buffer_.empty() ? Status{} : send(); }

  uint32_t parts_sent() const { return next_ - 1; }
  const std::string& buffer() const { return buffer_; }
  uint64_t total() const { return total_; }
  std::string digest() { return sha_.hex_digest(); }
  const std::optional<Error>& failure() const { return failure_; }

 private:
  uint64_t target() const { return part_size(first_, next_); }

  Status grow() {
    try {
      // Release first: the old and the new buffer never coexist.
      std::string fresh;
      std::string keep;
      keep.swap(buffer_);
      fresh.reserve(target());
      fresh.append(keep);
      buffer_.swap(fresh);
    } catch (const std::bad_alloc&) {
      failure_ = Error{"no memory for a multipart part of " + std::to_string(target() / kMiB) + " MiB"};
      return *failure_;
    }
    return {};
  }

  Status send() {
    if (next_ > kMaxParts) {
      failure_ = Error{"the stream exceeds S3's 10,000 parts"};
      return *failure_;
    }
    Status s = flush_(buffer_, next_);
    if (!s) {
      failure_ = s.error();
      return s;
    }
    ++next_;
    buffer_.clear();
    return {};
  }

  uint64_t first_;
  Flush flush_;
  std::string buffer_;
  uint32_t next_ = 1;
  uint64_t total_ = 0;
  Sha256 sha_;
  std::optional<Error> failure_;
};

}  // namespace

Result<S3Options> s3_options(const config::NetworkTarget& target, int attempts, const std::string& subdir) {
  S3Options o;
  o.region = target.option("region", "us-east-1");
  o.endpoint = target.option("endpoint", "https://s3." + o.region + ".amazonaws.com");
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  o.bucket = target.host;
  o.prefix = strip_slashes(target.path);
  std::string sub = strip_slashes(subdir);
  if (!sub.empty()) o.prefix = o.prefix.empty() ? sub : o.prefix + "/" + sub;
  o.retry.attempts = std::max(1, attempts);
  std::string part = target.option("part_size", "16");
  o.first_part_size = std::stoull(part) * kMiB;  // validated by config (5..1024)
  std::string cred = target.option("credentials_file");
  if (cred.empty()) return Error{"S3 target " + target.url() + ": no credentials_file option"};
  auto c = read_credentials_file(cred);
  if (!c) return c.error().within("S3 target " + target.url());
  o.credentials = std::move(*c);
  return o;
}

http::TransportOptions s3_transport_options(const config::NetworkTarget& target) {
  http::TransportOptions t;
  t.tls.ca_file = target.option("ca");
  t.proxy = target.option("proxy");
  return t;
}

S3Store::S3Store(S3Options options, http::Transport& transport, RetryEnv env,
                 std::function<std::time_t()> wall_time)
    : options_(std::move(options)),
      transport_(transport),
      env_(std::move(env)),
      wall_time_(std::move(wall_time)),
      host_(endpoint_authority(options_.endpoint)) {}

std::string S3Store::where() const {
  return "s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix) + " at " +
         options_.endpoint;
}

std::string S3Store::key_of(const std::string& name) const {
  return options_.prefix.empty() ? name : options_.prefix + "/" + name;
}

std::string S3Store::url_of(const std::string& name) const {
  return options_.endpoint + "/" + uri_encode(options_.bucket, false) + "/" + uri_encode(key_of(name), true);
}

Result<http::Response> S3Store::perform(const Call& call) {
  SigningRequest sr;
  sr.method = call.method;
  sr.path = "/" + options_.bucket + (call.key.empty() ? "" : "/" + call.key);
  sr.query = call.query;
  sr.headers.emplace_back("host", host_);
  for (const auto& h : call.headers) sr.headers.push_back(h);
  sr.payload_sha256 = call.payload_sha256;
  std::string authorization = sign_s3_request(sr, options_.credentials, options_.region, wall_time_());

  http::Request req;
  req.method = call.method;
  req.url = options_.endpoint + canonical_uri(sr.path, PathStyle::kS3);
  std::string q = url_query(call.query);
  if (!q.empty()) req.url += "?" + q;
  req.headers = sr.headers;
  req.headers.emplace_back("authorization", std::move(authorization));
  req.body = call.body;
  if (call.method == "PUT" || call.method == "POST") req.body_size = call.body.size();
  return transport_.perform(req);
}

Result<http::Response> S3Store::perform_with_retries(const Call& call) {
  std::string what = "S3 " + call.what + " s3://" + options_.bucket + "/" + call.key;
  RetryOutcome out = with_retries(
      options_.retry, env_, what, [&] { return perform(call); },
      [&](const Result<http::Response>& r) { return judge_s3(r, call.error_may_be_in_body); });
  if (out.verdict == Verdict::kDone) return std::move(out.last);
  std::string why = out.last.ok() ? describe_failure(*out.last) : out.last.error().message;
  std::string tries = out.attempts > 1 ? " (after " + std::to_string(out.attempts) + " tries)" : "";
  return Error{what + ": " + why + tries, out.last.ok() ? 0 : out.last.error().errno_value};
}

Result<StoredObject> S3Store::put_object(const std::string& key, std::string_view data,
                                         const std::string& sha256) {
  Call c;
  c.what = "PutObject";
  c.method = "PUT";
  c.key = key;
  c.body = data;
  c.payload_sha256 = sha256;
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  return StoredObject{data.size(), sha256};
}

Result<StoredObject> S3Store::put(const std::string& name, std::string_view data) {
  return put_object(key_of(name), data, sha256_hex(data.data(), data.size()));
}

Result<std::string> S3Store::create_upload(const std::string& key) {
  Call c;
  c.what = "CreateMultipartUpload";
  c.method = "POST";
  c.key = key;
  c.query = {{"uploads", ""}};
  c.payload_sha256 = std::string(kEmptyPayloadSha256);
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  auto id = xml_element_text(r->body, "UploadId");
  if (!id || id->empty()) {
    return Error{"S3 CreateMultipartUpload s3://" + options_.bucket + "/" + key +
                 ": no UploadId in the answer"};
  }
  return *id;
}

Result<std::string> S3Store::upload_part(const std::string& key, const std::string& upload_id,
                                         uint32_t number, std::string_view data) {
  Call c;
  c.what = "UploadPart " + std::to_string(number);
  c.method = "PUT";
  c.key = key;
  c.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
  c.body = data;
  // A signed payload hash: S3 checks the part against it, so a part
  // damaged on the way is refused (and retried) rather than stored.
  c.payload_sha256 = sha256_hex(data.data(), data.size());
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  std::string etag = header(*r, "etag");
  if (etag.empty()) {
    return Error{"S3 " + c.what + " s3://" + options_.bucket + "/" + key + ": no ETag in the answer"};
  }
  return etag;
}

Status S3Store::complete_upload(const std::string& key, const std::string& upload_id,
                                const std::string& parts_xml) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
                     parts_xml + "</CompleteMultipartUpload>";
  Call c;
  c.what = "CompleteMultipartUpload";
  c.method = "POST";
  c.key = key;
  c.query = {{"uploadId", upload_id}};
  c.body = body;
  c.payload_sha256 = sha256_hex(body.data(), body.size());
  c.headers = {{"content-type", "application/xml"}};
  c.error_may_be_in_body = true;
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  return {};
}

Status S3Store::abort_upload(const std::string& key, const std::string& upload_id) {
  Call c;
  c.what = "AbortMultipartUpload";
  c.method = "DELETE";
  c.key = key;
  c.query = {{"uploadId", upload_id}};
  c.payload_sha256 = std::string(kEmptyPayloadSha256);
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  return {};
}

Result<StoredObject> S3Store::put_stream(const std::string& name, const StreamProducer& produce) {
  const std::string key = key_of(name);
  std::string upload_id;
  std::string parts_xml;
  PartWriter writer(options_.first_part_size, [&](std::string_view part, uint32_t number) -> Status {
    if (upload_id.empty()) {
      auto id = create_upload(key);
      if (!id) return id.error();
      upload_id = std::move(*id);
      log::info("s3: multipart upload of %s started (parts of %llu MiB, growing)", key.c_str(),
                static_cast<unsigned long long>(options_.first_part_size >> 20));
    }
    auto etag = upload_part(key, upload_id, number, part);
    if (!etag) return etag.error();
    parts_xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + xml_escape(*etag) +
                 "</ETag></Part>";
    return {};
  });

  // On a failure once the upload exists, abort it: S3 keeps (and bills)
  // the parts of an open upload forever.
  auto fail = [&](Error error) -> Result<StoredObject> {
    if (!upload_id.empty()) {
      Status aborted = abort_upload(key, upload_id);
      if (!aborted) error.message += "; the upload could not be aborted either: " + aborted.error().message;
    }
    return error;
  };

  Status produced = produce(writer);
  if (!produced) return fail(writer.failure() ? *writer.failure() : produced.error());
  if (upload_id.empty() && writer.parts_sent() == 0) {
    // The whole stream fit in the first part: one PutObject.
    std::string digest = writer.digest();
    return put_object(key, writer.buffer(), digest);
  }
  if (Status s = writer.send_last(); !s) return fail(s.error());
  if (Status s = complete_upload(key, upload_id, parts_xml); !s) return fail(s.error());
  log::info("s3: multipart upload of %s complete: %u parts, %llu bytes", key.c_str(), writer.parts_sent(),
            static_cast<unsigned long long>(writer.total()));
  return StoredObject{writer.total(), writer.digest()};
}

Status S3Store::remove(const std::string& name) {
  Call c;
  c.what = "DeleteObject";
  c.method = "DELETE";
  c.key = key_of(name);
  c.payload_sha256 = std::string(kEmptyPayloadSha256);
  auto r = perform_with_retries(c);
  if (!r) return r.error();
  return {};
}

Status S3Store::check() {
  std::string name = ".kdumpkit-check-" + std::to_string(static_cast<long long>(wall_time_()));
  std::string text = "kdumpkit load: write check, deleted right away\n";
  auto put_result = put(name, text);
  if (!put_result) return put_result.error().within("cannot write a test object to " + where());
  if (Status s = remove(name); !s)
    return s.error().within("wrote but cannot delete a test object in " + where());
  return {};
}

}  // namespace kdk::targets::s3
