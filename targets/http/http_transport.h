// One HTTP request at a time, over libcurl (curl_transport.cc) or a fake in
// tests. The transport knows nothing of retries, S3 or crash directories.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace kdk::targets::http {

struct TlsOptions {
  bool verify = true;            // peer certificate and host name
  std::string ca_file;           // PEM bundle; empty: libcurl's default
  std::string client_cert_file;  // PEM, for mutual TLS
  std::string client_key_file;   // PEM; may be the cert file
};

struct TransportOptions {
  TlsOptions tls;
  std::string proxy;  // empty: none (the capture kernel has no environment)
  std::chrono::seconds connect_timeout{10};
  // A transfer slower than 1 KiB/s for this long is cut (a stuck server).
  std::chrono::seconds stall_timeout{30};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;
  Headers headers;     // may carry credentials: never logged
  // The body: `body` in memory, or `body_source` pulled until it returns 0.
  std::string_view body;
  std::function<Result<size_t>(char* buf, size_t max)> body_source;
  std::optional<uint64_t> body_size;  // Content-Length; none: chunked
};

struct Response {
  long status = 0;
  Headers headers;   // names lower-cased
  std::string body;  // at most the first 64 KiB
};

class Transport {
 public:
  virtual ~Transport() = default;
  // An error is a failure below HTTP (resolve, connect, TLS, cut, timeout);
  // any HTTP status is a Response. The error's errno_value is non-zero
  // (ECONNREFUSED, ECONNRESET, ETIMEDOUT, EAGAIN for resolving, ...) when
  // another attempt may succeed, 0 when it will not (certificate verify
  // failure, unusable client certificate, malformed URL). A failing
  // body_source aborts the request and its error is returned as is, within
  // "<method> <url>: request body".
  // Requests on one transport are serialised; its connection is reused.
  virtual Result<Response> perform(const Request& request) = 0;
};

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

}  // namespace kdk::targets::http
