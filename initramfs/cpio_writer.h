// A reproducible cpio "newc" archive writer (the format the kernel unpacks
// into its initial rootfs). Reproducible means: entries sorted by path,
// parents created implicitly, inode numbers assigned in that order, all
// times, owners and device numbers of the archive itself zero. A character
// device keeps its rdev (major/minor): that is what the node is.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "util/result.h"

namespace kdk::initramfs {

class CpioArchive {
 public:
  // Paths are absolute inside the archive ("/init", "/lib/modules/...");
  // they are stored without the leading '/'. Adding a path twice replaces it.
  void add_directory(const std::string& path, mode_t perm = 0755);
  void add_file(const std::string& path, std::string contents, mode_t perm = 0644);
  // The file is read from the host when the archive is written.
  void add_host_file(const std::string& path, const std::string& host_path, mode_t perm = 0644);
  void add_symlink(const std::string& path, const std::string& target);
  void add_char_device(const std::string& path, uint32_t major, uint32_t minor,
                       mode_t perm = 0600);

  // Writes the whole archive (with "TRAILER!!!") to fd.
  Status write_to(int fd, const std::string& what) const;

  // One line per entry, like `ls -l` shows it, sorted: for `initramfs --list`.
  std::string listing() const;

 private:
  enum class Kind { kDirectory, kFile, kHostFile, kSymlink, kCharDevice };
  struct Entry {
    Kind kind;
    mode_t perm;
    std::string data;  // contents, host path, or symlink target
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
  };
  void add_parents(const std::string& path);
  std::map<std::string, Entry> entries_;  // key: normalized path without leading '/'
};

}  // namespace kdk::initramfs
