#include "engine/classify/page_rules.h"

#include <catch2/catch.hpp>

#include "tests/engine/classify/fake_pages.h"

using namespace kdk;
using namespace kdk::classify;
using namespace kdk::testing;

namespace {

struct Row {
  const char* what;
  FakePage page;
  FakePage next;
  uint64_t pfn;
  int level;
  PageClass expect;
  uint64_t pages;
};

constexpr uint64_t kAnon = 0xffff888012345001ULL;     // anon_vma | PAGE_MAPPING_ANON
constexpr uint64_t kFile = 0xffff888012345000ULL;     // address_space
constexpr uint64_t kMovable = 0xffffffff82345002ULL;  // movable_operations | PAGE_MAPPING_MOVABLE

}  // namespace

TEST_CASE("page rules, table-driven on 6.1 struct pages", "[classify]") {
  const kernel::PageLayout layout = debian61_layout();
  const FakePage none;
  const Row rows[] = {
      {"plain kernel page kept at 31", FakePage().flags(0), none, 100, 31, PageClass::kKeep, 1},
      {"file LRU page is cache at 2", FakePage().flags(kLru).mapping(kFile), none, 100, 2, PageClass::kCache,
       1},
      {"file LRU page kept at 8", FakePage().flags(kLru).mapping(kFile), none, 100, 8, PageClass::kKeep, 1},
      {"private cache page kept at 2", FakePage().flags(kLru | kPrivate).mapping(kFile), none, 100, 2,
       PageClass::kKeep, 1},
      {"private cache page is cache-private at 4", FakePage().flags(kLru | kPrivate).mapping(kFile), none,
       100, 4, PageClass::kCachePrivate, 1},
      {"non-private cache page counts as cache at 4", FakePage().flags(kLru).mapping(kFile), none, 100, 4,
       PageClass::kCache, 1},
      {"swap cache needs swapbacked", FakePage().flags(kSwapcache).mapping(kFile), none, 100, 2,
       PageClass::kKeep, 1},
      {"swap cache with swapbacked is cache", FakePage().flags(kSwapcache | kSwapbacked).mapping(kFile), none,
       100, 2, PageClass::kCache, 1},
      {"anonymous LRU page is not cache", FakePage().flags(kLru | kSwapbacked).mapping(kAnon), none, 100, 6,
       PageClass::kKeep, 1},
      {"anonymous page is user at 8", FakePage().flags(kLru | kSwapbacked).mapping(kAnon), none, 100, 8,
       PageClass::kUser, 1},
      {"movable (zsmalloc) mapping is not anon", FakePage().mapping(kMovable), none, 100, 8, PageClass::kKeep,
       1},
      {"slab page with odd mapping bits is not anon", FakePage().flags(kSlab).mapping(kAnon), none, 100, 8,
       PageClass::kKeep, 1},
      {"buddy order 3 is free at 16", FakePage().mapcount(kBuddy).private_(3), none, 64, 16, PageClass::kFree,
       8},
      {"buddy kept below 16", FakePage().mapcount(kBuddy).private_(3), none, 64, 15, PageClass::kKeep, 1},
      {"buddy order 11 is out of range: kept", FakePage().mapcount(kBuddy).private_(11), none, 64, 31,
       PageClass::kBadFreeOrder, 1},
      {"buddy marker on a slab page is not free", FakePage().flags(kSlab).mapcount(kBuddy).private_(0), none,
       64, 16, PageClass::kKeep, 1},
      {"hwpoison excluded at level 0", FakePage().flags(kHwpoison), none, 100, 0, PageClass::kHwpoison, 1},
      {"offline excluded at level 0", FakePage().mapcount(kOffline), none, 100, 0, PageClass::kOffline, 1},
      {"offline marker on a slab page kept", FakePage().flags(kSlab).mapcount(kOffline), none, 100, 0,
       PageClass::kKeep, 1},
      {"tail page is decided by its head", FakePage().compound_head(0xffffea0000001001ULL).flags(kLru), none,
       101, 31, PageClass::kTail, 1},
      {"buddy order 3 at a pfn not aligned to 8: kept", FakePage().mapcount(kBuddy).private_(3), none, 68, 31,
       PageClass::kBadFreeOrder, 1},
      {"tail whose head is no kernel address: kept", FakePage().compound_head(0x1234567800001001ULL), none,
       101, 31, PageClass::kBadTail, 1},
      {"tail whose head is not struct-page aligned: kept", FakePage().compound_head(0xffffea0000001009ULL),
       none, 101, 31, PageClass::kBadTail, 1},
      {"anonymous THP head takes its 512 pages", FakePage().flags(kHead | kLru).mapping(kAnon),
       FakePage().order(9).dtor(3), 512, 8, PageClass::kUser, 512},
      {"hugetlb head (dtor 2) is user", FakePage().flags(kHead).mapping(kFile), FakePage().order(9).dtor(2),
       1024, 8, PageClass::kUser, 512},
      {"hugetlb kept below 8", FakePage().flags(kHead).mapping(kFile), FakePage().order(9).dtor(2), 1024, 23,
       PageClass::kKeep, 1},
      {"file folio head: cache with its tails", FakePage().flags(kHead | kLru).mapping(kFile),
       FakePage().order(2).dtor(1), 4, 2, PageClass::kCache, 4},
      {"misaligned order is garbage: order 0", FakePage().flags(kHead | kLru).mapping(kAnon),
       FakePage().order(9).dtor(3), 513, 8, PageClass::kUser, 1},
      {"order >= 64 is garbage: order 0", FakePage().flags(kHead | kLru).mapping(kAnon),
       FakePage().order(70).dtor(3), 0, 8, PageClass::kUser, 1},
      {"compound hwpoison takes the compound", FakePage().flags(kHead | kHwpoison), FakePage().order(1), 2, 0,
       PageClass::kHwpoison, 2},
      {"free wins over cache", FakePage().flags(kLru).mapping(kFile).mapcount(kBuddy).private_(0), none, 7,
       18, PageClass::kFree, 1},
      {"cache wins over hwpoison", FakePage().flags(kLru | kHwpoison).mapping(kFile), none, 7, 2,
       PageClass::kCache, 1},
  };
  for (const Row& r : rows) {
    INFO(r.what);
    PageRules rules(layout, r.level);
    bool has_next = std::memcmp(r.next.b, none.b, 64) != 0;
    PageDecision d = rules.decide(r.pfn, r.page.b, has_next ? r.next.b : nullptr);
    CHECK(page_class_name(d.cls) == std::string(page_class_name(r.expect)));
    if (d.excluded()) CHECK(d.pages == r.pages);
  }
}

TEST_CASE("page rules follow what the kernel exports", "[classify]") {
  kernel::PageLayout layout = debian61_layout();
  // Level 0 reads struct pages only because PG_hwpoison is exported.
  CHECK(PageRules(layout, 0).needs_struct_pages());
  layout.pg_hwpoison.reset();
  CHECK_FALSE(PageRules(layout, 0).needs_struct_pages());
  CHECK_FALSE(PageRules(layout, 1).needs_struct_pages());
  CHECK(PageRules(layout, 16).needs_struct_pages());
  layout.buddy_mapcount.reset();
  CHECK_FALSE(PageRules(layout, 16).finds_free_pages());
  CHECK_FALSE(PageRules(layout, 16).needs_struct_pages());

  // 6.6+: order in the first tail's flags, hugetlb as PG_hugetlb there.
  kernel::PageLayout l66 = debian61_layout();
  l66.pg_hugetlb = 20;
  FakePage head = FakePage().flags(kHead).mapping(kFile);
  FakePage tail = FakePage().flags((1ULL << 20) | 9);
  CHECK(PageRules(l66, 8).decide(512, head.b, tail.b).cls == PageClass::kUser);
  CHECK(PageRules(l66, 8).decide(512, head.b, tail.b).pages == 512);
  // 6.9+: hugetlb is a page type in the head's _mapcount.
  kernel::PageLayout l69 = debian61_layout();
  l69.hugetlb_mapcount = -2049;
  FakePage typed = FakePage().flags(kHead).mapcount(static_cast<uint32_t>(-2049));
  CHECK(PageRules(l69, 8).decide(512, typed.b, FakePage().flags(9).b).cls == PageClass::kUser);
  // 6.10+: slab is a page type too.
  kernel::PageLayout l610 = debian61_layout();
  l610.slab_mapcount = -1025;
  CHECK_FALSE(PageRules(l610, 8).is_anon(kAnon, 0, static_cast<uint32_t>(-1025)));
  CHECK(PageRules(l610, 8).is_anon(kAnon, 0, kNoMapcount));
}

TEST_CASE("struct page layout from VMCOREINFO", "[classify][kernel]") {
  auto l = kernel::PageLayout::from_vmcoreinfo(vmcore::VmcoreInfo::parse(kDebian61PageInfo));
  REQUIRE(l.ok());
  CHECK(l->size == 64);
  CHECK(*l->compound_order == 17);
  CHECK(l->compound_order_width == 1);
  CHECK(*l->buddy_mapcount == -129);
  CHECK(*l->free_area_length == 11);
  CHECK_FALSE(l->pg_hugetlb.has_value());
  CHECK_FALSE(kernel::PageLayout::from_vmcoreinfo(vmcore::VmcoreInfo::parse("SIZE(page)=64\n")).ok());
  // An offset past the end of struct page is treated as missing.
  auto bad = kernel::PageLayout::from_vmcoreinfo(
      vmcore::VmcoreInfo::parse(std::string(kDebian61PageInfo) + "OFFSET(page.private)=60\n"));
  REQUIRE(bad.ok());
}
