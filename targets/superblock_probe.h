// Identifies the filesystem on a block device from its superblock, the way
// blkid would, so that the capture initramfs needs no blkid: ext2/3/4, xfs
// and btrfs, with their label and UUID.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "util/result.h"

namespace kdk::targets {

struct FilesystemInfo {
  std::string type;   // the name mount(2) takes: "ext4" (also for ext2/3), "xfs", "btrfs"
  std::string label;  // may be empty
  std::string uuid;   // lower-case 8-4-4-4-12
};

// How many bytes from the start of the device probe_superblock() wants
// (btrfs keeps its superblock at 64 KiB).
inline constexpr size_t kProbeBytes = 0x10000 + 0x1000;

// `head` is the start of the device (shorter when the device is small).
// Returns nothing when no known filesystem is there.
std::optional<FilesystemInfo> probe_superblock(std::span<const uint8_t> head);

// Reads the start of `device_path` and probes it.
Result<std::optional<FilesystemInfo>> probe_device(const std::string& device_path);

std::string format_uuid(const uint8_t bytes[16]);

}  // namespace kdk::targets
