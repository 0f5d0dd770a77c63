// Checks that a configured target can hold a dump, on the production side
// before arming: the device is present and carries a supported filesystem,
// the directory is writable and there is enough free space. Every problem is
// collected (not just the first), each naming the target's configuration line.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/load_record.h"
#include "targets/block_devices.h"

namespace kdk::loader {

enum class CheckMode {
  kWrite,     // load: mount read-write if needed, create the directory, write a probe file
  kReadOnly,  // status: mount read-only if needed, change nothing
};

struct TargetCheckOptions {
  CheckMode mode = CheckMode::kWrite;
  std::string mountinfo = "/proc/self/mountinfo";
  std::string temp_dir = "/tmp";  // where private mountpoints are made
};

struct TargetCheck;
// Called with a disk target's directory while its filesystem is mounted
// (status reads the dumps there); not called when the directory is missing.
using DirectoryVisitor = std::function<void(TargetCheck& check, const std::string& directory)>;

struct TargetCheck {
  std::string target;  // as written
  int line = 0;
  bool found = false;  // the device was found (device is valid)
  targets::BlockDevice device;
  std::string summary;                // "/dev/vdb (ext4, LABEL=..., UUID=...), 812 MiB free"
  std::vector<std::string> problems;  // empty: usable
  std::vector<std::string> warnings;  // usable, but worth knowing (a small raw partition)
  // A device-mapper target (LVM): the mappings to recreate, lower first, and the disks under them.
  std::vector<config::RecordedDmDevice> dm_devices;
  std::vector<std::string> lower_devices;
  bool ok() const { return problems.empty(); }
};

// One mount from /proc/self/mountinfo.
struct MountEntry {
  unsigned major = 0, minor = 0;
  std::string root;        // the directory of the filesystem mounted here
  std::string mountpoint;  // octal escapes decoded
  bool read_only = false;
};
std::vector<MountEntry> parse_mountinfo(const std::string& text);

// Where `directory` (inside the filesystem on device major:minor) is reachable
// through an existing mount; empty when it is not.
struct MountedPath {
  std::string path;
  bool read_only = false;
};
MountedPath find_mounted_path(const std::vector<MountEntry>& mounts, unsigned major, unsigned minor,
                              const std::string& directory);

TargetCheck check_target(const config::Target& target, int min_free_mib, const TargetCheckOptions& options,
                         const DirectoryVisitor& visit = {});
std::vector<TargetCheck> check_targets(const config::Config& config, const TargetCheckOptions& options,
                                       const DirectoryVisitor& visit = {});

// "/etc/kdumpkit.conf:3: target disk:...: problem" for each problem.
std::vector<std::string> describe_problems(const std::vector<TargetCheck>& checks, const std::string& source);

}  // namespace kdk::loader
