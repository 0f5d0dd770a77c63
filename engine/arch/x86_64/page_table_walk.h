// The x86-64 hardware page-table walk (4-level and 5-level paging, with 2 MiB
// and 1 GiB large pages), over any source of physical memory, so that it can
// be tested against a fake one. A walk reads at most one entry per level and
// so always ends; garbage in the tables gives an error naming the level.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/result.h"

namespace kdk::arch::x86_64 {

// Physical memory as the walker needs it: little-endian 8-byte entries.
class PhysicalReader {
 public:
  virtual ~PhysicalReader() = default;
  virtual Status read(uint64_t phys, void* out, size_t len) = 0;
};

struct PagingMode {
  int levels = 4;  // 4 or 5
  // Bits of an entry that hold the next table's (or the page's) physical
  // address: 12..51, minus the memory-encryption bit (VMCOREINFO sme_mask).
  uint64_t entry_mask = 0x000ffffffffff000ULL;
};

// Where a virtual address lands, and the whole mapping it sits in (so a
// caller can translate the rest of a 2 MiB or 1 GiB page without walking).
struct Translation {
  uint64_t phys = 0;
  uint64_t page_bytes = 0;  // 4 KiB, 2 MiB or 1 GiB
  uint64_t page_vaddr = 0;  // start of the mapping containing the address
  uint64_t page_phys = 0;   // and where it is in physical memory
};

// Walks the tables rooted at physical address `root` (the PGD, or the PML5
// with 5-level paging). Non-canonical addresses, non-present entries,
// unreadable tables and large-page bits where the architecture reserves them
// are errors naming the address, the level and the entry.
Result<Translation> walk_page_tables(PhysicalReader& mem, uint64_t root, const PagingMode& mode,
                                     uint64_t vaddr);

}  // namespace kdk::arch::x86_64
