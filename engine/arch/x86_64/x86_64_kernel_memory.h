// KernelMemory for x86-64: the kernel text mapping and the direct map are
// linear; everything else (vmemmap, vmalloc, modules) goes through the
// kernel's own page tables, with the last few leaf mappings cached so that a
// bulk read of the struct page array costs one walk per 2 MiB page.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "engine/arch/x86_64/page_table_walk.h"
#include "engine/arch/x86_64/x86_64_layout.h"
#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"

namespace kdk::arch::x86_64 {

class X86_64KernelMemory final : public kernel::KernelMemory {
 public:
  static Result<std::unique_ptr<X86_64KernelMemory>> create(const vmcore::VmcoreFile& core,
                                                            vmcore::PhysicalMemory& phys);
  X86_64KernelMemory(const Layout& layout, vmcore::PhysicalMemory& phys);

  Result<uint64_t> virt_to_phys(uint64_t vaddr) override;
  Status read(uint64_t vaddr, void* out, size_t len) override;
  vmcore::PhysicalMemory& physical() override { return phys_; }

  const Layout& layout() const { return layout_; }

 private:
  class Reader final : public PhysicalReader {
   public:
    explicit Reader(vmcore::PhysicalMemory& phys) : phys_(phys) {}
    Status read(uint64_t phys, void* out, size_t len) override;

   private:
    vmcore::PhysicalMemory& phys_;
  };

  // The mapping containing `vaddr`: linear regions give their whole extent.
  Result<Translation> translate(uint64_t vaddr);

  Layout layout_;
  vmcore::PhysicalMemory& phys_;
  Reader reader_;
  PagingMode mode_;
  std::array<Translation, 16> tlb_{};  // page_bytes == 0: empty
  size_t tlb_next_ = 0;
};

}  // namespace kdk::arch::x86_64
