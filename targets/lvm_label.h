// The LVM2 physical-volume label: in one of the first four 512-byte sectors,
// "LABELONE", the sector's own number, a CRC, the offset of the PV header and
// "LVM2 001"; the PV header starts with the 32-character PV UUID. It names a
// PV whatever the kernel calls its disk, which is how the capture kernel
// finds the devices under a logical volume without lvm tools.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/result.h"

namespace kdk::targets {

inline constexpr size_t kLvmLabelScanBytes = 4 * 512;

// The PV UUID as LVM prints it ("6-4-4-4-4-4-6" characters), or nothing
// when `head` (the device's first kLvmLabelScanBytes) carries no LVM2 label.
std::optional<std::string> lvm_pv_uuid(std::span<const uint8_t> head);

// Reads the start of `device_path` and looks for a label.
Result<std::optional<std::string>> read_lvm_pv_uuid(const std::string& device_path);

}  // namespace kdk::targets
