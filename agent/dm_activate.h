// The capture kernel's side of LVM targets: recreates the device-mapper
// mappings `load` recorded (config/load_record.h) with DM ioctls, once the
// disks beneath have appeared, found by their stable identities. No lvm
// tools and no udev: /sys/class/block is polled and labels are read.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/load_record.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::agent {

struct DmPaths {
  std::string sysfs_block = "/sys/class/block";
  std::string dev_dir = "/dev";
  std::string control = "/dev/mapper/control";
};

// The "MAJOR:MINOR" of every identity ("pv:...", "partuuid:...") the
// recorded tables name, waiting up to `timeout` for all of them; the error
// names those still missing.
Result<std::vector<std::pair<std::string, std::string>>> find_dm_lower_devices(
    const std::vector<config::RecordedDmDevice>& devices, std::chrono::milliseconds timeout,
    const Clock& clock, const DmPaths& paths = {});

// Translates a recorded table line back to device numbers: `known` maps
// identities ("pv:...", "dm:name") to "MAJOR:MINOR".
Result<std::string> translate_dm_line(const std::string& line,
                                      const std::vector<std::pair<std::string, std::string>>& known);

// Finds the lower devices, then creates and resumes each mapping in order.
Status activate_dm_devices(const std::vector<config::RecordedDmDevice>& devices,
                           std::chrono::milliseconds timeout, const Clock& clock, const DmPaths& paths = {});

}  // namespace kdk::agent
