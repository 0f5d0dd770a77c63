// Where a dump goes, as written in the configuration: a URL-like string.
//   disk:LABEL=kdump:/var/crash     a filesystem found by label
//   disk:UUID=0d5c...:/crash        ... by filesystem UUID
//   disk:/dev/vdb1:/crash           ... by device path
// The directory after the ':' is optional and defaults to "/".
#pragma once

#include <string>
#include <variant>

#include "util/result.h"

namespace kdk::config {

struct DeviceSpec {
  enum class By { kLabel, kUuid, kPath };
  By by = By::kLabel;
  std::string value;  // the label, the UUID (lower case) or the /dev path

  std::string describe() const;  // "LABEL=kdump"
};

struct DiskTarget {
  DeviceSpec device;
  std::string directory = "/";  // absolute, no trailing '/', inside the filesystem
};

struct Target {
  std::string text;  // as written, for messages
  int line = 0;      // where it was configured (0: command line)
  std::variant<DiskTarget> where;
};

// Parses one target; the error says what is accepted.
Result<Target> parse_target(const std::string& text);

}  // namespace kdk::config
