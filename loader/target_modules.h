// Which kernel modules the capture kernel needs to reach the configured
// targets, found on this machine the way dracut's host-only mode does: the
// target's device is located now (by check_targets), and the drivers of it
// and of its parents (from sysfs) plus its filesystem's module are what the
// capture kernel loads.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "loader/target_check.h"

namespace kdk::loader {

// Names, in first-seen order, no duplicates: the found targets' drivers and
// filesystems, then the configuration's extra_modules.
std::vector<std::string> modules_for_targets(const config::Config& config,
                                             const std::vector<TargetCheck>& checks);

}  // namespace kdk::loader
