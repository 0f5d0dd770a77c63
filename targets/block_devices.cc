#include "targets/block_devices.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "targets/gpt.h"
#include "util/fd.h"

namespace kdk::targets {

namespace {

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string basename_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

bool matches(const config::DeviceSpec& spec, const BlockDevice& dev) {
  switch (spec.by) {
    case config::DeviceSpec::By::kLabel:
      return !dev.fs.label.empty() && dev.fs.label == spec.value;
    case config::DeviceSpec::By::kUuid:
      return dev.fs.uuid == spec.value;
    case config::DeviceSpec::By::kPartUuid:
      return !dev.partuuid.empty() && dev.partuuid == spec.value;
    case config::DeviceSpec::By::kPath:
      return dev.path == spec.value;
  }
  return false;
}

// The PARTUUID of `name` when it is a partition: sysfs links it under its
// disk (.../block/sda/sda1) and gives its number in `partition`.
std::string partition_uuid(const std::string& sysfs_block, const std::string& dev_dir,
                           const std::string& name) {
  auto number = read_file(sysfs_block + "/" + name + "/partition");
  if (!number) return {};
  unsigned partno = static_cast<unsigned>(std::strtoul(number->c_str(), nullptr, 10));
  char real[PATH_MAX];
  if (!::realpath((sysfs_block + "/" + name).c_str(), real)) return {};
  std::string dir = real;
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string parent = basename_of(dir.substr(0, slash));
  unsigned sector = 512;
  if (auto lbs = read_file(sysfs_block + "/" + parent + "/queue/logical_block_size")) {
    sector = static_cast<unsigned>(std::strtoul(lbs->c_str(), nullptr, 10));
  }
  auto uuid = read_partuuid(dev_dir + "/" + parent, partno, sector);
  return uuid ? *uuid : std::string();
}

}  // namespace

std::vector<BlockDevice> scan_block_devices(const std::string& sysfs_block, const std::string& dev_dir) {
  std::vector<BlockDevice> out;
  for (const auto& name : list_dir(sysfs_block)) {
    // Loop and RAM disks hold no dump targets in a capture kernel.
    if (name.rfind("ram", 0) == 0 || name.rfind("loop", 0) == 0) continue;
    std::string path = dev_dir + "/" + name;
    auto fs = probe_device(path);
    if (!fs || !fs->has_value()) continue;
    out.push_back(BlockDevice{name, path, **fs, partition_uuid(sysfs_block, dev_dir, name)});
  }
  return out;
}

Result<BlockDevice> wait_for_device(const config::DeviceSpec& spec, std::chrono::milliseconds timeout,
                                    const Clock& clock, const std::string& sysfs_block,
                                    const std::string& dev_dir) {
  const auto start = clock.now();
  std::vector<BlockDevice> seen;
  for (;;) {
    if (spec.by == config::DeviceSpec::By::kPath && path_exists(spec.value)) {
      auto fs = probe_device(spec.value);
      if (fs && fs->has_value()) return BlockDevice{basename_of(spec.value), spec.value, **fs};
      if (!fs) return fs.error();
      return Error{"no known filesystem (ext4, xfs, btrfs) on " + spec.value};
    }
    seen = scan_block_devices(sysfs_block, dev_dir);
    for (const auto& dev : seen) {
      if (matches(spec, dev)) return dev;
    }
    if (clock.now() - start >= timeout) break;
    clock.sleep(std::chrono::milliseconds(200));
  }
  std::string found;
  for (const auto& dev : seen) {
    if (!found.empty()) found += ", ";
    found += dev.path + " (" + dev.fs.type + " LABEL=" + dev.fs.label + " UUID=" + dev.fs.uuid +
             (dev.partuuid.empty() ? std::string() : " PARTUUID=" + dev.partuuid) + ")";
  }
  return Error{"no device with " + spec.describe() + " after " + std::to_string(timeout.count() / 1000) +
               " s; filesystems seen: " + (found.empty() ? std::string("none") : found)};
}

std::string partition_uuid_of(const std::string& name, const std::string& sysfs_block,
                              const std::string& dev_dir) {
  return partition_uuid(sysfs_block, dev_dir, name);
}

std::vector<std::string> driver_modules(const std::string& device_name, const std::string& sysfs_block) {
  std::vector<std::string> out;
  char real[PATH_MAX];
  std::string link = sysfs_block + "/" + device_name;
  if (!::realpath(link.c_str(), real)) return out;
  std::string dir = real;
  // Walk up to /sys/devices, collecting each level's driver module.
  while (dir.size() > 1) {
    std::string module_link = read_link(dir + "/driver/module");
    if (!module_link.empty()) {
      std::string module = basename_of(module_link);
      if (std::find(out.begin(), out.end(), module) == out.end()) out.push_back(module);
    }
    size_t slash = dir.find_last_of('/');
    if (slash == std::string::npos || slash == 0) break;
    dir.resize(slash);
  }
  return out;
}

}  // namespace kdk::targets
