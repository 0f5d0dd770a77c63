// Owning file descriptor and the small set of I/O helpers every part uses.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>

#include "util/result.h"

namespace kdk {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.fd_, -1));
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added; the error names the path.
Result<UniqueFd> open_fd(const std::string& path, int flags, mode_t mode = 0);

// Loops over short writes and EINTR. `what` names the destination in errors.
Status write_all(int fd, const void* data, size_t size, const std::string& what);

// Reads exactly `size` bytes at `offset`; a short read is an error naming the offset.
Status pread_exact(int fd, void* data, size_t size, off_t offset, const std::string& what);

// Whole-file helpers; read_file works on /proc and /sys files whose size is 0.
Result<std::string> read_file(const std::string& path);
Status write_file(const std::string& path, const std::string& data, mode_t mode = 0644);

// fsync of a file or directory by path.
Status fsync_path(const std::string& path);

bool path_exists(const std::string& path);

// mkdir -p: creates `path` and its missing parents.
Status make_directories(const std::string& path, mode_t mode = 0755);

}  // namespace kdk
