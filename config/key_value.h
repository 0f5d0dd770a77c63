// The line grammar shared by every kdumpkit configuration file:
//   # comment
//   key = value
// Blank lines and comments are skipped; a value runs to the end of the line
// (trailing comments must be preceded by whitespace: "key = v  # note").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::config {

struct KeyValue {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line number in the source
};

// `source` names the file in errors: "/etc/kdumpkit.conf:3: expected 'key = value'".
Result<std::vector<KeyValue>> parse_key_values(std::string_view text, const std::string& source);

}  // namespace kdk::config
