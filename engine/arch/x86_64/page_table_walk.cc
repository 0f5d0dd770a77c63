#include "engine/arch/x86_64/page_table_walk.h"

#include "util/format.h"

namespace kdk::arch::x86_64 {

namespace {

constexpr uint64_t kPresent = 1ULL << 0;
constexpr uint64_t kLargePage = 1ULL << 7;  // PS: 1 GiB at the PUD, 2 MiB at the PMD

// Level names from the top, for errors; index = levels - remaining.
const char* level_name(int shift) {
  switch (shift) {
    case 48:
      return "PML5";
    case 39:
      return "PGD";
    case 30:
      return "PUD";
    case 21:
      return "PMD";
    default:
      return "PTE";
  }
}

bool canonical(uint64_t vaddr, int levels) {
  int top = levels == 5 ? 56 : 47;  // highest implemented bit, sign-extended above
  uint64_t high = vaddr >> top;
  uint64_t all = (1ULL << (64 - top)) - 1;
  return high == 0 || high == all;
}

}  // namespace

Result<Translation> walk_page_tables(PhysicalReader& mem, uint64_t root, const PagingMode& mode,
                                     uint64_t vaddr) {
  if (mode.levels != 4 && mode.levels != 5) {
    return Error{format("unsupported paging depth %d", mode.levels)};
  }
  if (!canonical(vaddr, mode.levels)) {
    return Error{format("virtual address 0x%llx is not canonical for %d-level paging",
                        static_cast<unsigned long long>(vaddr), mode.levels)};
  }
  uint64_t table = root & mode.entry_mask;
  // Tables already walked through: Linux never maps a page table as a table
  // of its own walk, so an entry leading back to one is corruption (a loop
  // that would otherwise read page-table entries as struct pages or text).
  uint64_t seen[5] = {};
  int seen_count = 0;
  // 4-level starts at bit 39 (PGD), 5-level at bit 48 (PML5); each level
  // takes 9 bits down to the PTE at bit 12.
  for (int shift = mode.levels == 5 ? 48 : 39; shift >= 12; shift -= 9) {
    uint64_t index = (vaddr >> shift) & 511;
    uint64_t entry_addr = table + index * 8;
    uint64_t entry = 0;
    if (auto s = mem.read(entry_addr, &entry, sizeof entry); !s) {
      return Error{format("virtual address 0x%llx: %s table at 0x%llx unreadable: %s",
                          static_cast<unsigned long long>(vaddr), level_name(shift),
                          static_cast<unsigned long long>(table), s.error().message.c_str())};
    }
    if (!(entry & kPresent)) {
      return Error{format("virtual address 0x%llx: %s entry %llu at 0x%llx not present (0x%llx)",
                          static_cast<unsigned long long>(vaddr), level_name(shift),
                          static_cast<unsigned long long>(index), static_cast<unsigned long long>(entry_addr),
                          static_cast<unsigned long long>(entry))};
    }
    bool leaf = shift == 12;
    if (!leaf && (entry & kLargePage)) {
      // Only the PUD (1 GiB) and PMD (2 MiB) may map pages; PS above them is
      // reserved, so a set bit there means the table is garbage.
      if (shift != 30 && shift != 21) {
        return Error{
            format("virtual address 0x%llx: %s entry 0x%llx at 0x%llx has the reserved large-page bit",
                   static_cast<unsigned long long>(vaddr), level_name(shift),
                   static_cast<unsigned long long>(entry), static_cast<unsigned long long>(entry_addr))};
      }
      leaf = true;
    }
    if (leaf) {
      uint64_t size = 1ULL << shift;
      Translation t;
      t.page_bytes = size;
      t.page_phys = entry & mode.entry_mask & ~(size - 1);
      t.page_vaddr = vaddr & ~(size - 1);
      t.phys = t.page_phys + (vaddr & (size - 1));
      return t;
    }
    uint64_t next = entry & mode.entry_mask;
    seen[seen_count++] = table;
    for (int i = 0; i < seen_count; ++i) {
      if (seen[i] == next) {
        return Error{format(
            "virtual address 0x%llx: page-table loop: %s entry 0x%llx at 0x%llx points back at "
            "the table at 0x%llx",
            static_cast<unsigned long long>(vaddr), level_name(shift), static_cast<unsigned long long>(entry),
            static_cast<unsigned long long>(entry_addr), static_cast<unsigned long long>(next))};
      }
    }
    table = next;
  }
  return Error{"unreachable page-table level"};  // the loop always returns
}

}  // namespace kdk::arch::x86_64
