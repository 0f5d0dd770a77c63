// The configuration as `load` sees it: every error at once, each naming its
// line, rather than only the first one parse_config() stops at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace kdk::loader {

struct ConfigCheck {
  // The configuration without the refused lines; none when even that fails
  // (no target left, or an error that names no line).
  std::optional<config::Config> config;
  std::vector<std::string> problems;  // "/etc/kdumpkit.conf:4: unknown key ..."
};

ConfigCheck check_config(std::string_view text, const std::string& source);

}  // namespace kdk::loader
