// Test-only KernelMemory for the x86-64 fixture vmcore, good for what the
// printk ring lives in: the kernel image mapping (va - __START_KERNEL_map +
// phys_base) and the direct map (va - PAGE_OFFSET, PAGE_OFFSET taken from
// the RAM PT_LOADs, which carry direct-map addresses). No page tables: the
// product's translator is engine/arch/; this one only lets the dmesg oracle
// test run on its own.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/format.h"

namespace kdk::dmesg::testing {

class FixtureKernelMemory final : public kernel::KernelMemory {
 public:
  static constexpr uint64_t kStartKernelMap = 0xffffffff80000000ULL;

  FixtureKernelMemory(const vmcore::VmcoreFile& core, vmcore::PhysicalMemory& phys) : phys_(phys) {
    // Signed: with KASLR the kernel can sit below its link-time physical
    // address, and then phys_base is negative ("NUMBER(phys_base)=-150994944").
    if (auto v = core.info().get("NUMBER(phys_base)"))
      phys_base_ = static_cast<uint64_t>(std::strtoll(v->c_str(), nullptr, 10));
    for (const auto& seg : core.layout().loads) {
      if (seg.virt_addr >= 0xffff800000000000ULL && seg.virt_addr < kStartKernelMap) {
        page_offset_ = seg.virt_addr - seg.phys_addr;
        break;
      }
    }
  }

  Result<uint64_t> virt_to_phys(uint64_t va) override {
    if (va >= kStartKernelMap) return va - kStartKernelMap + phys_base_;
    if (page_offset_ && va >= page_offset_) return va - page_offset_;
    return Error{format("0x%llx is neither in the kernel image nor in the direct map",
                        static_cast<unsigned long long>(va))};
  }
  Status read(uint64_t va, void* out, size_t len) override {
    auto pa = virt_to_phys(va);
    if (!pa) return pa.error();
    return phys_.read(*pa, out, len);
  }
  vmcore::PhysicalMemory& physical() override { return phys_; }

 private:
  vmcore::PhysicalMemory& phys_;
  uint64_t phys_base_ = 0;
  uint64_t page_offset_ = 0;
};

}  // namespace kdk::dmesg::testing
