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
// filesystems, the drivers of this machine's watchdogs (the capture feeds
// the one it finds), then the configuration's extra_modules.
std::vector<std::string> modules_for_targets(const config::Config& config,
                                             const std::vector<TargetCheck>& checks,
                                             const std::string& sysfs_watchdog = "/sys/class/watchdog");

// The driver modules of the watchdogs under `sysfs_watchdog` (built-in drivers have none).
std::vector<std::string> watchdog_modules(const std::string& sysfs_watchdog = "/sys/class/watchdog");

}  // namespace kdk::loader
