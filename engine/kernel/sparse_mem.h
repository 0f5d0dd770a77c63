// SPARSEMEM: physical memory is cut into sections (2^SECTION_SIZE_BITS
// bytes); each present section records where its part of the struct page
// array is (with SPARSEMEM_VMEMMAP, inside the virtually contiguous vmemmap).
// mem_section is an array of sections, or with SPARSEMEM_EXTREME an array of
// pointers to page-sized blocks of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::kernel {

struct SparseGeometry {
  uint32_t page_shift = 12;
  uint32_t section_size_bits = 27;
  uint32_t max_physmem_bits = 46;
  uint32_t mem_section_size = 32;  // SIZE(mem_section)
  uint32_t section_mem_map_offset = 0;
  uint32_t page_struct_size = 64;  // SIZE(page)
  bool extreme = true;             // SPARSEMEM_EXTREME: roots are pointers

  uint64_t pages_per_section() const { return 1ULL << (section_size_bits - page_shift); }
  uint64_t sections_per_root() const { return extreme ? (1ULL << page_shift) / mem_section_size : 1; }
};

// section_mem_map: the low bits are flags (SECTION_MARKED_PRESENT is bit 0;
// the kernel keeps the struct page address aligned so that bits 0..4 are
// free for them), the rest is the mem_map address minus the section's first
// pfn times SIZE(page), so that adding pfn * SIZE(page) gives the struct page.
struct DecodedSection {
  bool present = false;
  uint64_t mem_map = 0;  // address of the struct page of the section's first pfn
};
DecodedSection decode_section_mem_map(uint64_t raw, uint64_t section_nr, const SparseGeometry& g);

// Reads VMCOREINFO's SECTION_SIZE_BITS, MAX_PHYSMEM_BITS, SIZE(mem_section),
// OFFSET(mem_section.section_mem_map), LENGTH(mem_section), PAGESIZE, SIZE(page).
Result<SparseGeometry> sparse_geometry(const vmcore::VmcoreInfo& info);

// The mem_map address of every section below max_pfn, read once.
class SparseMemMap {
 public:
  static Result<SparseMemMap> load(KernelMemory& mem, const vmcore::VmcoreInfo& info, uint64_t max_pfn);
  // For tests: decode an already-read table.
  SparseMemMap(const SparseGeometry& g, std::vector<uint64_t> mem_maps)
      : geo_(g), mem_maps_(std::move(mem_maps)) {}

  const SparseGeometry& geometry() const { return geo_; }
  uint64_t pages_per_section() const { return geo_.pages_per_section(); }
  uint64_t section_count() const { return mem_maps_.size(); }
  // 0 when the section has no struct pages (absent, hot-removed, unreadable).
  uint64_t section_mem_map(uint64_t section_nr) const {
    return section_nr < mem_maps_.size() ? mem_maps_[section_nr] : 0;
  }
  // Address of pfn's struct page, or 0.
  uint64_t page_address(uint64_t pfn) const;
  // One past the last pfn of the last section with a mem_map (makedumpfile
  // lowers max_mapnr to it), or 0 when no section has one.
  uint64_t mem_map_end_pfn(uint64_t max_pfn) const;
  // Sections whose mem_section entry could not be read: their pages are kept.
  bool unreadable(uint64_t section_nr) const {
    return section_nr < unreadable_.size() && unreadable_[section_nr];
  }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  SparseMemMap() = default;
  SparseGeometry geo_;
  std::vector<uint64_t> mem_maps_;
  std::vector<bool> unreadable_;
  std::vector<std::string> problems_;
};

}  // namespace kdk::kernel
