// S3 credentials from a root-only file:
//   access_key_id = AKIA...
//   secret_access_key = ...
//   session_token = ...        (optional, temporary credentials)
// The aws_ spellings of ~/.aws/credentials (aws_access_key_id, ...) are
// accepted too, and [section] lines and # or ; comments are skipped, so such
// a file can be used as it is. Values never appear in an error.
#pragma once

#include <string>
#include <string_view>

#include "targets/s3/sigv4.h"
#include "util/result.h"

namespace kdk::targets::s3 {

// `origin` names the text in errors ("/etc/kdumpkit/s3.cred").
Result<Credentials> parse_credentials(std::string_view text, const std::string& origin);

// Refuses a file that is not a regular file owned by root (the effective
// user), or that group or others may read or write (targets/secret_file.h).
Result<Credentials> read_credentials_file(const std::string& path);

}  // namespace kdk::targets::s3
