// A crash directory on an HTTP(S) server that accepts PUT (WebDAV, or any
// upload endpoint): http(s)://host/path/<crash-dir>/<file>.
//
// - put(): one PUT with Content-Length, retried per RetryPolicy.
// - put_stream(): a PUT of unknown length (chunked), fed by the producer on
//   the calling thread through a bounded ByteChannel while libcurl sends from
//   a second thread; size and sha256 are of the bytes sent. A retry runs the
//   producer again from the start. A cut chunked PUT never has its final
//   chunk, so a server can tell it from a complete one (nginx drops its temp
//   file and keeps the previous version, or nothing); after the last failed
//   attempt the object is also DELETEd, best effort. What marks a dump
//   complete is the final metadata.json, which the capture writes last.
// - The crash directory is created with MKCOL before the first upload
//   (201, or 405 when it exists; a server without collections answers
//   something else and the PUT decides).
// - Credentials from the target's options: token_file (bearer), basic_auth_file
//   ("user:password"), client_cert/client_key (mutual TLS); files must be
//   root-only, and their content is never logged.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/target_url.h"
#include "targets/crash_store.h"
#include "targets/http/http_transport.h"
#include "targets/retry.h"

namespace kdk::targets {

struct HttpStoreSettings {
  RetryPolicy retry;              // attempts: config `retries`
  RetryEnv env = RetryEnv::system();
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds stall_timeout{30};
  // The CA bundle when the target has no `ca=` option (the one embedded at
  // load time); empty: libcurl's default.
  std::string default_ca_file;
  size_t stream_buffer = 4u << 20;  // the ByteChannel between producer and libcurl
};

class HttpStore : public CrashStore {
 public:
  // Reads and checks the credential files; no network traffic yet.
  static Result<std::unique_ptr<HttpStore>> open(const config::NetworkTarget& target,
                                                 const std::string& crash_dir,
                                                 const HttpStoreSettings& settings);
  // For tests: a given transport (a fake), credentials already in `auth_header`.
  HttpStore(std::unique_ptr<http::Transport> transport, std::string base_url, std::string crash_dir,
            std::string auth_header, HttpStoreSettings settings);

  std::string where() const override;
  Result<StoredObject> put(const std::string& name, std::string_view data) override;
  Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) override;

  // For `load`: PUTs and DELETEs a small test object directly under the
  // target's path (no crash directory), one attempt; the error says what to
  // fix ("certificate verify failed for host ...", "401 Unauthorized: check
  // token_file ...", "cannot connect to ...: Connection refused").
  Status check();

  // Best effort, for a failed stream: no retries, the outcome ignored.
  void remove(const std::string& name);

 private:
  std::string object_url(const std::string& name) const;
  Status ensure_collection();
  Error failure(const std::string& what, const RetryOutcome& outcome) const;

  std::unique_ptr<http::Transport> transport_;
  std::string base_url_;   // scheme://host/path without a trailing '/'
  std::string crash_dir_;
  std::string auth_header_;  // "Bearer ..." / "Basic ..." or empty: never logged
  std::string auth_source_;  // "token_file /etc/kdumpkit/token", for messages
  HttpStoreSettings settings_;
  bool collection_ready_ = false;
};

// "a b" -> "a%20b": a path segment for a URL (keeps unreserved characters
// and ":@!$&'()*+,;=").
std::string percent_encode_segment(std::string_view segment);

}  // namespace kdk::targets
