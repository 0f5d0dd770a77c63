// Where the classifier gets struct pages from: the kernel's mem_map, read in
// bulk one pfn range at a time. An interface so that the classification
// rules and their cycle handling can be tested with made-up struct pages.
#pragma once

#include <cstdint>
#include <string>

#include "engine/kernel/kernel_memory.h"
#include "engine/kernel/sparse_mem.h"
#include "engine/kernel/struct_page.h"
#include "util/result.h"

namespace kdk::kernel {

class StructPageSource {
 public:
  virtual ~StructPageSource() = default;

  virtual const PageLayout& layout() const = 0;
  // pfns come in chunks of this many (SPARSEMEM sections, aligned), each
  // with its own piece of mem_map; makedumpfile walks them one by one.
  virtual uint64_t chunk_pages() const = 0;
  // True when pfn's chunk has struct pages. When it has none, `why` is
  // empty for a chunk the kernel simply has no memory map for, or says
  // what could not be read.
  virtual bool has_mem_map(uint64_t pfn, std::string* why) const = 0;
  // Copies the struct pages of [pfn, pfn + count), all in one chunk, to
  // `out` (count * layout().size bytes).
  virtual Status read(uint64_t pfn, uint64_t count, uint8_t* out) = 0;
};

// The real thing: SPARSEMEM's mem_map read through a KernelMemory.
class SparseMemPages final : public StructPageSource {
 public:
  SparseMemPages(KernelMemory& mem, SparseMemMap map, PageLayout layout)
      : mem_(mem), map_(std::move(map)), layout_(layout) {}

  const PageLayout& layout() const override { return layout_; }
  uint64_t chunk_pages() const override { return map_.pages_per_section(); }
  bool has_mem_map(uint64_t pfn, std::string* why) const override;
  Status read(uint64_t pfn, uint64_t count, uint8_t* out) override;

  const SparseMemMap& map() const { return map_; }

 private:
  KernelMemory& mem_;
  SparseMemMap map_;
  PageLayout layout_;
};

}  // namespace kdk::kernel
