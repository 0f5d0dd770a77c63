#include "targets/raw_identity.h"

#include <limits.h>
#include <stdlib.h>

#include <cctype>

#include "targets/block_devices.h"
#include "targets/raw_device.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::targets {

namespace {

// Spaces inside a serial would split the record's words: they become '_'.
std::string clean(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s.erase(0, start);
  for (char& c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '=') c = '_';
  }
  return s;
}

std::string first_readable(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = read_file(dir + "/" + n)) {
      std::string s = clean(*v);
      if (!s.empty()) return s;
    }
  }
  return {};
}

// The disk a partition belongs to: sysfs lists it one directory up.
std::string disk_of(const std::string& sysfs_block, const std::string& name) {
  if (!path_exists(sysfs_block + "/" + name + "/partition")) return name;
  char real[PATH_MAX];
  if (!::realpath((sysfs_block + "/" + name).c_str(), real)) return name;
  std::string dir = real;
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return name;
  std::string parent = dir.substr(0, slash);
  return parent.substr(parent.find_last_of('/') + 1);
}

}  // namespace

Result<config::RawIdentity> read_raw_identity(const std::string& device, const std::string& sysfs_block,
                                              const std::string& dev_dir) {
  auto dev = RawDevice::open(device, false);
  if (!dev) return dev.error();
  return raw_identity_of(device, dev->size(), sysfs_block, dev_dir);
}

config::RawIdentity raw_identity_of(const std::string& device, uint64_t size_bytes,
                                    const std::string& sysfs_block, const std::string& dev_dir) {
  config::RawIdentity id;
  id.device = device;
  id.size_bytes = size_bytes;
  char real[PATH_MAX];
  std::string name = ::realpath(device.c_str(), real) ? std::string(real) : device;
  name = name.substr(name.find_last_of('/') + 1);
  if (!path_exists(sysfs_block + "/" + name)) return id;  // not a block device (a test image)
  id.partuuid = partition_uuid_of(name, sysfs_block, dev_dir);
  const std::string disk = sysfs_block + "/" + disk_of(sysfs_block, name);
  id.serial = first_readable(disk, {"wwid", "device/wwid", "serial", "device/serial"});
  return id;
}

std::string raw_identity_mismatch(const config::RawIdentity& recorded, const config::RawIdentity& now) {
  std::string out;
  auto differs = [&](const char* what, const std::string& was, const std::string& is) {
    if (!out.empty()) out += ", ";
    out += format("%s %s at load, %s now", what, was.c_str(), is.empty() ? "none" : is.c_str());
  };
  if (recorded.size_bytes != now.size_bytes)
    differs("size", std::to_string(recorded.size_bytes), std::to_string(now.size_bytes));
  if (!recorded.partuuid.empty() && recorded.partuuid != now.partuuid)
    differs("partition UUID", recorded.partuuid, now.partuuid);
  if (!recorded.serial.empty() && recorded.serial != now.serial)
    differs("serial", recorded.serial, now.serial);
  return out;
}

}  // namespace kdk::targets
