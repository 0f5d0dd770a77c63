#include "engine/classify/page_rules.h"

#include <algorithm>

namespace kdk::classify {

namespace {

constexpr uint64_t kPageMappingAnon = 1;
// Kernel virtual addresses on 64-bit architectures have their top byte set.
constexpr uint64_t kKernelHalf =
    0xff00000000000000ULL;  // low bit of page->mapping: anon_vma, not address_space
// Linux 6.6+ mark hugetlb folios without a destructor id; makedumpfile uses
// an impossible destructor value for "hugetlb" in that case.
constexpr uint64_t kIsHugetlb = ~0ULL;

bool equals_mapcount(uint32_t mapcount, const std::optional<int64_t>& value) {
  return value && static_cast<int32_t>(mapcount) == static_cast<int32_t>(*value);
}

}  // namespace

const char* page_class_name(PageClass c) {
  switch (c) {
    case PageClass::kKeep:
      return "keep";
    case PageClass::kTail:
      return "tail";
    case PageClass::kBadFreeOrder:
      return "bad-free-order";
    case PageClass::kBadTail:
      return "bad-tail";
    case PageClass::kFree:
      return "free";
    case PageClass::kCache:
      return "cache";
    case PageClass::kCachePrivate:
      return "cache-private";
    case PageClass::kUser:
      return "user";
    case PageClass::kHwpoison:
      return "hwpoison";
    case PageClass::kOffline:
      return "offline";
  }
  return "?";
}

PageRules::PageRules(const kernel::PageLayout& layout, int dump_level) : l_(layout), level_(dump_level) {
  // page_is_buddy needs page.private (the order) and either the _mapcount
  // marker value or (2.6.17-2.6.37) PG_buddy, which no kernel we read has.
  buddy_ = l_.private_ && l_.buddy_mapcount && l_.mapcount;
  scan_ = (level_ & (kExcludeCache | kExcludeCachePrivate | kExcludeUser)) || l_.pg_hwpoison ||
          ((level_ & kExcludeFree) && buddy_);
  // Before 4.10 there was no PG_swapbacked and PG_swapcache stood alone;
  // since, it is shared with other states (missing_keys.cc records it).
  swapcache_alone_ =
      !l_.pg_swapbacked && (l_.kernel_major < 4 || (l_.kernel_major == 4 && l_.kernel_minor < 10));
  unknown_ = unknown_rules(l_, level_);
  for (const auto& u : unknown_) unknown_classes_ |= u.classes;
}

bool PageRules::flag(uint64_t flags, const std::optional<int64_t>& bit) const {
  // A flag the kernel does not export is never set. (makedumpfile tests bit
  // numbers modulo 32; every PG_ number it tests is below 31, so the same.)
  return bit && *bit >= 0 && *bit < 64 && ((flags >> *bit) & 1);
}

bool PageRules::is_slab(uint64_t flags, uint32_t mapcount) const {
  if (equals_mapcount(mapcount, l_.slab_mapcount)) return true;  // 6.10+: a page type
  return flag(flags, l_.pg_slab);
}

bool PageRules::is_anon(uint64_t mapping, uint64_t flags, uint32_t mapcount) const {
  return (mapping & kPageMappingAnon) && !is_slab(flags, mapcount);
}

bool PageRules::is_cache(uint64_t flags) const {
  if (flag(flags, l_.pg_lru)) return true;
  // PG_swapcache means swap cache only with PG_swapbacked (4.10+ reuse the
  // bit for other states); before PG_swapbacked existed it stood alone.
  if (!l_.pg_swapbacked) return swapcache_alone_ && flag(flags, l_.pg_swapcache);
  return flag(flags, l_.pg_swapbacked) && flag(flags, l_.pg_swapcache);
}

bool PageRules::is_buddy(uint64_t flags, uint32_t mapcount) const {
  if (!buddy_ || is_slab(flags, mapcount)) return false;
  return equals_mapcount(mapcount, l_.buddy_mapcount);
}

bool PageRules::is_offline(uint64_t flags, uint32_t mapcount) const {
  if (!l_.offline_mapcount || is_slab(flags, mapcount)) return false;
  return equals_mapcount(mapcount, l_.offline_mapcount);
}

bool PageRules::is_hugetlb_dtor(uint64_t dtor) const {
  return dtor == kIsHugetlb || (l_.hugetlb_dtor && *l_.hugetlb_dtor == dtor) ||
         (l_.free_huge_page && *l_.free_huge_page == dtor);
}

void PageRules::compound_info(uint64_t pfn, uint64_t flags, uint32_t mapcount, const uint8_t* next,
                              uint64_t& order, uint64_t& dtor) const {
  order = 0;
  dtor = 0;
  if (!next || !l_.pg_head_mask || !(flags & *l_.pg_head_mask)) return;
  if (l_.hugetlb_mapcount || l_.pg_hugetlb) {
    // 6.6+: the order is the low byte of the first tail's flags (folio
    // _flags_1); hugetlb is a page type (6.9+) or a flag there (6.6-6.8).
    uint64_t flags_1 = kernel::load_uint(next + *l_.flags, 8);
    order = flags_1 & 0xff;
    if (l_.hugetlb_mapcount) {
      if (equals_mapcount(mapcount, l_.hugetlb_mapcount)) dtor = kIsHugetlb;
    } else if (flag(flags_1, l_.pg_hugetlb)) {
      dtor = kIsHugetlb;
    }
  } else {
    // An exported offset of 0 means "not there" to makedumpfile too: the
    // first tail's flags sit at offset 0.
    if (l_.compound_order && *l_.compound_order != 0)
      order = kernel::load_uint(next + *l_.compound_order, l_.compound_order_width);
    if (l_.compound_dtor && *l_.compound_dtor != 0)
      dtor = kernel::load_uint(next + *l_.compound_dtor, l_.compound_dtor_width);
  }
  // A compound page is naturally aligned; anything else is garbage.
  if (order >= 64 || (pfn & ((1ULL << order) - 1)) != 0) order = 0;
}

PageDecision PageRules::decide(uint64_t pfn, const uint8_t* page, const uint8_t* next) const {
  kernel::PageFields f = kernel::decode_page(l_, page);
  uint64_t order, dtor;
  compound_info(pfn, f.flags, f.mapcount, next, order, dtor);
  PageDecision d;
  d.pages = 1ULL << order;

  if (f.compound_head & 1) {
    // A tail points at its head's struct page: a kernel address, aligned
    // as every struct page in the (page-aligned) vmemmap is. Anything else
    // is garbage where a struct page should be.
    const uint64_t head = f.compound_head - 1;
    const uint64_t align = std::min<uint64_t>(l_.size & (0 - static_cast<uint64_t>(l_.size)), 4096);
    d.cls = head >= kKernelHalf && (head & (align - 1)) == 0 ? PageClass::kTail : PageClass::kBadTail;
    d.pages = 1;
    return d;
  }
  if ((level_ & kExcludeFree) && is_buddy(f.flags, f.mapcount)) {
    uint64_t max_orders = l_.free_area_length.value_or(kDefaultFreeAreaLength);
    // Buddy blocks are naturally aligned: a misaligned one is garbage.
    if (f.private_ >= max_orders || f.private_ >= 64 || (pfn & ((1ULL << f.private_) - 1)) != 0) {
      d.cls = PageClass::kBadFreeOrder;
      d.pages = 1;
      return d;
    }
    d.cls = PageClass::kFree;
    d.pages = 1ULL << f.private_;
    return d;
  }
  if ((level_ & kExcludeFree) && l_.unaccepted_mapcount &&
      equals_mapcount(f.mapcount, l_.unaccepted_mapcount) && l_.free_area_length &&
      *l_.free_area_length >= 1 && *l_.free_area_length <= 64) {
    // Unaccepted memory is queued only in blocks of the largest order.
    d.cls = PageClass::kFree;
    d.pages = 1ULL << (*l_.free_area_length - 1);
    return d;
  }
  bool anon = is_anon(f.mapping, f.flags, f.mapcount);
  bool cache = is_cache(f.flags);
  bool priv = flag(f.flags, l_.pg_private);
  if ((level_ & kExcludeCache) && cache && !priv && !anon) {
    d.cls = PageClass::kCache;
  } else if ((level_ & kExcludeCachePrivate) && cache && !anon) {
    d.cls = priv ? PageClass::kCachePrivate : PageClass::kCache;
  } else if ((level_ & kExcludeUser) && (anon || is_hugetlb_dtor(dtor))) {
    d.cls = PageClass::kUser;
  } else if (flag(f.flags, l_.pg_hwpoison)) {
    d.cls = PageClass::kHwpoison;
  } else if (is_offline(f.flags, f.mapcount)) {
    d.cls = PageClass::kOffline;
  } else {
    d.cls = PageClass::kKeep;
    d.pages = 1;
  }
  // Unknown means keep: a class whose test needs a key this kernel does not
  // export is not excluded.
  if (d.excluded() && (unknown_classes_ & class_bit(d.cls))) {
    d.cls = PageClass::kKeep;
    d.pages = 1;
  }
  return d;
}

}  // namespace kdk::classify
