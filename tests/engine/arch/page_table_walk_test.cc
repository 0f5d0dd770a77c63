#include "engine/arch/x86_64/page_table_walk.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <vector>

#include "engine/arch/x86_64/x86_64_layout.h"
#include "util/format.h"

using namespace kdk;
using namespace kdk::arch::x86_64;

namespace {

// Sparse fake physical memory: 4 KiB pages that exist only once written.
struct FakePhys : PhysicalReader {
  std::map<uint64_t, std::vector<uint8_t>> pages;
  Status read(uint64_t phys, void* out, size_t len) override {
    auto* dst = static_cast<uint8_t*>(out);
    while (len > 0) {
      auto it = pages.find(phys >> 12);
      if (it == pages.end()) return Error{format("no page at 0x%llx", static_cast<unsigned long long>(phys))};
      size_t n = std::min<size_t>(len, 4096 - (phys & 4095));
      std::memcpy(dst, it->second.data() + (phys & 4095), n);
      dst += n;
      phys += n;
      len -= n;
    }
    return {};
  }
  void set_entry(uint64_t table, uint64_t index, uint64_t value) {
    auto& p = pages[table >> 12];
    p.resize(4096);
    std::memcpy(p.data() + index * 8, &value, 8);
  }
  void add_table(uint64_t table) { pages[table >> 12].resize(4096); }
};

constexpr uint64_t kP = 1;  // present
constexpr uint64_t kRW = 2;
constexpr uint64_t kPS = 1ULL << 7;  // large page
constexpr uint64_t kNX = 1ULL << 63;

uint64_t idx(uint64_t vaddr, int shift) { return (vaddr >> shift) & 511; }

}  // namespace

TEST_CASE("4-level walk: 4 KiB, 2 MiB and 1 GiB pages", "[arch][x86_64]") {
  FakePhys m;
  const uint64_t pgd = 0x1000, pud = 0x2000, pmd = 0x3000, pte = 0x4000;
  const uint64_t va = 0xffffc90000123456ULL;
  m.add_table(pgd);
  m.set_entry(pgd, idx(va, 39), pud | kP | kRW);
  m.set_entry(pud, idx(va, 30), pmd | kP | kRW);
  m.set_entry(pmd, idx(va, 21), pte | kP | kRW);
  m.set_entry(pte, idx(va, 12), 0x7654000 | kP | kNX);
  PagingMode mode;
  auto t = walk_page_tables(m, pgd, mode, va);
  REQUIRE(t.ok());
  CHECK(t->phys == 0x7654456);
  CHECK(t->page_bytes == 4096);

  // 2 MiB: PS at the PMD.
  const uint64_t va2 = 0xffffea0000345678ULL;
  m.set_entry(pgd, idx(va2, 39), pud | kP);
  m.set_entry(pud, idx(va2, 30), pmd | kP);
  m.set_entry(pmd, idx(va2, 21), 0x40000000 | kP | kPS | kNX);
  t = walk_page_tables(m, pgd, mode, va2);
  REQUIRE(t.ok());
  CHECK(t->page_bytes == (2u << 20));
  CHECK(t->phys == 0x40000000 + (va2 & 0x1fffff));
  CHECK(t->page_vaddr == (va2 & ~0x1fffffULL));

  // 1 GiB: PS at the PUD; the physical address is masked to 1 GiB.
  const uint64_t va3 = 0xffff888012345678ULL;
  m.set_entry(pgd, idx(va3, 39), pud | kP);
  m.set_entry(pud, idx(va3, 30), 0x80000000ULL | kP | kPS);
  t = walk_page_tables(m, pgd, mode, va3);
  REQUIRE(t.ok());
  CHECK(t->page_bytes == (1u << 30));
  CHECK(t->phys == 0x80000000ULL + (va3 & 0x3fffffff));
}

TEST_CASE("5-level walk starts at bit 48", "[arch][x86_64]") {
  FakePhys m;
  const uint64_t pml5 = 0x10000, p4d = 0x11000, pud = 0x12000, pmd = 0x13000, pte = 0x14000;
  const uint64_t va = 0xff11000012345678ULL;  // 5-level direct map
  m.add_table(pml5);
  m.set_entry(pml5, idx(va, 48), p4d | kP);
  m.set_entry(p4d, idx(va, 39), pud | kP);
  m.set_entry(pud, idx(va, 30), pmd | kP);
  m.set_entry(pmd, idx(va, 21), pte | kP);
  m.set_entry(pte, idx(va, 12), 0x99000 | kP);
  PagingMode mode;
  mode.levels = 5;
  auto t = walk_page_tables(m, pml5, mode, va);
  REQUIRE(t.ok());
  CHECK(t->phys == 0x99678);
  // Not canonical for 4-level paging.
  PagingMode four;
  CHECK_FALSE(walk_page_tables(m, pml5, four, va).ok());
}

TEST_CASE("walk errors: not present, unreadable, reserved PS, loops end", "[arch][x86_64]") {
  FakePhys m;
  const uint64_t pgd = 0x1000;
  m.add_table(pgd);
  PagingMode mode;
  const uint64_t va = 0xffffc90000000000ULL;

  auto t = walk_page_tables(m, pgd, mode, va);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("PGD") != std::string::npos);
  CHECK(t.error().message.find("not present") != std::string::npos);

  // Next table outside memory.
  m.set_entry(pgd, idx(va, 39), 0x7777000 | kP);
  t = walk_page_tables(m, pgd, mode, va);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("PUD table at 0x7777000 unreadable") != std::string::npos);

  // PS is reserved in a PGD entry.
  m.set_entry(pgd, idx(va, 39), 0x2000 | kP | kPS);
  t = walk_page_tables(m, pgd, mode, va);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("reserved large-page bit") != std::string::npos);

  // A table that points at itself: a loop, refused at the first repeat
  // (followed, it would translate into the page tables themselves).
  m.set_entry(pgd, idx(va, 39), pgd | kP);
  const uint64_t va_self = va | (idx(va, 39) << 30) | (idx(va, 39) << 21) | (idx(va, 39) << 12);
  t = walk_page_tables(m, pgd, mode, va_self);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("page-table loop: PGD entry") != std::string::npos);
  // A lower table pointing back up: also a loop.
  const uint64_t pud = 0x2000;
  m.add_table(pud);
  m.set_entry(pgd, idx(va, 39), pud | kP);
  m.set_entry(pud, idx(va, 30), pgd | kP);
  t = walk_page_tables(m, pgd, mode, va);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().message.find("page-table loop: PUD entry") != std::string::npos);

  // Garbage high bits in an entry are masked off (NX, sme bit).
  PagingMode sme;
  sme.entry_mask &= ~(1ULL << 47);
  FakePhys m2;
  m2.add_table(pgd);
  m2.set_entry(pgd, idx(va, 39), 0x2000 | (1ULL << 47) | kP);
  m2.set_entry(0x2000, idx(va, 30), 0x40000000 | (1ULL << 47) | kP | kPS);
  t = walk_page_tables(m2, pgd, sme, va);
  REQUIRE(t.ok());
  CHECK(t->phys == 0x40000000);

  // Non-canonical address.
  CHECK_FALSE(walk_page_tables(m, pgd, mode, 0x0000900000000000ULL).ok());
}

TEST_CASE("x86-64 layout from VMCOREINFO and PT_LOADs", "[arch][x86_64]") {
  auto info = vmcore::VmcoreInfo::parse(
      "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffffa5810000\n"
      "NUMBER(phys_base)=73400320\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=22e00000\n"
      "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\nNUMBER(sme_mask)=0\n");
  std::vector<vmcore::LoadSegment> loads = {
      {0x28400000, 0xffffffffa3e00000ULL, 0x2000, 0x3430000, 0x3430000},
      {0x100000, 0xffff8e0a00100000ULL, 0x3432000, 0x2cf00000, 0x2cf00000},
      {0x3d000000, 0xffff8e0a3d000000ULL, 0x30332000, 0x2fda000, 0x2fda000},
  };
  auto l = derive_layout(info, loads);
  REQUIRE(l.ok());
  CHECK(l->phys_base == 0x4600000);
  CHECK(l->kaslr_offset == 0x22e00000);
  CHECK(l->levels == 4);
  CHECK(l->top_table_phys == 0x29e10000);
  CHECK(l->page_offset == 0xffff8e0a00000000ULL);
  CHECK(l->direct_map_bytes == 0x3ffda000);

  // No phys_base exported: from the text PT_LOAD. No usable p_vaddr: no direct map.
  auto old =
      vmcore::VmcoreInfo::parse("SYMBOL(init_level4_pgt)=ffffffff81c0a000\nNUMBER(pgtable_l5_enabled)=1\n");
  std::vector<vmcore::LoadSegment> old_loads = {{0x1000000, 0xffffffff81000000ULL, 0, 0x1000000, 0x1000000},
                                                {0x100000, ~0ULL, 0, 0x1000, 0x1000}};
  l = derive_layout(old, old_loads);
  REQUIRE(l.ok());
  CHECK(l->phys_base == 0);
  CHECK(l->levels == 5);
  CHECK(l->top_table_phys == 0x1c0a000);
  CHECK(l->direct_map_bytes == 0);

  CHECK_FALSE(derive_layout(vmcore::VmcoreInfo::parse("PAGESIZE=4096\n"), loads).ok());

  // A negative phys_base (the busy fixture's: the image below its link
  // address), with no PT_LOAD to fall back on (an input made from a
  // kdump-compressed file has no virtual addresses).
  auto negative = vmcore::VmcoreInfo::parse(
      "SYMBOL(init_top_pgt)=ffffffffa8610000\nNUMBER(phys_base)=-316669952\nKERNELOFFSET=25c00000\n");
  l = derive_layout(negative, {{0x100000, 0, 0, 0x1000, 0x1000}});
  REQUIRE(l.ok());
  CHECK(l->phys_base == static_cast<uint64_t>(-316669952LL));
  CHECK(l->top_table_phys == 0x28610000 - 316669952ULL);
}
