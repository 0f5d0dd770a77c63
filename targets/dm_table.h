// Device-mapper tables as data: the target lines of a mapping, the binary
// layout the DM ioctls exchange them in, and the rewriting of the devices a
// table names. A table names its underlying devices by major:minor, which
// the capture kernel may number differently, so `load` records each by a
// stable identity (an LVM PV UUID, a PARTUUID, another mapping's name) and
// the capture agent translates them back before it recreates the mapping.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::targets {

struct DmTarget {
  uint64_t start = 0;   // sectors
  uint64_t length = 0;  // sectors
  std::string type;     // "linear", "striped", ...
  std::string params;   // "8:16 2048"

  std::string to_line() const;  // "0 204800 linear 8:16 2048"
  bool operator==(const DmTarget&) const = default;
};

// "0 204800 linear 8:16 2048" (as dmsetup table prints it).
Result<DmTarget> parse_dm_target_line(const std::string& line);

// Replaces every word of `params` that names a device ("MAJOR:MINOR") with
// map(word); a nullopt from map is an error naming the word.
Result<std::string> rewrite_dm_devices(
    const std::string& params, const std::function<std::optional<std::string>(const std::string&)>& map);

// The words of `params` that name devices ("MAJOR:MINOR").
std::vector<std::string> dm_device_words(const std::string& params);

// The DM_TABLE_LOAD payload after struct dm_ioctl: dm_target_spec records,
// each followed by its NUL-terminated parameters, 8-byte aligned; `next` is
// relative to the record (as the kernel reads it on input).
std::vector<uint8_t> encode_dm_targets(const std::vector<DmTarget>& targets);

// The DM_TABLE_STATUS result data (what `data` of the reply holds from
// data_start on); `next` is relative to the start of the data (as the
// kernel writes it on output). Bounds-checked.
Result<std::vector<DmTarget>> decode_dm_targets(std::span<const uint8_t> data, uint32_t count);

}  // namespace kdk::targets
