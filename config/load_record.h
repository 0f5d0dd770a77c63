// What `load` learned on the production machine and the capture kernel needs:
// the host name, the kernel release, and the modules to load in order. It
// travels in the capture initramfs as /etc/kdumpkit/load.conf, in the same
// key = value grammar as the configuration.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::config {

struct LoadRecord {
  std::string host;
  std::string kernel_release;
  std::vector<std::string> modules;  // paths relative to /lib/modules/<release>, load order

  std::string serialize() const;
};

inline constexpr const char* kLoadRecordPath = "/etc/kdumpkit/load.conf";

Result<LoadRecord> parse_load_record(std::string_view text, const std::string& source);

}  // namespace kdk::config
