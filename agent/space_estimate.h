// Will the dump fit? Before writing to a disk target the capture counts the
// pages the dump would hold (the classifier's pass over the crashed kernel's
// struct pages, as the writer itself does before writing) and compares two
// sizes with the free space:
//   upper:    every dumped page stored uncompressed, plus headers, bitmaps
//             and page descriptors — the file can never be larger;
//   expected: for compressed kdump output, the page data at kExpectedRatio,
//             a deliberately modest ratio (kernel memory at level 31
//             compresses 3-10:1 with zstd, lzo or zlib).
// The configured level is written when `expected` fits; otherwise the next
// more-excluding level is tried (free pages, then user pages, then 31); when
// none fits, only the log and metadata are saved. An estimate that was still
// too small ends in ENOSPC, handled by the caller (partial file removed).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace kdk::vmcore {
class VmcoreFile;
}

namespace kdk::agent {

inline constexpr uint64_t kExpectedRatio = 2;

struct DumpSize {
  int level = 0;
  uint64_t dumpable_pages = 0;
  uint64_t upper_bytes = 0;
  uint64_t expected_bytes = 0;
};

// What the writer's output takes for these counts (pure, for tests).
struct DumpShape {
  config::DumpFormat format = config::DumpFormat::kKdump;
  bool compressed = true;
  uint64_t page_size = 4096;
  uint64_t max_pfn = 0;
  uint64_t dumpable_pages = 0;
  uint64_t runs = 0;  // runs of consecutive dumped pfns (ELF segments)
  uint64_t notes_bytes = 0;
  uint64_t vmcore_bytes = 0;  // raw format: the copy is exactly this
};
DumpSize dump_size(const DumpShape& shape, int level);

// Counts the pages `level` dumps from `core` (one classifier pass).
Result<DumpSize> estimate_dump_size(const vmcore::VmcoreFile& core, config::DumpFormat format, int level,
                                    bool compressed);

// `level`, then the levels that also exclude free pages (16), user pages
// (8), and everything makedumpfile can exclude (31).
std::vector<int> fallback_levels(int level);

struct SpaceDecision {
  bool write_dump = false;
  DumpSize size;       // of the level chosen, or of the last one tried
  std::string reason;  // why this level, or why no dump
};

// The first level of fallback_levels(level) whose expected size fits in
// `available` bytes; `estimate` is called for each level tried, in order.
SpaceDecision decide_dump_level(uint64_t available, int level,
                                const std::function<Result<DumpSize>(int)>& estimate);

}  // namespace kdk::agent
