// Retention on a disk target (config `keep`): only the newest N crash
// directories are kept. Made room for before a new dump is written, so that
// old dumps never stand in the way of a new one.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::agent {

// Whether `name` is a crash directory: "<host>-YYYY-MM-DD-HH:MM:SS", with
// an optional "-N" (two crashes in one second). Other entries of the target
// directory are never touched.
bool is_crash_directory_name(const std::string& name);

// Which of `names` to delete so that, with one more directory to come, no
// more than `keep` remain (keep 0: keep all). Newest by the timestamp in the
// name (then by the "-N" suffix), whatever the host part says.
std::vector<std::string> expired_crash_directories(std::vector<std::string> names, int keep);

// Deletes the expired crash directories under `root`; returns the names deleted.
Result<std::vector<std::string>> prune_crash_directories(const std::string& root, int keep);

// Deletes `path` and everything below it.
Status remove_tree(const std::string& path);

}  // namespace kdk::agent
