#include "loader/target_modules.h"

#include <algorithm>

#include "targets/block_devices.h"

namespace kdk::loader {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

}  // namespace

TargetModules modules_for_targets(const config::Config& config) {
  TargetModules out;
  const auto clock = targets::Clock::system();
  for (const auto& target : config.targets) {
    TargetCheck check{target.text, target.line, false, {}};
    if (const auto* disk = std::get_if<config::DiskTarget>(&target.where)) {
      // The device must be present now: no waiting on the production side.
      auto dev = targets::wait_for_device(disk->device, std::chrono::milliseconds(0), clock);
      if (!dev) {
        check.detail = dev.error().message;
      } else {
        check.ok = true;
        check.detail = dev->path + " (" + dev->fs.type + ", LABEL=" + dev->fs.label +
                       ", UUID=" + dev->fs.uuid + ")";
        for (const auto& m : targets::driver_modules(dev->name)) add_unique(out.modules, m);
        add_unique(out.modules, dev->fs.type);
      }
    }
    if (!std::holds_alternative<config::DiskTarget>(target.where)) {
      check.detail = "this version of kdumpkit cannot save to this kind of target yet";
    }
    out.checks.push_back(check);
  }
  for (const auto& m : config.extra_modules) add_unique(out.modules, m);
  return out;
}

}  // namespace kdk::loader
