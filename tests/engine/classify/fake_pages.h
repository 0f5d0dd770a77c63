// Test helper: struct pages with Debian 6.1's x86-64 layout, built field by
// field, and a StructPageSource serving them.
#pragma once

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "engine/kernel/struct_page.h"
#include "engine/kernel/struct_page_source.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/format.h"

namespace kdk::testing {

inline const char* kDebian61PageInfo =
    "OSRELEASE=6.1.0-56-amd64\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
    "OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
    "OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
    "LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
    "NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\nNUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)"
    "=-257\n";

inline kernel::PageLayout debian61_layout() {
  return *kernel::PageLayout::from_vmcoreinfo(vmcore::VmcoreInfo::parse(kDebian61PageInfo));
}

// Flag bits of 6.1.
inline constexpr uint64_t kLru = 1ULL << 4, kSwapcache = 1ULL << 10, kPrivate = 1ULL << 13, kSlab = 1ULL << 9,
                          kSwapbacked = 1ULL << 19, kHwpoison = 1ULL << 23, kHead = 1ULL << 16;
inline constexpr uint32_t kBuddy = static_cast<uint32_t>(-129), kOffline = static_cast<uint32_t>(-257),
                          kNoMapcount = 0xffffffffu;

struct FakePage {
  uint8_t b[64] = {};
  FakePage() { mapcount(kNoMapcount); }
  FakePage& flags(uint64_t v) {
    std::memcpy(b + 0, &v, 8);
    return *this;
  }
  FakePage& compound_head(uint64_t v) {
    std::memcpy(b + 8, &v, 8);
    return *this;
  }
  FakePage& dtor(uint8_t v) {
    b[16] = v;
    return *this;
  }
  FakePage& order(uint8_t v) {
    b[17] = v;
    return *this;
  }
  FakePage& mapping(uint64_t v) {
    std::memcpy(b + 24, &v, 8);
    return *this;
  }
  FakePage& private_(uint64_t v) {
    std::memcpy(b + 40, &v, 8);
    return *this;
  }
  FakePage& mapcount(uint32_t v) {
    std::memcpy(b + 48, &v, 4);
    return *this;
  }
};

class FakePageSource : public kernel::StructPageSource {
 public:
  FakePageSource(uint64_t pages, uint64_t chunk) : layout_(debian61_layout()), pages_(pages), chunk_(chunk) {}

  FakePage& page(uint64_t pfn) { return pages_[pfn]; }
  // A compound page of 2^order at head: head flags/fields as given, tails linked.
  void compound(uint64_t head, uint8_t order, uint64_t head_flags, uint8_t dtor = 1) {
    page(head).flags(head_flags | kHead);
    page(head + 1).order(order).dtor(dtor);
    for (uint64_t p = head + 1; p < head + (1ULL << order); ++p)
      page(p).compound_head(0xffffea0000000000ULL + head * 64 + 1);
  }
  void buddy(uint64_t first, uint64_t order) { page(first).mapcount(kBuddy).private_(order); }

  std::set<uint64_t> unreadable;     // pfns whose struct page cannot be read
  std::set<uint64_t> no_map_chunks;  // chunks without a mem_map
  uint64_t reads = 0;

  const kernel::PageLayout& layout() const override { return layout_; }
  uint64_t chunk_pages() const override { return chunk_; }
  bool has_mem_map(uint64_t pfn, std::string* why) const override {
    if (why) why->clear();
    return !no_map_chunks.count(pfn / chunk_);
  }
  Status read(uint64_t pfn, uint64_t count, uint8_t* out) override {
    ++reads;
    if (pfn / chunk_ != (pfn + count - 1) / chunk_) return Error{"read crosses a chunk"};
    for (uint64_t p = pfn; p < pfn + count; ++p) {
      if (unreadable.count(p) || p >= pages_.size()) {
        return Error{format("struct page of 0x%llx unreadable", static_cast<unsigned long long>(p))};
      }
      std::memcpy(out + (p - pfn) * 64, pages_[p].b, 64);
    }
    return {};
  }

 private:
  kernel::PageLayout layout_;
  std::vector<FakePage> pages_;
  uint64_t chunk_;
};

}  // namespace kdk::testing
