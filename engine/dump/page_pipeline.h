// N compressing threads and one ordered consumer. The caller (the format
// writer's thread) pushes pfns in dump order; N - 1 workers read and
// compress batches of pages in parallel, and so does the caller while it
// waits for the oldest batch; the caller receives the results in exactly
// the order it pushed them, so the output does not depend on the number of
// threads or on scheduling. With one thread there are no workers: push()
// reads, compresses and delivers the page itself. Memory is bounded by the
// number of batches in flight (plus, per thread, the compressed form of
// uniform pages: at most 256 pages).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "engine/dump/dump_input.h"
#include "engine/format/compressor.h"
#include "util/result.h"

namespace kdk::dump {

struct PipelineConfig {
  unsigned threads = 1;      // compressing threads, the caller included (>= 1)
  size_t batch_pages = 64;   // pages handed to a worker at once
  size_t batches = 8;        // batches in flight (>= 2)
  bool detect_zero = false;  // report all-zero pages instead of compressing them
  Compression compression = Compression::none;
};

struct PageResult {
  uint64_t pfn = 0;
  bool zero = false;              // all bytes zero (only with detect_zero)
  uint32_t flags = 0;             // compression flag, 0 = raw
  uint32_t size = 0;              // bytes at `data`
  const uint8_t* data = nullptr;  // valid during the callback only
};

using PageConsumer = std::function<Status(const PageResult&)>;

class PagePipeline {
 public:
  static Result<std::unique_ptr<PagePipeline>> start(const PipelineConfig& config, PageSource& pages,
                                                     PageConsumer consumer);
  ~PagePipeline();  // stops and joins the workers

  // Queues one page; may block and deliver finished pages to the consumer.
  // The first error (a read, the consumer) is returned here or by finish().
  Status push(uint64_t pfn);
  // Delivers everything queued and stops the workers.
  Status finish();

  struct Impl;
  struct Encoder;

 private:
  explicit PagePipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Bytes one batch holds (for memory planning).
size_t pipeline_batch_bytes(size_t batch_pages, uint64_t page_size);

}  // namespace kdk::dump
