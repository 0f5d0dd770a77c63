// Where an x86-64 kernel put itself, read from VMCOREINFO and the PT_LOAD
// headers: the text mapping (__START_KERNEL_map + phys_base, KASLR already in
// the exported symbol values), the direct map (page_offset, randomised by
// KASLR, hence derived from the PT_LOAD virtual addresses as makedumpfile
// does) and the root of the kernel page tables.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/vmcore/elf_core.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::arch::x86_64 {

inline constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;
// KERNEL_IMAGE_SIZE with KASLR; used when VMCOREINFO does not say.
inline constexpr uint64_t kDefaultKernelImageSize = 1ULL << 30;

struct Layout {
  uint64_t phys_base = 0;     // physical address of __START_KERNEL_map
  uint64_t kaslr_offset = 0;  // KERNELOFFSET (informational: symbols already include it)
  uint64_t kernel_image_size = kDefaultKernelImageSize;
  uint64_t top_table_vaddr = 0;  // init_top_pgt (or init_level4_pgt / swapper_pg_dir)
  uint64_t top_table_phys = 0;
  int levels = 4;
  uint64_t sme_mask = 0;
  // Direct map [page_offset, page_offset + direct_map_bytes); 0 bytes when
  // the headers do not give page_offset (then every address is walked).
  uint64_t page_offset = 0;
  uint64_t direct_map_bytes = 0;
};

// Fails only when the page-table root cannot be found; everything else has a
// safe fallback (a walk instead of a linear translation).
Result<Layout> derive_layout(const vmcore::VmcoreInfo& info, const std::vector<vmcore::LoadSegment>& loads);

}  // namespace kdk::arch::x86_64
