// Finding block devices without udev: /sys/class/block lists them, devtmpfs
// provides /dev/<name>, and the superblock says what is on each.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "config/target_url.h"
#include "targets/superblock_probe.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::targets {

struct BlockDevice {
  std::string name;  // "vdb1"
  std::string path;  // "/dev/vdb1"
  FilesystemInfo fs;
  std::string partuuid;  // GPT partition GUID (lower case), when known
};

// Every block device under `sysfs_block` ("/sys/class/block") whose node in
// `dev_dir` carries a known filesystem.
std::vector<BlockDevice> scan_block_devices(const std::string& sysfs_block = "/sys/class/block",
                                            const std::string& dev_dir = "/dev");

// The device matching `spec`, polling until `timeout` has passed (devices
// appear asynchronously after their driver loads). The error lists what was seen.
Result<BlockDevice> wait_for_device(const config::DeviceSpec& spec, std::chrono::milliseconds timeout,
                                    const Clock& clock, const std::string& sysfs_block = "/sys/class/block",
                                    const std::string& dev_dir = "/dev");

// The GPT (or MBR) PARTUUID of partition `name` ("sda1"); empty when it has none.
std::string partition_uuid_of(const std::string& name, const std::string& sysfs_block = "/sys/class/block",
                              const std::string& dev_dir = "/dev");

// The kernel modules that drive `device_name` (e.g. virtio_blk, virtio_pci),
// read from the `driver/module` links of the device and its parents in sysfs.
// Built-in drivers have no module link and are left out.
std::vector<std::string> driver_modules(const std::string& device_name,
                                        const std::string& sysfs_block = "/sys/class/block");

}  // namespace kdk::targets
