// Where a dump's bytes go. The format writers describe the regular
// (seekable) file: "these bytes at this offset". A FileSink puts them there;
// a FlatSink turns them into makedumpfile's flattened record stream, which
// travels through pipes and sockets and is rebuilt by reassemble()
// (or makedumpfile -R).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/byte_writer.h"
#include "util/result.h"

namespace kdk::dump {

class Sink {
 public:
  virtual ~Sink() = default;
  // Writes `size` bytes (> 0) at `offset` of the regular file.
  virtual Status write_at(uint64_t offset, const void* data, size_t size) = 0;
  // Completes the output (the flattened end record); no fsync: the caller
  // owns durability.
  virtual Status finish() = 0;
  // Bytes sent to the underlying fd so far (records included).
  virtual uint64_t bytes_out() const = 0;
};

// pwrite(2) to a seekable fd; the fd stays owned by the caller. Every
// kWritebackBytes it starts (does not wait for) writeback of the file.
class FileSink final : public Sink {
 public:
  FileSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status write_at(uint64_t offset, const void* data, size_t size) override;
  Status finish() override { return {}; }
  uint64_t bytes_out() const override { return bytes_; }

 private:
  static constexpr uint64_t kWritebackBytes = 8 << 20;
  int fd_;
  std::string name_;
  uint64_t bytes_ = 0;
  uint64_t unsynced_ = 0;
};

// A stream taking bytes strictly in order (a raw vmcore copy to an upload):
// write_at must continue where the last write ended.
class StreamSink final : public Sink {
 public:
  explicit StreamSink(ByteWriter& out) : out_(out) {}
  Status write_at(uint64_t offset, const void* data, size_t size) override;
  Status finish() override { return {}; }
  uint64_t bytes_out() const override { return bytes_; }

 private:
  ByteWriter& out_;
  uint64_t bytes_ = 0;
};

// write_all(2) to an fd (pipe, socket, file) as a ByteWriter.
class FdWriter final : public ByteWriter {
 public:
  FdWriter(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status write(const void* data, size_t size) override;

 private:
  int fd_;
  std::string name_;
};

// The flattened format to any fd (pipe, socket, file) or ByteWriter (an
// upload), written strictly sequentially. Consecutive writes that continue
// each other are merged into one record of up to `max_record` bytes to save
// record headers.
class FlatSink final : public Sink {
 public:
  FlatSink(int fd, std::string name, size_t max_record = 1 << 20);
  FlatSink(ByteWriter& out, size_t max_record = 1 << 20);
  FlatSink(const FlatSink&) = delete;
  FlatSink& operator=(const FlatSink&) = delete;
  Status write_at(uint64_t offset, const void* data, size_t size) override;
  Status finish() override;
  uint64_t bytes_out() const override { return bytes_; }

 private:
  Status start();
  Status flush();
  Status emit(const void* data, size_t size);

  FdWriter fd_writer_;
  ByteWriter& out_;
  size_t max_record_;
  bool started_ = false;
  uint64_t pending_offset_ = 0;
  std::vector<uint8_t> pending_;
  uint64_t bytes_ = 0;
};

// Rebuilds the regular file from a flattened stream read from `in_fd` into
// the seekable `out_fd` (makedumpfile -R). Rejects a bad signature, negative
// or overflowing records and a missing end record.
Status reassemble_flat(int in_fd, const std::string& in_name, int out_fd, const std::string& out_name);

}  // namespace kdk::dump
