// A raw dump partition opened for the header protocol of raw_header.h: read
// and write the header (fsync'd), write a region, read a region back and
// check its digest. Works on a block device or, for tests, a regular file.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "targets/raw_header.h"
#include "util/clock.h"
#include "util/fd.h"
#include "util/result.h"

namespace kdk::targets {

class RawDevice {
 public:
  static Result<RawDevice> open(const std::string& path, bool writable);
  // Polls for `path` to appear (devtmpfs, no udev) until `timeout`, then opens it read-write.
  static Result<RawDevice> wait_and_open(const std::string& path, std::chrono::milliseconds timeout,
                                         const Clock& clock);

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  int fd() const { return fd_.get(); }

  Result<RawHeaderRead> read_header() const;
  // Writes the header block and syncs everything written before it.
  Status write_header(const RawHeader& h);
  // Writes `data` at `offset` and returns its region (length, SHA-256).
  Result<RawRegion> write_region(uint64_t offset, const std::string& data);
  // Reads a region back and compares its SHA-256; `progress` is called per chunk.
  Status verify_region(const RawRegion& r, const std::string& name,
                       const std::function<void()>& progress = {}) const;
  Result<std::string> read_region(const RawRegion& r, const std::string& name) const;
  // SHA-256 of `length` bytes at `offset`.
  Result<std::string> digest(uint64_t offset, uint64_t length,
                             const std::function<void()>& progress = {}) const;
  Status sync();

 private:
  RawDevice() = default;
  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

// Rounds up to a multiple of `align` (a power of two).
constexpr uint64_t align_up(uint64_t v, uint64_t align) { return (v + align - 1) & ~(align - 1); }

}  // namespace kdk::targets
