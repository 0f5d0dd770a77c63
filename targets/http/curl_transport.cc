// http::Transport over one libcurl easy handle. The handle is kept between
// requests so its connection (and TLS session) is reused: an S3 multipart
// upload or a put followed by a stream costs one handshake.
//
// Secrets travel in request headers and in files named by the options; the
// handle never runs verbose, and error messages are built from curl's error
// code and buffer plus the URL without any user-info, so neither reaches a log.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "targets/http/http_transport.h"
#include "util/format.h"

namespace kdk::targets::http {
namespace {

constexpr size_t kMaxResponseBody = 64 * 1024;
constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr long kUploadBufferSize = 512 * 1024;
constexpr long kStallBytesPerSecond = 1024;

// curl_global_init is not thread-safe and must run once per process.
CURLcode global_init() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

// "https://user:pw@host/p?q" -> "https://host/p": for messages only.
std::string url_for_messages(const std::string& url) {
  std::string out = url;
  size_t scheme_end = out.find("://");
  size_t host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t path_start = out.find('/', host_start);
  size_t at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
  if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  size_t query = out.find('?');
  if (query != std::string::npos) out.erase(query);
  return out;
}

// The errno a failure below HTTP is reported with: set for failures that a
// later attempt may not meet (the retry policy keys on it), 0 for those it
// will (a certificate that does not verify, a malformed URL).
int transient_errno(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return EAGAIN;  // the resolver may not be up yet
    case CURLE_COULDNT_CONNECT:
      return os_errno != 0 ? static_cast<int>(os_errno) : ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
      return ETIMEDOUT;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return os_errno != 0 ? static_cast<int>(os_errno) : ECONNRESET;
    case CURLE_SSL_CONNECT_ERROR:  // handshake cut, as often as misconfigured
      return ECONNRESET;
    default:
      return 0;
  }
}

std::string describe_failure(CURLcode code, const char* error_buffer, const std::string& host, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return format("cannot connect to %s: %s", host.c_str(),
                    os_errno != 0 ? std::strerror(static_cast<int>(os_errno)) : "connection failed");
    case CURLE_COULDNT_RESOLVE_HOST:
      return format("cannot resolve host %s", host.c_str());
    case CURLE_OPERATION_TIMEDOUT:
      return format("timed out talking to %s (%s)", host.c_str(),
                    error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    case CURLE_PEER_FAILED_VERIFICATION:
      return format("certificate verify failed for host %s (%s)", host.c_str(),
                    error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    case CURLE_SSL_CACERT_BADFILE:
      return format("cannot read the CA file (%s)", error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    case CURLE_SSL_CERTPROBLEM:
      return format("cannot use the client certificate or key (%s)",
                    error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    default:
      return error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
  }
}

std::string host_of(const std::string& url) {
  size_t scheme_end = url.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t at = authority.rfind('@');
  return at == std::string::npos ? authority : authority.substr(at + 1);
}

struct Transfer {
  const Request* request = nullptr;
  size_t body_offset = 0;  // into request->body
  std::optional<Error> source_error;
  Response response;
  size_t header_bytes = 0;
};

size_t read_body(char* buffer, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t max = size * nitems;
  if (t->request->body_source) {
    Result<size_t> n = t->request->body_source(buffer, max);
    if (!n.ok()) {
      t->source_error = n.error();
      return CURL_READFUNC_ABORT;
    }
    return std::min(*n, max);
  }
  size_t n = std::min(max, t->request->body.size() - t->body_offset);
  std::memcpy(buffer, t->request->body.data() + t->body_offset, n);
  t->body_offset += n;
  return n;
}

// libcurl rewinds an in-memory body when it has to send it again (a reused
// connection that turned out closed); a streamed body can't be rewound.
int seek_body(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->body_source || origin != SEEK_SET || offset < 0 ||
      static_cast<uint64_t>(offset) > t->request->body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  t->body_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t write_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  size_t room = kMaxResponseBody - std::min(kMaxResponseBody, t->response.body.size());
  t->response.body.append(data, std::min(n, room));
  return n;  // the rest is read and dropped, so the connection stays usable
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t write_header(char* data, size_t size, size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nitems;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): start over
    t->response.headers.clear();
    t->header_bytes = 0;
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || t->header_bytes + n > kMaxResponseHeaderBytes) return n;
  t->header_bytes += n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->response.headers.emplace_back(trim(name), trim(line.substr(colon + 1)));
  return n;
}

class CurlTransport : public Transport {
 public:
  explicit CurlTransport(const TransportOptions& options) : options_(options) {}
  ~CurlTransport() override {
    if (handle_) curl_easy_cleanup(handle_);
  }
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<Response> perform(const Request& request) override {
    std::lock_guard lock(mutex_);
    std::string shown = request.method + " " + url_for_messages(request.url);
    if (CURLcode code = global_init(); code != CURLE_OK)
      return Error{format("%s: libcurl initialisation failed: %s", shown.c_str(), curl_easy_strerror(code))};
    if (!handle_) handle_ = curl_easy_init();
    if (!handle_) return Error{shown + ": cannot create a libcurl handle"};
    curl_easy_reset(handle_);  // options only; the connection cache stays

    Transfer transfer;
    transfer.request = &request;
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers)
      headers = curl_slist_append(headers, (name + ": " + value).c_str());

    CURL* h = handle_;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    // HTTP/1.1 always: chunked uploads of unknown length, and what every
    // WebDAV and S3 server speaks.
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count() * 1000));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, kStallBytesPerSecond);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
    // Explicit, so that `load` on a host with http_proxy set checks the same
    // path the capture kernel (which has no environment) will take.
    curl_easy_setopt(h, CURLOPT_PROXY, options_.proxy.c_str());

    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.tls.verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.tls.verify ? 2L : 0L);
    if (!options_.tls.ca_file.empty()) {
      curl_easy_setopt(h, CURLOPT_CAINFO, options_.tls.ca_file.c_str());
      curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, options_.tls.ca_file.c_str());
    }
    if (!options_.tls.client_cert_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, options_.tls.client_cert_file.c_str());
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      const std::string& key =
          options_.tls.client_key_file.empty() ? options_.tls.client_cert_file : options_.tls.client_key_file;
      curl_easy_setopt(h, CURLOPT_SSLKEY, key.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }

    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);

    bool has_body = !request.body.empty() || request.body_source || request.body_size.has_value() ||
                    request.method == "PUT" || request.method == "POST";
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
      // UPLOAD sends the body through the read callback; without a size
      // libcurl uses chunked transfer encoding.
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
      curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &transfer);
      curl_off_t size = -1;
      if (request.body_size) size = static_cast<curl_off_t>(*request.body_size);
      else if (!request.body_source) size = static_cast<curl_off_t>(request.body.size());
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
      if (request.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(headers);
    if (transfer.source_error) return transfer.source_error->within(shown + ": request body");
    if (code != CURLE_OK) {
      long os_errno = 0;
      curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
      std::string why = describe_failure(code, error_buffer, host_of(request.url), os_errno);
      return Error{shown + ": " + why, transient_errno(code, os_errno)};
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &transfer.response.status);
    return std::move(transfer.response);
  }

 private:
  TransportOptions options_;
  std::mutex mutex_;
  CURL* handle_ = nullptr;
};

}  // namespace

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace kdk::targets::http
