#include "agent/retention.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <tuple>

#include "util/fd.h"

namespace kdk::agent {

namespace {

constexpr size_t kStampLength = 19;  // YYYY-MM-DD-HH:MM:SS

bool is_stamp(const std::string& s) {
  static const char* pattern = "dddd-dd-dd-dd:dd:dd";
  if (s.size() != kStampLength) return false;
  for (size_t i = 0; i < kStampLength; ++i) {
    if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i]) return false;
  }
  return true;
}

// The stamp and the "-N" suffix (0 without one), or nothing.
bool split_name(const std::string& name, std::string& stamp, long& suffix) {
  suffix = 0;
  std::string base = name;
  size_t dash = name.find_last_of('-');
  if (dash != std::string::npos && dash >= kStampLength && dash + 1 < name.size() &&
      name.find_first_not_of("0123456789", dash + 1) == std::string::npos &&
      is_stamp(name.substr(dash - kStampLength, kStampLength))) {
    suffix = std::strtol(name.c_str() + dash + 1, nullptr, 10);
    base = name.substr(0, dash);
  }
  if (base.size() < kStampLength + 2 || base[base.size() - kStampLength - 1] != '-') return false;
  stamp = base.substr(base.size() - kStampLength);
  return is_stamp(stamp);
}

Status remove_tree_at(int parent, const std::string& name, const std::string& shown) {
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR || errno == ELOOP) {
      if (::unlinkat(parent, name.c_str(), 0) != 0) return Error::from_errno(errno, "unlink " + shown);
      return {};
    }
    return Error::from_errno(errno, "open " + shown);
  }
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return Error::from_errno(errno, "opendir " + shown);
  }
  Status result;
  while (dirent* e = ::readdir(d)) {
    std::string child = e->d_name;
    if (child == "." || child == "..") continue;
    if (auto s = remove_tree_at(::dirfd(d), child, shown + "/" + child); !s) {
      result = s;
      break;
    }
  }
  ::closedir(d);
  if (!result) return result;
  if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) return Error::from_errno(errno, "rmdir " + shown);
  return {};
}

}  // namespace

bool is_crash_directory_name(const std::string& name) {
  std::string stamp;
  long suffix = 0;
  return split_name(name, stamp, suffix);
}

bool is_crash_directory_of(const std::string& name, const std::string& host) {
  std::string stamp;
  long suffix = 0;
  if (host.empty() || !split_name(name, stamp, suffix)) return false;
  return name.size() > host.size() + 1 && name.compare(0, host.size(), host) == 0 &&
         name[host.size()] == '-' && name.compare(host.size() + 1, stamp.size(), stamp) == 0;
}

std::vector<std::string> expired_crash_directories(std::vector<std::string> names, int keep) {
  if (keep <= 0) return {};
  struct Entry {
    std::string stamp;
    long suffix;
    std::string name;
  };
  std::vector<Entry> dirs;
  for (auto& n : names) {
    Entry e{{}, 0, n};
    if (split_name(n, e.stamp, e.suffix)) dirs.push_back(std::move(e));
  }
  std::sort(dirs.begin(), dirs.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.stamp, a.suffix, a.name) > std::tie(b.stamp, b.suffix, b.name);
  });
  std::vector<std::string> out;
  // keep - 1 old ones stay: the new one makes `keep`.
  for (size_t i = static_cast<size_t>(keep - 1); i < dirs.size(); ++i) out.push_back(dirs[i].name);
  return out;
}

Status remove_tree(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  auto fd = open_fd(parent, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd.error();
  return remove_tree_at(fd->get(), path.substr(slash + 1), path);
}

Result<std::vector<std::string>> prune_crash_directories(const std::string& root, const std::string& host,
                                                         int keep, const std::string& except) {
  if (keep <= 0) return std::vector<std::string>{};
  std::vector<std::string> names;
  DIR* d = ::opendir(root.c_str());
  if (!d) return Error::from_errno(errno, "opendir " + root);
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == except || !is_crash_directory_of(n, host)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
    // Complete: the dump made it under its final name.
    struct stat dump {};
    if (::fstatat(::dirfd(d), (n + "/vmcore").c_str(), &dump, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(dump.st_mode)) {
      continue;
    }
    names.push_back(n);
  }
  ::closedir(d);
  std::vector<std::string> removed;
  for (const auto& n : expired_crash_directories(names, keep)) {
    if (auto s = remove_tree(root + "/" + n); !s) return s.error();
    removed.push_back(n);
  }
  if (!removed.empty()) {
    if (auto s = fsync_path(root); !s) return s.error();
  }
  return removed;
}

}  // namespace kdk::agent
