// The capture job: what the capture kernel's PID 1 runs (in a child process,
// so that nothing it does can kill PID 1). Reads the configuration and the
// load record, loads modules, opens the vmcore, and saves it to the first
// target that works.
#pragma once

#include <string>

#include "config/config.h"
#include "config/load_record.h"

namespace kdk::agent {

struct CapturePaths {
  std::string config = config::kDefaultConfigPath;
  std::string load_record = config::kLoadRecordPath;
  std::string vmcore = "/proc/vmcore";
  std::string cmdline = "/proc/cmdline";
  std::string modules_root = "/lib/modules";
  std::string mount_base = "/kdumpkit/target";
  bool load_modules = true;
  bool bring_up_network = true;  // false: network targets use the network as it is
};

struct CaptureOutcome {
  bool ok = false;
  std::string summary;  // "saved /crash/host-.../vmcore (812 MiB) on /dev/vdb" or why not
};

CaptureOutcome run_capture(const CapturePaths& paths);

// "<host>-<YYYY-MM-DD-HH:MM:SS>" in UTC, as kdump-utils names crash directories.
std::string crash_directory_name(const std::string& host, int64_t crash_time);

}  // namespace kdk::agent
