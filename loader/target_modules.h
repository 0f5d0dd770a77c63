// Which kernel modules the capture kernel needs to reach the configured
// targets, found on this machine the way dracut's host-only mode does: the
// target's device is located now, and the drivers of it and of its parents
// (from sysfs) plus its filesystem's module are what the capture kernel loads.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace kdk::loader {

struct TargetCheck {
  std::string target;   // as written
  int line = 0;
  bool ok = false;
  std::string detail;   // "/dev/vdb (ext4, LABEL=kdumpdata)" or the problem
};

struct TargetModules {
  std::vector<std::string> modules;  // names, in first-seen order, no duplicates
  std::vector<TargetCheck> checks;
};

TargetModules modules_for_targets(const config::Config& config);

}  // namespace kdk::loader
