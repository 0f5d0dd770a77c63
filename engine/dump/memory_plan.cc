#include <algorithm>

#include "engine/dump/page_pipeline.h"
#include "engine/dump/writer_options.h"

namespace kdk::dump {

MemoryPlan plan_memory(uint64_t budget, uint64_t page_size, unsigned threads) {
  MemoryPlan p;
  threads = std::max(1u, threads);
  // A cycle covers whole bitmap blocks so each cycle's bitmap bytes start
  // on a byte (and block) boundary of the file's bitmaps.
  const uint64_t unit = page_size * 8;
  // A quarter of the budget for the two per-cycle bitmaps (2 bits a pfn).
  uint64_t cycle = (budget / 4) * 4;
  p.cycle_pfns = std::max(unit, cycle / unit * unit);

  // Fixed writer buffers (data, descriptors, flattened record), then the pipeline.
  uint64_t fixed = kDataBufferBytes + kDescBufferEntries * 24 + (1 << 20);
  uint64_t rest = budget > budget / 2 + fixed ? budget - budget / 2 - fixed : 0;
  p.batch_pages = 64;
  while (p.batch_pages > 4 && pipeline_batch_bytes(p.batch_pages, page_size) * 2 * threads > rest)
    p.batch_pages /= 2;
  uint64_t batch = pipeline_batch_bytes(p.batch_pages, page_size);
  // Enough batches to keep every worker busy while the writer drains one,
  // more only when the budget allows; never fewer than two.
  p.batches = static_cast<size_t>(std::clamp<uint64_t>(rest / batch, 2, 4ULL * threads));
  return p;
}

}  // namespace kdk::dump
