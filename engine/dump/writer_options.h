// Options and results shared by the format writers, and how a memory
// budget is split between bitmaps and the compression pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/format/compressor.h"
#include "engine/format/page_filter.h"

namespace kdk::dump {

struct WriteOptions {
  int dump_level = 31;
  Compression compression = Compression::zstd;
  unsigned threads = 1;
  uint64_t memory_bytes = 64ULL << 20;
  bool quiet = true;
  const char* progress_label = "dump";
};

struct DumpStats {
  uint64_t max_mapnr = 0;
  uint64_t ram_pages = 0;       // bits in bitmap1
  uint64_t dumpable_pages = 0;  // bits in bitmap2 (zero pages included in kdump format)
  uint64_t zero_pages = 0;      // shared zero page (kdump) or excluded (ELF)
  uint64_t compressed_pages = 0;
  uint64_t raw_pages = 0;
  uint64_t file_size = 0;      // of the regular file
  uint64_t elf_segments = 0;   // PT_LOADs (ELF output)
  FilterCounts excluded;       // per class, from the page filter
  std::vector<Damage> damage;  // ranges kept because kernel data was unreadable
};

struct MemoryPlan {
  uint64_t cycle_pfns = 0;  // pfns per filter call (bitmaps: cycle_pfns / 4 bytes)
  size_t batch_pages = 0;
  size_t batches = 0;
};

// Writer buffers are fixed (not budget-dependent) so that the flattened
// stream's record boundaries, too, are the same at any budget.
inline constexpr size_t kDataBufferBytes = 1 << 20;
inline constexpr size_t kDescBufferEntries = 4096;

MemoryPlan plan_memory(uint64_t budget, uint64_t page_size, unsigned threads);

}  // namespace kdk::dump
