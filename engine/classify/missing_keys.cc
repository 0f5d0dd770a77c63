#include "engine/classify/missing_keys.h"

#include "engine/classify/page_rules.h"

namespace kdk::classify {

namespace {

bool release_at_least(const kernel::PageLayout& l, int major, int minor) {
  return l.kernel_major > major || (l.kernel_major == major && l.kernel_minor >= minor);
}

}  // namespace

std::vector<UnknownRule> unknown_rules(const kernel::PageLayout& l, int level) {
  std::vector<UnknownRule> out;
  const bool cache = level & (kExcludeCache | kExcludeCachePrivate);
  const bool user = level & kExcludeUser;
  const bool free = level & kExcludeFree;
  const bool any_struct = cache || user || free || l.pg_hwpoison || l.offline_mapcount;

  // Tail pages are told from heads by bit 0 of compound_head (4.6+;
  // compound_info from 7.1). Without it a tail page is judged by its own
  // fields, which in a tail mean something else: no exclusion that reads
  // them is safe. Free pages are found on a buddy block's first page,
  // which is never a tail, so they still go.
  if (!l.compound_head && release_at_least(l, 4, 6) && any_struct) {
    out.push_back(
        {"OFFSET(page.compound_head) or OFFSET(page.compound_info)",
         "cache, cache-private, user, hwpoison and offline pages (tail pages cannot be told from heads)",
         class_bit(PageClass::kCache) | class_bit(PageClass::kCachePrivate) | class_bit(PageClass::kUser) |
             class_bit(PageClass::kHwpoison) | class_bit(PageClass::kOffline)});
  }
  // A slab page's mapping slot can look anonymous: user pages are found
  // only where slab pages can be told apart (PG_slab; a page type on 6.10+).
  if (user && !l.pg_slab && !(l.slab_mapcount && l.mapcount)) {
    out.push_back({"NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) with OFFSET(page._mapcount)",
                   "user pages (slab pages cannot be told from them)", class_bit(PageClass::kUser)});
  }
  // At a level that drops cache but keeps cache with private data, a cache
  // page is dropped only when it is known to have none.
  if ((level & kExcludeCache) && !(level & kExcludeCachePrivate) && !l.pg_private) {
    out.push_back({"NUMBER(PG_private)", "cache pages (those with private data cannot be told apart)",
                   class_bit(PageClass::kCache)});
  }
  // Since 4.10 PG_swapcache is shared with other states and means the swap
  // cache only together with PG_swapbacked.
  if (cache && l.pg_swapcache && !l.pg_swapbacked && release_at_least(l, 4, 10)) {
    out.push_back(
        {"NUMBER(PG_swapbacked)", "swap-cache pages (PG_swapcache alone is not the swap cache)", 0});
  }
  if (cache && !l.pg_lru) {
    out.push_back({"NUMBER(PG_lru)", "page-cache pages on the LRU lists", 0});
  }
  if (free && !(l.private_ && l.mapcount && l.buddy_mapcount) && release_at_least(l, 3, 0)) {
    out.push_back({"OFFSET(page.private), OFFSET(page._mapcount) and NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)",
                   "free pages", class_bit(PageClass::kFree)});
  }
  if (free && !l.free_area_length && l.buddy_mapcount) {
    out.push_back(
        {"LENGTH(zone.free_area)", "free blocks of more than 2^10 pages (their order cannot be checked)", 0});
  }
  if (user && !l.pg_head_mask) {
    out.push_back(
        {"NUMBER(PG_head_mask)", "the tail pages of user compound pages (their size is unknown)", 0});
  }
  // Hugetlb pages are user pages found by their head: a page type on 6.9+,
  // a flag on 6.6-6.8, a compound destructor before.
  if (user) {
    bool known = release_at_least(l, 6, 9)   ? l.hugetlb_mapcount.has_value()
                 : release_at_least(l, 6, 6) ? l.pg_hugetlb.has_value()
                                             : (l.hugetlb_dtor || l.free_huge_page) && l.compound_dtor;
    if (!known) {
      out.push_back({release_at_least(l, 6, 9) ? "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)"
                     : release_at_least(l, 6, 6)
                         ? "NUMBER(PG_hugetlb)"
                         : "NUMBER(HUGETLB_PAGE_DTOR) with OFFSET(page.compound_dtor)",
                     "hugetlb pages", 0});
    }
  }
  if (any_struct && !l.offline_mapcount && release_at_least(l, 5, 0)) {
    out.push_back({"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", "logically offline pages", 0});
  }
  return out;
}

}  // namespace kdk::classify
