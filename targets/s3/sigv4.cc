#include "targets/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "util/sha256.h"
#include "util/text.h"

namespace kdk::targets::s3 {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trimmed, with runs of spaces folded to one (SigV4's "Trimall").
std::string trim_all(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto seg : segments) {
    out += '/';
    out += seg;
  }
  bool trailing = !path.empty() && path.back() == '/';
  if (out.empty() || trailing) out += '/';
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  return percent_encode(text, keep_slash ? "/" : "");
}

std::string canonical_uri(std::string_view path, PathStyle style) {
  if (path.empty()) return "/";
  if (style == PathStyle::kNormalized) return uri_encode(normalize_path(path), true);
  return uri_encode(path, true);
}

std::string canonical_query(const std::vector<QueryParam>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& p : query) encoded.emplace_back(uri_encode(p.name, false), uri_encode(p.value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string url_query(const std::vector<QueryParam>& query) {
  std::string out;
  for (const auto& p : query) {
    if (!out.empty()) out += '&';
    out += uri_encode(p.name, false);
    if (!p.value.empty()) {
      out += '=';
      out += uri_encode(p.value, false);
    }
  }
  return out;
}

std::string amz_date(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string signing_key(std::string_view secret, std::string_view yyyymmdd, std::string_view region,
                        std::string_view service) {
  std::string key = hmac_sha256("AWS4" + std::string(secret), yyyymmdd);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  return hmac_sha256(key, "aws4_request");
}

Signature sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope,
               std::string_view date) {
  // Header names are compared lower-cased; repeated headers join with ','
  // in the order they were given.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto& slot = headers[lower(name)];
    if (!slot.empty()) slot += ',';
    slot += trim_all(value);
  }
  Signature s;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ':' + value + '\n';
    if (!s.signed_headers.empty()) s.signed_headers += ';';
    s.signed_headers += name;
  }
  s.canonical_request = request.method + '\n' + canonical_uri(request.path, scope.path_style) + '\n' +
                        canonical_query(request.query) + '\n' + canonical_headers + '\n' + s.signed_headers +
                        '\n' + request.payload_sha256;
  std::string day(date.substr(0, 8));
  std::string credential_scope = day + '/' + scope.region + '/' + scope.service + "/aws4_request";
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(date) + '\n' + credential_scope + '\n' +
                     sha256_hex(s.canonical_request.data(), s.canonical_request.size());
  s.signature = hex(hmac_sha256(signing_key(credentials.secret_access_key, day, scope.region, scope.service),
                                s.string_to_sign));
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + '/' + credential_scope +
                    ", SignedHeaders=" + s.signed_headers + ", Signature=" + s.signature;
  return s;
}

std::string sign_s3_request(SigningRequest& request, const Credentials& credentials,
                            const std::string& region, std::time_t now) {
  std::string date = amz_date(now);
  request.headers.emplace_back("x-amz-date", date);
  request.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty())
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  SigningScope scope;
  scope.region = region;
  return sign(request, credentials, scope, date).authorization;
}

}  // namespace kdk::targets::s3
