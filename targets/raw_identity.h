// A raw target's identity (config::RawIdentity) read from this machine:
// `load` records it, and the capture reads it again before it writes a byte,
// because the capture kernel may give the same name to another disk.
#pragma once

#include <string>

#include "config/load_record.h"
#include "util/result.h"

namespace kdk::targets {

// The device at `device` (a /dev path): its size, its partition GUID when it
// is a GPT partition, and its disk's WWID or serial when sysfs has one.
Result<config::RawIdentity> read_raw_identity(const std::string& device,
                                              const std::string& sysfs_block = "/sys/class/block",
                                              const std::string& dev_dir = "/dev");

// The same for a device already open, whose size is known.
config::RawIdentity raw_identity_of(const std::string& device, uint64_t size_bytes,
                                    const std::string& sysfs_block = "/sys/class/block",
                                    const std::string& dev_dir = "/dev");

// Empty when `now` is the recorded device; otherwise what differs, for the log.
std::string raw_identity_mismatch(const config::RawIdentity& recorded, const config::RawIdentity& now);

}  // namespace kdk::targets
