// One crash directory on a target that is not a mounted filesystem (HTTP(S),
// S3): files are uploaded whole, and a file exists under its final name only
// once complete. The capture writes vmcore-dmesg.txt and a first
// metadata.json, then the dump as one sequential stream (vmcore.flat), then
// kdumpkit.log and the final metadata.json, which marks the dump complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/byte_writer.h"
#include "util/result.h"

namespace kdk::targets {

struct StoredObject {
  uint64_t size = 0;
  std::string sha256;  // lower-case hex of the bytes stored
};

// Writes the whole stream to the writer it is given, front to back. It may be
// called more than once (a retry after a connection cut midway starts over),
// and must produce the same bytes each time.
using StreamProducer = std::function<Status(ByteWriter& out)>;

class CrashStore {
 public:
  virtual ~CrashStore() = default;
  // Where the files go, for logs and metadata: never carries a credential.
  virtual std::string where() const = 0;
  // Stores a small file whole (replacing an earlier version of it).
  virtual Result<StoredObject> put(const std::string& name, std::string_view data) = 0;
  // Stores a stream of unknown length; on final failure nothing is left
  // under `name` that could pass for complete.
  virtual Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) = 0;
};

}  // namespace kdk::targets
