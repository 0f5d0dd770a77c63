// The seam between the vmcore model and the dump writers: which pages exist
// and which are dumped, decided one pfn range (a cycle) at a time so that
// memory stays bounded whatever the size of the dumped machine.
//
// Implementations: the struct-page classifier (engine/classify/), which
// applies makedumpfile's dump levels, and simple ones for tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::dump {

// One bit per pfn: bit (pfn - start) of words[(pfn - start) / 64].
struct PfnBitmap {
  uint64_t start_pfn = 0;
  uint64_t end_pfn = 0;  // exclusive
  std::vector<uint64_t> words;

  void reset(uint64_t start, uint64_t end) {
    start_pfn = start;
    end_pfn = end;
    words.assign((end - start + 63) / 64, 0);
  }
  bool test(uint64_t pfn) const {
    uint64_t i = pfn - start_pfn;
    return (words[i >> 6] >> (i & 63)) & 1;
  }
  void set(uint64_t pfn) {
    uint64_t i = pfn - start_pfn;
    words[i >> 6] |= 1ULL << (i & 63);
  }
  void clear(uint64_t pfn) {
    uint64_t i = pfn - start_pfn;
    words[i >> 6] &= ~(1ULL << (i & 63));
  }
};

// Pages excluded per reason, as makedumpfile reports them, plus damage.
struct FilterCounts {
  uint64_t ram = 0;            // pfns in bitmap1
  uint64_t zero = 0;           // filled in by the writer (content check)
  uint64_t cache = 0;          // bit 2
  uint64_t cache_private = 0;  // bit 4
  uint64_t user = 0;           // bit 8
  uint64_t free = 0;           // bit 16
  uint64_t hwpoison = 0;
  uint64_t offline = 0;
  uint64_t dumped = 0;  // set bits in the final bitmap2
};

struct Damage {
  uint64_t start_pfn = 0;
  uint64_t end_pfn = 0;  // exclusive
  std::string what;      // "struct page array unreadable: ...": kept, not excluded
};

class PageFilter {
 public:
  virtual ~PageFilter() = default;

  // Fills `ram` (bitmap1: the pfn is backed by a PT_LOAD) and `dumpable`
  // (bitmap2 before the zero-page check) for [start_pfn, end_pfn); both are
  // reset() to that range by the callee. Must be deterministic: the writer
  // calls it more than once for the same range (a counting pass, then the
  // writing pass). Never fails on damaged kernel data: such ranges are kept
  // and reported through damage().
  virtual Status filter(uint64_t start_pfn, uint64_t end_pfn, PfnBitmap& ram, PfnBitmap& dumpable) = 0;

  // One past the highest pfn (max_mapnr in the dump header).
  virtual uint64_t max_pfn() const = 0;

  // Counts from the calls to filter() so far (the writer resets them between passes).
  virtual FilterCounts& counts() = 0;
  virtual const std::vector<Damage>& damage() const = 0;
};

}  // namespace kdk::dump
