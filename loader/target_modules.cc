#include "loader/target_modules.h"

#include <algorithm>

#include "targets/block_devices.h"

namespace kdk::loader {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

}  // namespace

std::vector<std::string> modules_for_targets(const config::Config& config,
                                             const std::vector<TargetCheck>& checks) {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    if (!c.found) continue;
    for (const auto& m : targets::driver_modules(c.device.name)) add_unique(out, m);
    if (!c.device.fs.type.empty()) add_unique(out, c.device.fs.type);  // raw targets have none
  }
  for (const auto& m : config.extra_modules) add_unique(out, m);
  return out;
}

}  // namespace kdk::loader
