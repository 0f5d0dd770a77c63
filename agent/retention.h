// Retention on a disk target (config `keep`): only the newest N crash
// directories of this host that hold a complete dump are kept. Another
// host's directories (an NFS export shared by a fleet), incomplete ones and
// anything else are never touched. The capture prunes after its new dump is
// committed, and before, only when the disk lacks room for it.
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

// Whether `name` is a crash directory of `host` ("<host>-YYYY-MM-DD-HH:MM:SS[-N]").
bool is_crash_directory_of(const std::string& name, const std::string& host);

// Deletes, under `root`, the crash directories of `host` that hold a
// complete dump (a file named vmcore), other than `except`, beyond the newest
// keep - 1: with `except` (the new dump, or the one to come) that makes
// `keep`. Returns the names deleted.
Result<std::vector<std::string>> prune_crash_directories(const std::string& root, const std::string& host,
                                                         int keep, const std::string& except = "");

// Deletes `path` and everything below it.
Status remove_tree(const std::string& path);

}  // namespace kdk::agent
