// The crashed kernel's virtual address space, as dump tools see it: an
// architecture's translator (engine/arch/<arch>/) turns kernel virtual
// addresses into physical ones using VMCOREINFO and the kernel page tables.
// Everything that reads kernel data structures (struct page, the printk
// ring, init_uts_ns) goes through this interface, never through an
// architecture directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::kernel {

class KernelMemory {
 public:
  virtual ~KernelMemory() = default;

  // Physical address of kernel virtual address `vaddr`; an error names the
  // address and the page-table level that failed.
  virtual Result<uint64_t> virt_to_phys(uint64_t vaddr) = 0;

  // Reads `len` bytes at `vaddr`, translating each page separately.
  virtual Status read(uint64_t vaddr, void* out, size_t len) = 0;

  // The physical memory underneath.
  virtual vmcore::PhysicalMemory& physical() = 0;

  template <class T>
  Result<T> read_value(uint64_t vaddr) {
    T v{};
    if (auto s = read(vaddr, &v, sizeof v); !s) return s.error();
    return v;
  }
};

}  // namespace kdk::kernel
