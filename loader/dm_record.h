// What `load` records about a disk target on device-mapper (an LVM logical
// volume): every mapping under it, lower layers first, with the devices its
// table names replaced by stable identities (the capture kernel may number
// disks differently), and the leaf disks whose drivers the capture kernel needs.
#pragma once

#include <string>
#include <vector>

#include "config/load_record.h"
#include "util/result.h"

namespace kdk::loader {

struct DmStack {
  std::vector<config::RecordedDmDevice> devices;  // lower layers first; empty: not device-mapper
  std::vector<std::string> leaves;                // "sda", "vdb1": what the mappings sit on
};

// For block device `name` ("dm-0"); a device that is not device-mapper gives an empty stack.
Result<DmStack> record_dm_stack(const std::string& name, const std::string& sysfs_block = "/sys/class/block",
                                const std::string& dev_dir = "/dev");

}  // namespace kdk::loader
