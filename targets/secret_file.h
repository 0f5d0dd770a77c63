// Credentials (tokens, passwords, private keys) come from files that only
// their owner can read; a file that group or others can read or write is
// refused rather than used, and its content never appears in a message.
#pragma once

#include <string>

#include "util/result.h"

namespace kdk::targets {

// Fails when `path` is not a regular file owned by the effective user (root
// in practice) with no group/other permission bits for reading or writing.
// `option` names the configuration option in the message ("token_file").
Status check_secret_file(const std::string& path, const std::string& option);

// check_secret_file, then the content with surrounding white space (a
// trailing newline) removed; an empty file is an error.
Result<std::string> read_secret_file(const std::string& path, const std::string& option);

}  // namespace kdk::targets
