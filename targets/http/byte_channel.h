// A bounded byte queue between a producer thread that pushes (the dump
// engine, through ByteWriter) and a consumer that pulls (libcurl's read
// callback): memory stays at `capacity` whatever the size of the stream.
// Either side can end it: the producer with finish() or fail(), the consumer
// with abandon() (the upload ended early), which makes writes fail at once so
// the producer does not block forever.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/byte_writer.h"
#include "util/result.h"

namespace kdk::targets::http {

class ByteChannel : public ByteWriter {
 public:
  explicit ByteChannel(size_t capacity);

  // Producer side. write() blocks while the queue is full.
  Status write(const void* data, size_t size) override;
  void finish();               // end of stream
  void fail(Error error);      // the producer failed: read() returns `error`

  // Consumer side. Blocks until data, the end (0) or the producer's error.
  Result<size_t> read(char* buffer, size_t max);
  void abandon(const std::string& why);  // no more reads: writes fail with `why`

 private:
  std::mutex mutex_;
  std::condition_variable readable_;
  std::condition_variable writable_;
  std::vector<char> ring_;
  size_t head_ = 0;  // next byte to read
  size_t size_ = 0;  // bytes queued
  bool finished_ = false;
  std::optional<Error> producer_error_;
  std::optional<std::string> abandoned_;
};

}  // namespace kdk::targets::http
