#include "engine/arch/x86_64/x86_64_layout.h"

#include <algorithm>

#include "util/format.h"

namespace kdk::arch::x86_64 {

namespace {

// Kernel addresses live in the upper half; anything else in a PT_LOAD's
// p_vaddr is a placeholder (0 or -1 from some core writers).
bool is_kernel_half(uint64_t vaddr) { return vaddr >= 0xff00000000000000ULL && vaddr != ~0ULL; }

}  // namespace

Result<Layout> derive_layout(const vmcore::VmcoreInfo& info, const std::vector<vmcore::LoadSegment>& loads) {
  Layout l;
  l.kaslr_offset = info.number("KERNELOFFSET", 16).value_or(0);
  if (auto size = info.number("NUMBER(KERNEL_IMAGE_SIZE)"); size && *size != 0) l.kernel_image_size = *size;
  l.levels = info.number("NUMBER(pgtable_l5_enabled)").value_or(0) != 0 ? 5 : 4;
  l.sme_mask = info.number("NUMBER(sme_mask)").value_or(0);

  // Decimal and possibly negative (the image below its link address):
  // the same bits as the kernel's unsigned long.
  if (auto pb = info.signed_number("NUMBER(phys_base)")) {
    l.phys_base = static_cast<uint64_t>(*pb);
  } else {
    // Older kernels: the PT_LOAD of the kernel text says where it is.
    for (const auto& seg : loads) {
      if (seg.virt_addr >= kStartKernelMap && seg.virt_addr != ~0ULL) {
        l.phys_base = seg.phys_addr - (seg.virt_addr - kStartKernelMap);
        break;
      }
    }
  }

  for (const char* key : {"SYMBOL(init_top_pgt)", "SYMBOL(init_level4_pgt)", "SYMBOL(swapper_pg_dir)"}) {
    if (auto v = info.number(key, 16)) {
      l.top_table_vaddr = *v;
      break;
    }
  }
  if (l.top_table_vaddr == 0) {
    return Error{
        "VMCOREINFO has none of SYMBOL(init_top_pgt), SYMBOL(init_level4_pgt), SYMBOL(swapper_pg_dir)"};
  }
  if (l.top_table_vaddr < kStartKernelMap || l.top_table_vaddr - kStartKernelMap >= l.kernel_image_size) {
    return Error{format("kernel page-table root 0x%llx is outside the kernel text mapping",
                        static_cast<unsigned long long>(l.top_table_vaddr))};
  }
  l.top_table_phys = l.top_table_vaddr - kStartKernelMap + l.phys_base;

  // The direct map: like makedumpfile, the last PT_LOAD below the text
  // mapping gives page_offset = p_vaddr - p_paddr. Its extent is bounded by
  // the highest physical address dumped: with KASLR the vmalloc and vmemmap
  // areas may start right after the RAM the direct map covers.
  uint64_t max_paddr = 0;
  for (const auto& seg : loads) {
    // A PT_LOAD VmcoreFile clipped to nothing (wild addresses) says nothing.
    if (seg.mem_size == 0) continue;
    max_paddr = std::max(max_paddr, seg.phys_addr + seg.mem_size);
    if (is_kernel_half(seg.virt_addr) && seg.virt_addr < kStartKernelMap && seg.virt_addr >= seg.phys_addr) {
      l.page_offset = seg.virt_addr - seg.phys_addr;
    }
  }
  if (l.page_offset != 0) l.direct_map_bytes = max_paddr;
  return l;
}

}  // namespace kdk::arch::x86_64
