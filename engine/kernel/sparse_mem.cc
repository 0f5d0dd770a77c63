#include "engine/kernel/sparse_mem.h"

#include <algorithm>
#include <cstring>

#include "engine/vmcore/checked_field.h"
#include "util/format.h"

namespace kdk::kernel {

namespace {

// SECTION_MAP_LAST_BIT is 1 << 5 since 4.13 (present, has-mem-map, online,
// early, zone-device taint); older kernels used fewer flag bits, and the
// extra masked bits are zero there because mem_map is at least 64-byte aligned.
constexpr uint64_t kSectionMapMask = ~((1ULL << 5) - 1);
constexpr uint64_t kSectionMarkedPresent = 1ULL << 0;

// Kernel virtual addresses (on 64-bit architectures) have their top byte set.
bool kernel_address(uint64_t vaddr) { return vaddr >= 0xff00000000000000ULL; }

// Upper bound on sections we track: 2^20 sections is 128 TiB with 128 MiB
// sections; more means a corrupt max_pfn or geometry.
constexpr uint64_t kMaxSections = 1ULL << 22;

}  // namespace

DecodedSection decode_section_mem_map(uint64_t raw, uint64_t section_nr, const SparseGeometry& g) {
  DecodedSection d;
  d.present = (raw & kSectionMarkedPresent) != 0;
  uint64_t first_pfn = section_nr << (g.section_size_bits - g.page_shift);
  d.mem_map = (raw & kSectionMapMask) + first_pfn * g.page_struct_size;
  return d;
}

Result<SparseGeometry> sparse_geometry(const vmcore::VmcoreInfo& info) {
  SparseGeometry g;
  auto page_size = info.number("PAGESIZE");
  auto ssb = info.number("NUMBER(SECTION_SIZE_BITS)");
  auto mpb = info.number("NUMBER(MAX_PHYSMEM_BITS)");
  auto ms_size = info.number("SIZE(mem_section)");
  auto smm = info.number("OFFSET(mem_section.section_mem_map)");
  auto page = info.number("SIZE(page)");
  if (!page_size || !ssb || !mpb || !ms_size || !smm || !page) {
    return Error{
        "VMCOREINFO lacks one of PAGESIZE, NUMBER(SECTION_SIZE_BITS), NUMBER(MAX_PHYSMEM_BITS), "
        "SIZE(mem_section), OFFSET(mem_section.section_mem_map), SIZE(page)"};
  }
  if (*page_size == 0 || (*page_size & (*page_size - 1)) != 0) {
    return Error{format("PAGESIZE %llu is not a power of two", static_cast<unsigned long long>(*page_size))};
  }
  g.page_shift = static_cast<uint32_t>(__builtin_ctzll(*page_size));
  if (*ssb <= g.page_shift || *ssb > 40 || *mpb < *ssb || *mpb > 64 || *ms_size == 0 ||
      *ms_size > *page_size || !vmcore::field_fits(*smm, 8, *ms_size) || *page == 0 || *page > 4096) {
    return Error{
        format("implausible SPARSEMEM geometry: SECTION_SIZE_BITS %llu, MAX_PHYSMEM_BITS %llu, "
               "SIZE(mem_section) %llu, SIZE(page) %llu",
               static_cast<unsigned long long>(*ssb), static_cast<unsigned long long>(*mpb),
               static_cast<unsigned long long>(*ms_size), static_cast<unsigned long long>(*page))};
  }
  g.section_size_bits = static_cast<uint32_t>(*ssb);
  g.max_physmem_bits = static_cast<uint32_t>(*mpb);
  g.mem_section_size = static_cast<uint32_t>(*ms_size);
  g.section_mem_map_offset = static_cast<uint32_t>(*smm);
  g.page_struct_size = static_cast<uint32_t>(*page);
  // SPARSEMEM_EXTREME exports LENGTH(mem_section) = NR_SECTION_ROOTS; a
  // static array (plain SPARSEMEM) has one root per section.
  uint64_t nr_mem_sections = 1ULL << (g.max_physmem_bits - g.section_size_bits);
  uint64_t per_root = *page_size / g.mem_section_size;
  auto length = info.number("LENGTH(mem_section)");
  g.extreme = !length || *length == (nr_mem_sections + per_root - 1) / per_root;
  return g;
}

uint64_t SparseMemMap::page_address(uint64_t pfn) const {
  uint64_t nr = pfn >> (geo_.section_size_bits - geo_.page_shift);
  uint64_t base = section_mem_map(nr);
  uint64_t first_pfn = nr * pages_per_section();
  return base == 0 ? 0 : base + (pfn - first_pfn) * geo_.page_struct_size;
}

uint64_t SparseMemMap::mem_map_end_pfn(uint64_t max_pfn) const {
  for (uint64_t nr = mem_maps_.size(); nr > 0; --nr) {
    if (mem_maps_[nr - 1] != 0) return std::min(max_pfn, nr * pages_per_section());
  }
  return 0;
}

namespace {

// One interpretation of SYMBOL(mem_section): `table` is the root array.
// Returns false when the interpretation is implausible (a present section
// decodes to a non-kernel address) or finds no present section at all.
bool read_sections(KernelMemory& mem, const SparseGeometry& g, uint64_t table, uint64_t sections,
                   std::vector<uint64_t>& maps, std::vector<bool>& unreadable,
                   std::vector<std::string>& problems) {
  maps.assign(sections, 0);
  unreadable.assign(sections, false);
  problems.clear();
  bool any = false;
  uint64_t per_root = g.sections_per_root();
  std::vector<uint8_t> block(per_root * g.mem_section_size);
  for (uint64_t root = 0; root * per_root < sections; ++root) {
    uint64_t block_addr;
    uint64_t count = std::min(per_root, sections - root * per_root);
    auto mark_unreadable = [&] {
      for (uint64_t i = 0; i < count; ++i) unreadable[root * per_root + i] = true;
    };
    if (g.extreme) {
      auto ptr = mem.read_value<uint64_t>(table + root * 8);
      if (!ptr) {
        problems.push_back(format("mem_section root %llu: %s", static_cast<unsigned long long>(root),
                                  ptr.error().message.c_str()));
        mark_unreadable();
        continue;
      }
      if (*ptr == 0) continue;  // no memory in these sections
      if (!kernel_address(*ptr)) continue;
      block_addr = *ptr;
    } else {
      block_addr = table + root * per_root * g.mem_section_size;
    }
    if (auto s = mem.read(block_addr, block.data(), count * g.mem_section_size); !s) {
      problems.push_back(format("mem_section block of root %llu at 0x%llx: %s",
                                static_cast<unsigned long long>(root),
                                static_cast<unsigned long long>(block_addr), s.error().message.c_str()));
      mark_unreadable();
      continue;
    }
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t nr = root * per_root + i;
      uint64_t raw;
      std::memcpy(&raw, block.data() + i * g.mem_section_size + g.section_mem_map_offset, 8);
      DecodedSection d = decode_section_mem_map(raw, nr, g);
      if (!d.present) continue;
      if (!kernel_address(d.mem_map)) return false;
      maps[nr] = d.mem_map;
      any = true;
    }
  }
  return any;
}

}  // namespace

Result<SparseMemMap> SparseMemMap::load(KernelMemory& mem, const vmcore::VmcoreInfo& info, uint64_t max_pfn) {
  auto geo = sparse_geometry(info);
  if (!geo) return geo.error();
  auto symbol = info.number("SYMBOL(mem_section)", 16);
  if (!symbol || *symbol == 0) return Error{"VMCOREINFO has no SYMBOL(mem_section)"};
  SparseMemMap m;
  m.geo_ = *geo;
  uint64_t sections = (max_pfn + geo->pages_per_section() - 1) / geo->pages_per_section();
  if (sections > kMaxSections) {
    return Error{format("%llu memory sections for max pfn 0x%llx is implausible",
                        static_cast<unsigned long long>(sections), static_cast<unsigned long long>(max_pfn))};
  }
  // VMCOREINFO gives the root array's address; with a vmlinux symbol table
  // (4.15+ SPARSEMEM_EXTREME) the symbol is a pointer to it. Try both, as
  // makedumpfile does.
  if (read_sections(mem, m.geo_, *symbol, sections, m.mem_maps_, m.unreadable_, m.problems_)) return m;
  if (m.geo_.extreme) {
    auto ptr = mem.read_value<uint64_t>(*symbol);
    if (ptr && kernel_address(*ptr) &&
        read_sections(mem, m.geo_, *ptr, sections, m.mem_maps_, m.unreadable_, m.problems_)) {
      return m;
    }
  }
  return Error{format("mem_section at 0x%llx: no present section with a plausible mem_map",
                      static_cast<unsigned long long>(*symbol))};
}

}  // namespace kdk::kernel
