// The page filter that needs no struct page: bitmap1 and bitmap2 from the
// PT_LOAD layout alone, as makedumpfile builds them before it excludes
// pages by their struct page. Enough for dump levels 0 and 1 (zero pages
// are found by the writer, which reads them anyway).
//
// makedumpfile's rules, which the classifier must reproduce as well (it can
// call fill_layout_bitmaps() for its base bitmaps):
//   - a PT_LOAD covers pfns [floor(paddr / ps), floor((paddr + memsz) / ps)):
//     a partial last page is not RAM (create_bitmap_from_memhole);
//   - pages past p_filesz ([roundup(paddr + filesz), roundup(paddr + memsz)))
//     are RAM but not dumpable (exclude_nodata_pages).
// Not done here, as makedumpfile does at every level when the kernel
// exports PG_hwpoison: hwpoison and logically offline pages are excluded by
// their struct page. That is the classifier's job.
#pragma once

#include <vector>

#include "engine/dump/dump_input.h"
#include "engine/format/page_filter.h"

namespace kdk::dump {

// Resets `ram` and `dumpable` to [start, end) and fills them from `phdrs`.
void fill_layout_bitmaps(const std::vector<ElfPhdr>& phdrs, uint64_t page_size, uint64_t start, uint64_t end,
                         PfnBitmap& ram, PfnBitmap& dumpable);

uint64_t count_bits(const PfnBitmap& b);

class LayoutPageFilter final : public PageFilter {
 public:
  // `damage` says why nothing finer was possible (the struct pages could not
  // be read), so that the dump records it.
  LayoutPageFilter(std::vector<ElfPhdr> phdrs, uint64_t page_size, uint64_t max_pfn,
                   std::vector<Damage> damage = {})
      : phdrs_(std::move(phdrs)), page_size_(page_size), max_pfn_(max_pfn), damage_(std::move(damage)) {}

  Status filter(uint64_t start_pfn, uint64_t end_pfn, PfnBitmap& ram, PfnBitmap& dumpable) override;
  uint64_t max_pfn() const override { return max_pfn_; }
  FilterCounts& counts() override { return counts_; }
  const std::vector<Damage>& damage() const override { return damage_; }

 private:
  std::vector<ElfPhdr> phdrs_;
  uint64_t page_size_;
  uint64_t max_pfn_;
  FilterCounts counts_;
  std::vector<Damage> damage_;
};

}  // namespace kdk::dump
