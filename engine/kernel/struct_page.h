// struct page as VMCOREINFO describes it: its size, where the fields dump
// tools need sit, and the flag numbers and type values that give them their
// meaning. The layout changes between kernels (6.3, 6.6, 6.9, 6.10 all moved
// something); what VMCOREINFO does not export is absent here, never guessed.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>

#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::kernel {

struct PageLayout {
  uint32_t size = 0;  // SIZE(page)
  // Field offsets inside struct page; nullopt when not exported (or when the
  // exported offset would read past SIZE(page)).
  std::optional<uint32_t> flags, refcount, mapping, lru, mapcount, private_, compound_head;
  // Where the compound order and destructor of a head page are, relative to
  // the *next* struct page (the first tail), and how wide they are.
  std::optional<uint32_t> compound_order, compound_dtor;
  uint32_t compound_order_width = 1;  // bytes: 1 since 4.16, 2 before
  uint32_t compound_dtor_width = 1;   // bytes: 1 since 4.16, 2 from 4.4, 8 (an address) before

  // NUMBER(...) values; nullopt when not exported.
  std::optional<int64_t> pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison, pg_hugetlb;
  std::optional<uint64_t> pg_head_mask;
  std::optional<int64_t> buddy_mapcount, offline_mapcount, hugetlb_mapcount, slab_mapcount,
      unaccepted_mapcount;
  std::optional<uint64_t> hugetlb_dtor;      // NUMBER(HUGETLB_PAGE_DTOR)
  std::optional<uint64_t> free_huge_page;    // SYMBOL(free_huge_page): the destructor before 4.4
  std::optional<uint64_t> free_area_length;  // LENGTH(zone.free_area): MAX_ORDER (+1 on 6.8+)

  int kernel_major = 0, kernel_minor = 0;  // from OSRELEASE

  // Requires SIZE(page) and OFFSET(page.flags / _refcount / mapping), as
  // makedumpfile does before it reads any struct page.
  static Result<PageLayout> from_vmcoreinfo(const vmcore::VmcoreInfo& info);
};

// The fields of one struct page the classifier looks at, decoded from its
// bytes (the crashed machine's byte order, which is the host's on x86-64).
struct PageFields {
  uint64_t flags = 0;
  uint64_t mapping = 0;
  uint64_t private_ = 0;
  uint64_t compound_head = 0;
  uint32_t mapcount = 0;  // also page_type: the kernel overlays them
  uint32_t refcount = 0;
};

// `page` points at layout.size bytes.
PageFields decode_page(const PageLayout& layout, const uint8_t* page);

// The little-endian unsigned value of `width` (1, 2, 4 or 8) bytes.
inline uint64_t load_uint(const uint8_t* p, uint32_t width) {
  switch (width) {
    case 1:
      return p[0];
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

}  // namespace kdk::kernel
