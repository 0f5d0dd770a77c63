#include "engine/dump/ram_filter.h"

#include <algorithm>

namespace kdk::dump {

namespace {

constexpr uint32_t kPtLoad = 1;

void set_range(PfnBitmap& b, uint64_t lo, uint64_t hi) {
  lo = std::max(lo, b.start_pfn);
  hi = std::min(hi, b.end_pfn);
  for (uint64_t pfn = lo; pfn < hi;) {
    uint64_t i = pfn - b.start_pfn;
    if ((i & 63) == 0 && hi - pfn >= 64) {
      b.words[i >> 6] = ~0ULL;
      pfn += 64;
    } else {
      b.set(pfn++);
    }
  }
}

void clear_range(PfnBitmap& b, uint64_t lo, uint64_t hi) {
  lo = std::max(lo, b.start_pfn);
  hi = std::min(hi, b.end_pfn);
  for (uint64_t pfn = lo; pfn < hi; ++pfn) b.clear(pfn);
}

}  // namespace

uint64_t count_bits(const PfnBitmap& b) {
  uint64_t n = 0;
  for (uint64_t w : b.words) n += static_cast<uint64_t>(__builtin_popcountll(w));
  return n;
}

void fill_layout_bitmaps(const std::vector<ElfPhdr>& phdrs, uint64_t ps, uint64_t start, uint64_t end,
                         PfnBitmap& ram, PfnBitmap& dumpable) {
  ram.reset(start, end);
  dumpable.reset(start, end);
  for (const auto& h : phdrs) {
    if (h.type != kPtLoad) continue;
    set_range(ram, h.paddr / ps, (h.paddr + h.memsz) / ps);
  }
  dumpable.words = ram.words;
  for (const auto& h : phdrs) {
    if (h.type != kPtLoad || h.filesz >= h.memsz) continue;
    clear_range(dumpable, (h.paddr + h.filesz + ps - 1) / ps, (h.paddr + h.memsz + ps - 1) / ps);
  }
}

Status LayoutPageFilter::filter(uint64_t start_pfn, uint64_t end_pfn, PfnBitmap& ram, PfnBitmap& dumpable) {
  fill_layout_bitmaps(phdrs_, page_size_, start_pfn, end_pfn, ram, dumpable);
  counts_.ram += count_bits(ram);
  return {};
}

}  // namespace kdk::dump
