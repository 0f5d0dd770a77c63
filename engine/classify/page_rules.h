// makedumpfile's dump levels applied to one struct page: which class a page
// is in and how many pages (a buddy block, a compound page) go with it. The
// order of the tests matters and is makedumpfile's (__exclude_unnecessary_pages):
// tail pages are skipped, then free, unaccepted, cache, cache-private, user,
// hwpoison, offline; the first that matches decides.
#pragma once

#include <cstdint>

#include "engine/classify/missing_keys.h"
#include "engine/kernel/struct_page.h"

namespace kdk::classify {

// -d bits.
inline constexpr int kExcludeZero = 1;
inline constexpr int kExcludeCache = 2;
inline constexpr int kExcludeCachePrivate = 4;
inline constexpr int kExcludeUser = 8;
inline constexpr int kExcludeFree = 16;
inline constexpr int kMaxDumpLevel = 31;

enum class PageClass : uint8_t {
  kKeep,          // dumped (as far as struct page tells)
  kTail,          // a compound tail: decided by its head, not by itself
  kBadFreeOrder,  // a buddy page whose order is out of range or misaligned: kept, nothing else tried
  kBadTail,       // a tail whose compound_head is no struct page address: kept
  kFree,
  kCache,
  kCachePrivate,
  kUser,
  kHwpoison,
  kOffline,
};

const char* page_class_name(PageClass c);

struct PageDecision {
  PageClass cls = PageClass::kKeep;
  uint64_t pages = 1;  // excluded from this pfn on (2^order), when excluding
  bool excluded() const { return cls >= PageClass::kFree; }
};

// What the kernel exports decides which tests exist at all.
class PageRules {
 public:
  PageRules(const kernel::PageLayout& layout, int dump_level);

  // True when any page can be excluded by its struct page at this level:
  // otherwise makedumpfile does not read mem_map at all.
  bool needs_struct_pages() const { return scan_; }
  // Free pages can only be found through the buddy marker in struct page;
  // without it (kernels before 2.6.38) makedumpfile walks the free lists,
  // which kdumpkit does not do: such pages are kept.
  bool finds_free_pages() const { return buddy_; }

  // `page` is pfn's struct page; `next` is pfn + 1's (the first tail of a
  // compound head), or nullptr when not available.
  PageDecision decide(uint64_t pfn, const uint8_t* page, const uint8_t* next) const;

  // What this kernel's VMCOREINFO does not say that the level needs: the
  // classes kept for it (engine/classify/missing_keys.h).
  const std::vector<UnknownRule>& unknown() const { return unknown_; }

  // The pieces, exposed for tests.
  bool is_slab(uint64_t flags, uint32_t mapcount) const;
  bool is_anon(uint64_t mapping, uint64_t flags, uint32_t mapcount) const;
  bool is_cache(uint64_t flags) const;
  bool is_buddy(uint64_t flags, uint32_t mapcount) const;
  bool is_offline(uint64_t flags, uint32_t mapcount) const;
  bool is_hugetlb_dtor(uint64_t dtor) const;
  // Order and destructor of a compound head (order 0 when implausible).
  void compound_info(uint64_t pfn, uint64_t flags, uint32_t mapcount, const uint8_t* next, uint64_t& order,
                     uint64_t& dtor) const;

 private:
  bool flag(uint64_t flags, const std::optional<int64_t>& bit) const;

  kernel::PageLayout l_;
  int level_;
  bool buddy_ = false;
  bool scan_ = false;
  bool swapcache_alone_ = false;  // PG_swapcache means the swap cache without PG_swapbacked
  std::vector<UnknownRule> unknown_;
  uint32_t unknown_classes_ = 0;
};

}  // namespace kdk::classify
