#include "loader/target_modules.h"

#include <dirent.h>

#include <algorithm>

#include "targets/block_devices.h"
#include "targets/dm_table.h"

namespace kdk::loader {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

}  // namespace

std::vector<std::string> watchdog_modules(const std::string& sysfs_watchdog) {
  std::vector<std::string> out;
  DIR* d = ::opendir(sysfs_watchdog.c_str());
  if (!d) return out;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    for (const auto& m : targets::driver_modules(n, sysfs_watchdog)) add_unique(out, m);
  }
  return out;
}

std::vector<std::string> modules_for_targets(const config::Config& config,
                                             const std::vector<TargetCheck>& checks,
                                             const std::string& sysfs_watchdog) {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    if (!c.found) continue;
    for (const auto& m : targets::driver_modules(c.device.name)) add_unique(out, m);
    // Under device-mapper: its core, the target types beyond the built-in
    // ones, and the drivers of the disks beneath.
    if (!c.dm_devices.empty()) add_unique(out, "dm_mod");
    for (const auto& d : c.dm_devices) {
      for (const auto& line : d.table) {
        auto t = targets::parse_dm_target_line(line);
        if (!t || t->type == "linear" || t->type == "striped" || t->type == "error" || t->type == "zero")
          continue;
        std::string module = "dm_" + t->type;
        std::replace(module.begin(), module.end(), '-', '_');
        add_unique(out, module);
      }
    }
    for (const auto& lower : c.lower_devices) {
      for (const auto& m : targets::driver_modules(lower)) add_unique(out, m);
    }
    if (!c.device.fs.type.empty()) add_unique(out, c.device.fs.type);  // raw targets have none
  }
  for (const auto& m : watchdog_modules(sysfs_watchdog)) add_unique(out, m);
  for (const auto& m : config.extra_modules) add_unique(out, m);
  return out;
}

}  // namespace kdk::loader
