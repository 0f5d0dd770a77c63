// A sequential byte destination: a file, a pipe, an upload in progress.
#pragma once

#include <cstddef>

#include "util/result.h"

namespace kdk {

class ByteWriter {
 public:
  virtual ~ByteWriter() = default;
  // Writes all `size` bytes or fails (the error says where and why).
  virtual Status write(const void* data, size_t size) = 0;
};

}  // namespace kdk
