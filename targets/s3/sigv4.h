// AWS Signature Version 4 (header-based), our own: libcurl 7.88's
// CURLOPT_AWS_SIGV4 signs a valueless query parameter such as `?uploads`
// wrongly, and S3's multipart upload needs exactly that.
//
// The signer works on the decoded request (path and query as the object key
// and parameter values really are) and produces both the canonical form it
// signs and the encoded path and query the URL must carry, so the two never
// disagree.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kdk::targets::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged
  std::string session_token;      // optional (temporary credentials)
};

struct QueryParam {
  std::string name;   // decoded
  std::string value;  // decoded; empty for a valueless parameter (`?uploads`)
};

// S3 signs the path as sent (encoded once, `//` and `.` kept); every other
// service normalizes the path first (RFC 3986 dot segments, repeated slashes).
enum class PathStyle { kS3, kNormalized };

struct SigningRequest {
  std::string method;                                        // GET, PUT, POST, DELETE, HEAD
  std::string path = "/";                                    // decoded, starts with '/'
  std::vector<QueryParam> query;                             // any order
  std::vector<std::pair<std::string, std::string>> headers;  // all signed; must include host
  std::string payload_sha256;                                // lower-case hex, or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
  std::string region = "us-east-1";
  std::string service = "s3";
  PathStyle path_style = PathStyle::kS3;
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, every other byte becomes %XX (upper case);
// '/' stays too when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

// The path as it is signed and as the URL carries it.
std::string canonical_uri(std::string_view path, PathStyle style);
// Sorted by encoded name then value; a valueless parameter is `name=`.
std::string canonical_query(const std::vector<QueryParam>& query);
// The query for the URL: same order, a valueless parameter as bare `name`.
std::string url_query(const std::vector<QueryParam>& query);

// "20150830T123600Z" for a UTC time.
std::string amz_date(std::time_t when);

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // the Authorization header's value
};

// Signs `request` as made at `date` ("YYYYMMDDTHHMMSSZ", which must also be
// the request's x-amz-date header).
Signature sign(const SigningRequest& request, const Credentials& credentials, const SigningScope& scope,
               std::string_view date);

// kSecret = HMAC chain "AWS4"+secret → date → region → service → "aws4_request".
std::string signing_key(std::string_view secret, std::string_view yyyymmdd, std::string_view region,
                        std::string_view service);

// Adds what an S3 request needs to be accepted (x-amz-date,
// x-amz-content-sha256, x-amz-security-token when there is a session token)
// to `request.headers`, signs it, and returns the Authorization header value.
std::string sign_s3_request(SigningRequest& request, const Credentials& credentials,
                            const std::string& region, std::time_t now);

}  // namespace kdk::targets::s3
