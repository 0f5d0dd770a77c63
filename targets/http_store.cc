#include "targets/http_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "targets/http/byte_channel.h"
#include "targets/secret_file.h"
#include "util/format.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/text.h"

namespace kdk::targets {
namespace {

// Statuses MKCOL answers for "made" or "already there".
bool collection_exists(long status) {
  return (status >= 200 && status < 300) || status == 405 || status == 301;
}

}  // namespace

std::string percent_encode_segment(std::string_view segment) {
  // A path segment: RFC 3986 pchar, without '/'.
  return percent_encode(segment, ":@!$&'()*+,;=");
}

HttpStoreSettings http_store_settings(const config::Config& config, const std::string& default_ca_file) {
  HttpStoreSettings settings;
  settings.retry.attempts = std::max(config.retries, 1);
  settings.default_ca_file = default_ca_file;
  return settings;
}

Result<std::unique_ptr<HttpStore>> HttpStore::open(const config::NetworkTarget& target,
                                                   const std::string& crash_dir,
                                                   const HttpStoreSettings& settings) {
  if (target.scheme != "http" && target.scheme != "https")
    return Error{"not an HTTP(S) target: " + target.url()};
  std::string token_file = target.option("token_file");
  std::string basic_file = target.option("basic_auth_file");
  if (!token_file.empty() && !basic_file.empty())
    return Error{target.url() + ": token_file and basic_auth_file exclude each other"};

  std::string auth_header, auth_source;
  if (!token_file.empty()) {
    Result<std::string> token = read_secret_file(token_file, "token_file");
    if (!token) return token.error().within(target.url());
    if (token->find_first_of("\r\n") != std::string::npos)
      return Error{target.url() + ": token_file " + token_file + " holds more than one line"};
    auth_header = "Bearer " + *token;
    auth_source = "token_file " + token_file;
  } else if (!basic_file.empty()) {
    Result<std::string> pair = read_secret_file(basic_file, "basic_auth_file");
    if (!pair) return pair.error().within(target.url());
    if (pair->find(':') == std::string::npos || pair->find_first_of("\r\n") != std::string::npos)
      return Error{target.url() + ": basic_auth_file " + basic_file + " must hold one line user:password"};
    auth_header = "Basic " + base64_encode(*pair);
    auth_source = "basic_auth_file " + basic_file;
  }

  http::TransportOptions options;
  options.connect_timeout = settings.connect_timeout;
  options.stall_timeout = settings.stall_timeout;
  options.proxy = target.option("proxy");
  options.tls.ca_file = target.option("ca", settings.default_ca_file);
  options.tls.client_cert_file = target.option("client_cert");
  options.tls.client_key_file = target.option("client_key");
  if (!options.tls.client_cert_file.empty()) {
    // The key is the secret: in its own file, or inside the certificate file.
    const std::string& key =
        options.tls.client_key_file.empty() ? options.tls.client_cert_file : options.tls.client_key_file;
    if (Status s = check_secret_file(key, options.tls.client_key_file.empty() ? "client_cert" : "client_key");
        !s)
      return s.error().within(target.url());
    if (auth_source.empty()) auth_source = "client_cert " + options.tls.client_cert_file;
  } else if (!options.tls.client_key_file.empty()) {
    return Error{target.url() + ": client_key without client_cert"};
  }
  for (const std::string* file : {&options.tls.ca_file, &options.tls.client_cert_file}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0)
      return Error::from_errno(errno, target.url() + ": " + *file);
  }

  std::string base = target.scheme + "://" + target.host + target.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto store = std::make_unique<HttpStore>(http::make_curl_transport(options), base, crash_dir,
                                           std::move(auth_header), settings);
  store->auth_source_ = std::move(auth_source);
  return store;
}

HttpStore::HttpStore(std::unique_ptr<http::Transport> transport, std::string base_url, std::string crash_dir,
                     std::string auth_header, HttpStoreSettings settings)
    : transport_(std::move(transport)),
      base_url_(std::move(base_url)),
      crash_dir_(std::move(crash_dir)),
      auth_header_(std::move(auth_header)),
      settings_(std::move(settings)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

std::string HttpStore::where() const { return crash_dir_.empty() ? base_url_ : base_url_ + "/" + crash_dir_; }

std::string HttpStore::object_url(const std::string& name) const {
  std::string url = base_url_ + "/";
  if (!crash_dir_.empty()) url += percent_encode_segment(crash_dir_) + "/";
  return url + percent_encode_segment(name);
}

Error HttpStore::failure(const std::string& what, const RetryOutcome& outcome) const {
  std::string tries = outcome.attempts > 1 ? format(" (%d attempts)", outcome.attempts) : "";
  if (!outcome.last.ok())
    return Error{outcome.last.error().message + tries, outcome.last.error().errno_value};
  long status = outcome.last->status;
  std::string text = what + ": " + status_text(status);
  if (status == 401) {
    text += auth_source_.empty() ? ": the server wants credentials (token_file or basic_auth_file)"
                                 : ": check " + auth_source_;
  } else if (status == 403) {
    text += auth_source_.empty() ? ": the server refuses the upload (a client certificate or credentials?)"
                                 : ": the server refuses the upload with " + auth_source_;
  } else if (status == 400 && auth_source_.starts_with("client_cert")) {
    text += ": nginx answers so when it does not accept the client certificate (" + auth_source_ + ")";
  } else if (status == 413) {
    text += ": the server limits the upload size (nginx: client_max_body_size 0)";
  }
  return Error{text + tries};
}

Status HttpStore::ensure_collection() {
  if (collection_ready_ || crash_dir_.empty()) return {};
  std::string url = base_url_ + "/" + percent_encode_segment(crash_dir_) + "/";
  auto mkcol = [&](const std::string& u) {
    return with_retries(settings_.retry, settings_.env, "MKCOL " + u, [&]() -> Result<http::Response> {
      http::Request request{.method = "MKCOL", .url = u};
      if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
      return transport_->perform(request);
    });
  };
  RetryOutcome outcome = mkcol(url);
  if (!outcome.last.ok()) return Error{outcome.last.error().message, outcome.last.error().errno_value};
  if (outcome.last->status == 409) {
    // A parent is missing: make each collection of the target's path, then ours.
    size_t scheme_end = base_url_.find("://");
    size_t pos = base_url_.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    while (pos != std::string::npos) {
      size_t next = base_url_.find('/', pos + 1);
      std::string prefix = base_url_.substr(0, next == std::string::npos ? std::string::npos : next) + "/";
      RetryOutcome parent = mkcol(prefix);
      if (!parent.last.ok()) return Error{parent.last.error().message, parent.last.error().errno_value};
      pos = next;
    }
    outcome = mkcol(url);
    if (!outcome.last.ok()) return Error{outcome.last.error().message, outcome.last.error().errno_value};
  }
  if (!collection_exists(outcome.last->status)) {
    // Not every upload server has collections; the PUT will tell.
    log::info("MKCOL %s: %s; trying the upload anyway", where().c_str(),
              status_text(outcome.last->status).c_str());
  }
  collection_ready_ = true;
  return {};
}

Result<StoredObject> HttpStore::put(const std::string& name, std::string_view data) {
  if (Status s = ensure_collection(); !s) return s.error();
  std::string url = object_url(name);
  RetryOutcome outcome =
      with_retries(settings_.retry, settings_.env, "PUT " + url, [&]() -> Result<http::Response> {
        http::Request request{.method = "PUT", .url = url, .body = data, .body_size = data.size()};
        if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
        return transport_->perform(request);
      });
  if (outcome.verdict != Verdict::kDone) return failure("PUT " + url, outcome);
  return StoredObject{data.size(), sha256_hex(data.data(), data.size())};
}

Result<StoredObject> HttpStore::put_stream(const std::string& name, const StreamProducer& produce) {
  if (Status s = ensure_collection(); !s) return s.error();
  std::string url = object_url(name);
  StoredObject stored;
  bool producer_failed = false;
  bool produced_all = false;
  Error producer_error;

  auto attempt = [&]() -> Result<http::Response> {
    // Counts and hashes what the producer hands over, i.e. what is sent.
    class Counting : public ByteWriter {
     public:
      explicit Counting(http::ByteChannel& channel) : channel_(channel) {}
      Status write(const void* data, size_t size) override {
        if (Status s = channel_.write(data, size); !s) {
          refused = true;
          return s;
        }
        sha.update(data, size);
        bytes += size;
        return {};
      }
      Sha256 sha;
      uint64_t bytes = 0;
      bool refused = false;  // the upload had ended

     private:
      http::ByteChannel& channel_;
    };

    http::ByteChannel channel(settings_.stream_buffer);
    Counting counting(channel);
    Result<http::Response> sent = Error{"not sent"};
    std::thread sender([&] {
      http::Request request{.method = "PUT", .url = url};
      if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
      request.body_source = [&](char* buffer, size_t max) { return channel.read(buffer, max); };
      sent = transport_->perform(request);
      channel.abandon(sent.ok() ? status_text(sent->status) : sent.error().message);
    });
    Status produced = produce(counting);
    if (produced) {
      channel.finish();
    } else {
      channel.fail(produced.error());
    }
    sender.join();
    // The producer's own failure (not a write refused because the upload
    // ended) is final: running it again would fail the same way.
    produced_all = produced.ok();
    if (!produced && !counting.refused) {
      producer_failed = true;
      producer_error = produced.error();
    }
    if (sent.ok() && produced) {
      stored.size = counting.bytes;
      stored.sha256 = counting.sha.hex_digest();
    }
    return sent;
  };
  auto judge = [&](const Result<http::Response>& outcome) {
    if (producer_failed) return Verdict::kFail;
    Verdict verdict = classify(outcome);
    // A server that answers 2xx before reading the whole body has not stored it.
    return verdict == Verdict::kDone && !produced_all ? Verdict::kRetry : verdict;
  };
  RetryOutcome outcome = with_retries(settings_.retry, settings_.env, "PUT " + url, attempt, judge);
  if (outcome.verdict == Verdict::kDone) return stored;
  remove(name);
  if (producer_failed) return producer_error.within("PUT " + url);
  return failure("PUT " + url, outcome);
}

void HttpStore::remove(const std::string& name) {
  http::Request request{.method = "DELETE", .url = object_url(name)};
  if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
  (void)transport_->perform(request);
}

Status HttpStore::check() {
  std::string url = base_url_ + "/" + ".kdumpkit-check";
  RetryPolicy once = settings_.retry;
  once.attempts = 1;
  std::string_view probe = "kdumpkit load check\n";
  RetryOutcome outcome = with_retries(once, settings_.env, "PUT " + url, [&]() -> Result<http::Response> {
    http::Request request{.method = "PUT", .url = url, .body = probe, .body_size = probe.size()};
    if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
    return transport_->perform(request);
  });
  if (outcome.verdict != Verdict::kDone) return failure("PUT " + url, outcome);
  http::Request request{.method = "DELETE", .url = url};
  if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
  Result<http::Response> deleted = transport_->perform(request);
  if (!deleted.ok() || deleted->status < 200 || deleted->status >= 300) {
    log::warn("DELETE %s: %s; the test object stays on the server", url.c_str(),
              deleted.ok() ? status_text(deleted->status).c_str() : deleted.error().message.c_str());
  }
  return {};
}

}  // namespace kdk::targets
