#include "util/fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/format.h"

namespace kdk {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
}

Result<UniqueFd> open_fd(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return Error::from_errno(errno, "open " + path);
  }
  return UniqueFd(fd);
}

Status write_all(int fd, const void* data, size_t size, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "write " + what);
    }
    if (n == 0) {
      return Error{"write " + what + ": wrote nothing", 0};
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status pread_exact(int fd, void* data, size_t size, off_t offset, const std::string& what) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, p + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(
          errno, format("read %zu bytes at offset 0x%llx of %s", size,
                        static_cast<unsigned long long>(offset), what.c_str()));
    }
    if (n == 0) {
      return Error{format("read %zu bytes at offset 0x%llx of %s: file ends after %zu bytes", size,
                          static_cast<unsigned long long>(offset), what.c_str(), done),
                   0};
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status write_file(const std::string& path, const std::string& data, mode_t mode) {
  auto fd = open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (!fd) return fd.error();
  return write_all(fd->get(), data.data(), data.size(), path);
}

Status fsync_path(const std::string& path) {
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  if (::fsync(fd->get()) != 0) {
    return Error::from_errno(errno, "fsync " + path);
  }
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Status make_directories(const std::string& path, mode_t mode) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos + 1);
    if (next == std::string::npos) next = path.size();
    std::string prefix = path.substr(0, next);
    pos = next;
    if (prefix.empty() || prefix == "/") continue;
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::from_errno(errno, "mkdir " + prefix);
    }
  }
  return {};
}

}  // namespace kdk
