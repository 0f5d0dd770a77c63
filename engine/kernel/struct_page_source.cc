#include "engine/kernel/struct_page_source.h"

#include "util/format.h"

namespace kdk::kernel {

bool SparseMemPages::has_mem_map(uint64_t pfn, std::string* why) const {
  uint64_t section = pfn / map_.pages_per_section();
  if (map_.section_mem_map(section) != 0) return true;
  if (why) {
    why->clear();
    if (map_.unreadable(section)) {
      *why = format("mem_section entry of section %llu unreadable", static_cast<unsigned long long>(section));
    }
  }
  return false;
}

Status SparseMemPages::read(uint64_t pfn, uint64_t count, uint8_t* out) {
  uint64_t addr = map_.page_address(pfn);
  if (addr == 0) {
    return Error{format("pfn 0x%llx has no struct page", static_cast<unsigned long long>(pfn))};
  }
  if (auto s = mem_.read(addr, out, count * layout_.size); !s) {
    return Error{format("struct pages of pfn 0x%llx..0x%llx at 0x%llx: %s",
                        static_cast<unsigned long long>(pfn),
                        static_cast<unsigned long long>(pfn + count - 1),
                        static_cast<unsigned long long>(addr), s.error().message.c_str())};
  }
  return {};
}

}  // namespace kdk::kernel
