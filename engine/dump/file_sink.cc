#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "engine/dump/sink.h"
#include "util/format.h"

namespace kdk::dump {

Status FileSink::write_at(uint64_t offset, const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd_, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, format("write %zu bytes at offset %llu of %s", size - done,
                                             static_cast<unsigned long long>(offset + done), name_.c_str()));
    }
    if (n == 0) {
      return Error{format("write at offset %llu of %s wrote nothing",
                          static_cast<unsigned long long>(offset + done), name_.c_str())};
    }
    done += static_cast<size_t>(n);
  }
  bytes_ += size;
  unsynced_ += size;
  if (unsynced_ >= kWritebackBytes) {
    // Start writeback of what is dirty so far without waiting for it: the
    // disk works while we compress, the caller's final fsync has little
    // left to do, and dirty page cache (scarce in a kdump kernel) stays
    // small. Only a hint: failure (a pipe, an odd file system) is ignored.
    unsynced_ = 0;
    (void)::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }
  return {};
}

}  // namespace kdk::dump
