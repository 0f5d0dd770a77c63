#include "targets/raw_device.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/format.h"
#include "util/sha256.h"

namespace kdk::targets {

Result<RawDevice> RawDevice::open(const std::string& path, bool writable) {
  auto fd = open_fd(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Error::from_errno(errno, "stat " + path);
  if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
    return Error{path + " is neither a block device nor a regular file"};
  }
  off_t end = ::lseek(fd->get(), 0, SEEK_END);  // the size of a block device too
  if (end < 0) return Error::from_errno(errno, "size of " + path);
  if (static_cast<uint64_t>(end) < 2 * kRawHeaderSize) {
    return Error{
        format("%s has %lld bytes: too small for a raw dump", path.c_str(), static_cast<long long>(end))};
  }
  RawDevice d;
  d.path_ = path;
  d.fd_ = std::move(*fd);
  d.size_ = static_cast<uint64_t>(end);
  return d;
}

Result<RawDevice> RawDevice::wait_and_open(const std::string& path, std::chrono::milliseconds timeout,
                                           const Clock& clock) {
  const auto deadline = clock.now() + timeout;
  for (;;) {
    if (path_exists(path)) return open(path, true);
    if (clock.now() >= deadline) {
      return Error{format("%s did not appear within %lld s", path.c_str(),
                          static_cast<long long>(timeout.count() / 1000))};
    }
    clock.sleep(std::chrono::milliseconds(200));
  }
}

Result<RawHeaderRead> RawDevice::read_header() const {
  std::vector<uint8_t> b(kRawHeaderSize);
  if (auto s = pread_exact(fd(), b.data(), b.size(), 0, "header of " + path_); !s) return s.error();
  return decode_raw_header(b, size_);
}

Status RawDevice::sync() {
  if (::fsync(fd()) != 0) return Error::from_errno(errno, "fsync " + path_);
  return {};
}

Status RawDevice::write_header(const RawHeader& h) {
  // What the header describes must be durable before the header says so.
  if (auto s = sync(); !s) return s;
  std::vector<uint8_t> b = encode_raw_header(h);
  ssize_t n = ::pwrite(fd(), b.data(), b.size(), 0);
  if (n != static_cast<ssize_t>(b.size())) {
    return Error::from_errno(n < 0 ? errno : EIO, "write header of " + path_);
  }
  return sync();
}

Result<RawRegion> RawDevice::write_region(uint64_t offset, const std::string& data) {
  if (offset > size_ || data.size() > size_ - offset) {
    return Error{format("%zu bytes at offset %llu do not fit on %s (%llu bytes)", data.size(),
                        static_cast<unsigned long long>(offset), path_.c_str(),
                        static_cast<unsigned long long>(size_)),
                 ENOSPC};
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd(), data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Error::from_errno(
          n < 0 ? errno : ENOSPC,
          format("write %s at offset %llu", path_.c_str(), static_cast<unsigned long long>(offset + done)));
    done += static_cast<size_t>(n);
  }
  return RawRegion{offset, data.size(), sha256_hex(data.data(), data.size())};
}

Result<std::string> RawDevice::digest(uint64_t offset, uint64_t length,
                                      const std::function<void()>& progress) const {
  Sha256 sum;
  std::vector<char> buf(4 << 20);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    if (auto s = pread_exact(fd(), buf.data(), want, static_cast<off_t>(offset + done), path_); !s)
      return s.error();
    sum.update(buf.data(), want);
    done += want;
    if (progress) progress();
  }
  return sum.hex_digest();
}

Status RawDevice::verify_region(const RawRegion& r, const std::string& name,
                                const std::function<void()>& progress) const {
  auto d = digest(r.offset, r.length, progress);
  if (!d) return d.error();
  if (*d != r.sha256) {
    return Error{format("%s on %s (%llu bytes at offset %llu): SHA-256 %s, the header says %s", name.c_str(),
                        path_.c_str(), static_cast<unsigned long long>(r.length),
                        static_cast<unsigned long long>(r.offset), d->c_str(), r.sha256.c_str())};
  }
  return {};
}

Result<std::string> RawDevice::read_region(const RawRegion& r, const std::string& name) const {
  std::string s(static_cast<size_t>(r.length), '\0');
  if (auto st = pread_exact(fd(), s.data(), s.size(), static_cast<off_t>(r.offset), name + " on " + path_);
      !st) {
    return st.error();
  }
  if (sha256_hex(s.data(), s.size()) != r.sha256) {
    return Error{format("%s on %s: SHA-256 does not match the header", name.c_str(), path_.c_str())};
  }
  return s;
}

}  // namespace kdk::targets
