#include "engine/arch/x86_64/x86_64_kernel_memory.h"

#include <algorithm>
#include <cstring>

#include "util/format.h"

namespace kdk::arch::x86_64 {

Result<std::unique_ptr<X86_64KernelMemory>> X86_64KernelMemory::create(const vmcore::VmcoreFile& core,
                                                                       vmcore::PhysicalMemory& phys) {
  auto layout = derive_layout(core.info(), core.layout().loads);
  if (!layout) return layout.error();
  if (core.kdump()) {
    // A kdump-compressed input states phys_base in its sub header, which
    // makedumpfile takes over whatever else it could derive.
    uint64_t pb = core.kdump()->sub_header().phys_base;
    layout->top_table_phys = layout->top_table_phys - layout->phys_base + pb;
    layout->phys_base = pb;
  }
  return std::make_unique<X86_64KernelMemory>(*layout, phys);
}

X86_64KernelMemory::X86_64KernelMemory(const Layout& layout, vmcore::PhysicalMemory& phys)
    : layout_(layout), phys_(phys), reader_(phys) {
  mode_.levels = layout.levels;
  mode_.entry_mask &= ~layout.sme_mask;
}

Status X86_64KernelMemory::Reader::read(uint64_t phys, void* out, size_t len) {
  // Page-table entries are 8 aligned bytes: take them straight from the
  // mapped window when possible.
  uint64_t ps = phys_.page_size();
  if (len <= ps && phys % ps + len <= ps) {
    if (const uint8_t* p = phys_.map_page(phys / ps)) {
      std::memcpy(out, p + phys % ps, len);
      return {};
    }
  }
  return phys_.read(phys, out, len);
}

Result<Translation> X86_64KernelMemory::translate(uint64_t vaddr) {
  Translation t;
  if (vaddr >= kStartKernelMap && vaddr - kStartKernelMap < layout_.kernel_image_size) {
    t.page_vaddr = kStartKernelMap;
    t.page_phys = layout_.phys_base;
    t.page_bytes = layout_.kernel_image_size;
    t.phys = vaddr - kStartKernelMap + layout_.phys_base;
    return t;
  }
  if (layout_.direct_map_bytes != 0 && vaddr >= layout_.page_offset &&
      vaddr - layout_.page_offset < layout_.direct_map_bytes) {
    t.page_vaddr = layout_.page_offset;
    t.page_phys = 0;
    t.page_bytes = layout_.direct_map_bytes;
    t.phys = vaddr - layout_.page_offset;
    return t;
  }
  for (const Translation& c : tlb_) {
    if (c.page_bytes != 0 && vaddr - c.page_vaddr < c.page_bytes && vaddr >= c.page_vaddr) {
      t = c;
      t.phys = c.page_phys + (vaddr - c.page_vaddr);
      return t;
    }
  }
  auto walked = walk_page_tables(reader_, layout_.top_table_phys, mode_, vaddr);
  if (!walked) return walked.error();
  tlb_[tlb_next_] = *walked;
  tlb_next_ = (tlb_next_ + 1) % tlb_.size();
  return *walked;
}

Result<uint64_t> X86_64KernelMemory::virt_to_phys(uint64_t vaddr) {
  auto t = translate(vaddr);
  if (!t) return t.error();
  return t->phys;
}

Status X86_64KernelMemory::read(uint64_t vaddr, void* out, size_t len) {
  auto* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    auto t = translate(vaddr);
    if (!t) return t.error();
    uint64_t left_in_mapping = t->page_vaddr + t->page_bytes - vaddr;
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, left_in_mapping));
    if (auto s = phys_.read(t->phys, dst, n); !s) {
      return Error{format("virtual address 0x%llx (physical 0x%llx): %s",
                          static_cast<unsigned long long>(vaddr), static_cast<unsigned long long>(t->phys),
                          s.error().message.c_str())};
    }
    dst += n;
    vaddr += n;
    len -= n;
  }
  return {};
}

}  // namespace kdk::arch::x86_64
