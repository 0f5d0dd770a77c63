// The few device-mapper ioctls kdumpkit needs, on /dev/mapper/control:
// read a mapping's name, UUID and table (load), and create a mapping with a
// table and activate it (the capture kernel, which has no lvm tools).
#pragma once

#include <string>
#include <vector>

#include "targets/dm_table.h"
#include "util/result.h"

namespace kdk::targets {

inline constexpr const char* kDmControl = "/dev/mapper/control";

struct DmMapping {
  std::string name;  // "vg-lv"
  std::string uuid;  // "LVM-..." (may be empty)
  unsigned major = 0, minor = 0;
  std::vector<DmTarget> table;
};

// The live table of the mapping with device number major:minor.
Result<DmMapping> dm_describe(unsigned major, unsigned minor, const std::string& control = kDmControl);

// DM_DEV_CREATE, DM_TABLE_LOAD, DM_DEV_SUSPEND (resume): the mapping exists
// and is active; its device number is returned in major/minor. A failure
// after creating removes the mapping again.
Result<DmMapping> dm_create(const DmMapping& mapping, const std::string& control = kDmControl);

}  // namespace kdk::targets
