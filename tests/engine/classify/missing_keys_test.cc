// Unknown means keep (engine/classify/missing_keys.h): for each VMCOREINFO
// key the classifier uses, a vmcore lacking it keeps the pages whose class
// depends on it and names the key; a kernel that exports everything keeps
// nothing extra. Each row removes one key from Debian 6.1's VMCOREINFO (or
// renames it as Linux 7.1 did) and classifies a page the key decides.
#include <catch2/catch.hpp>
#include <string>

#include "engine/classify/page_classifier.h"
#include "engine/classify/page_rules.h"
#include "tests/engine/classify/fake_pages.h"

using namespace kdk;
using namespace kdk::classify;
using namespace kdk::testing;

namespace {

constexpr uint64_t kAnon = 0xffff888012345001ULL;
constexpr uint64_t kFile = 0xffff888012345000ULL;

// Debian 6.1's page keys with the line of `key` removed (and `extra` added).
kernel::PageLayout layout_without(const std::string& key, const std::string& extra = "") {
  std::string text = kDebian61PageInfo;
  if (!key.empty()) {
    size_t at = text.find(key + "=");
    REQUIRE(at != std::string::npos);
    text.erase(at, text.find('\n', at) + 1 - at);
  }
  text += extra;
  auto l = kernel::PageLayout::from_vmcoreinfo(vmcore::VmcoreInfo::parse(text));
  REQUIRE(l.ok());
  return *l;
}

std::string missing_of(const PageRules& r) {
  std::string s;
  for (const auto& u : r.unknown()) s += u.missing + "; ";
  return s;
}

struct Row {
  const char* key;  // removed from 6.1's VMCOREINFO
  int level;
  FakePage page;  // a page whose class the key decides
  FakePage next;  // its successor (the first tail of a compound head)
  uint64_t pfn;
  PageClass with_key;     // its class when the key is there
  PageClass without_key;  // and when it is not: kept
  const char* named;      // the rule names this
};

}  // namespace

TEST_CASE("unknown means keep: every key the classifier needs, removed one at a time",
          "[classify][missing_keys]") {
  const FakePage none;
  FakePage hugetlb_next;
  hugetlb_next.order(9).dtor(2);
  const Row rows[] = {
      {"OFFSET(page.compound_head)", 8, FakePage().mapping(kAnon), none, 100, PageClass::kUser,
       PageClass::kKeep, "OFFSET(page.compound_head) or OFFSET(page.compound_info)"},
      {"OFFSET(page.compound_head)", 2, FakePage().flags(kLru).mapping(kFile), none, 100, PageClass::kCache,
       PageClass::kKeep, "compound_info"},
      {"NUMBER(PG_slab)", 8, FakePage().mapping(kAnon), none, 100, PageClass::kUser, PageClass::kKeep,
       "NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)"},
      {"NUMBER(PG_private)", 2, FakePage().flags(kLru).mapping(kFile), none, 100, PageClass::kCache,
       PageClass::kKeep, "NUMBER(PG_private)"},
      {"NUMBER(PG_swapbacked)", 2, FakePage().flags(kSwapcache | kSwapbacked).mapping(kFile), none, 100,
       PageClass::kCache, PageClass::kKeep, "NUMBER(PG_swapbacked)"},
      {"NUMBER(PG_lru)", 2, FakePage().flags(kLru).mapping(kFile), none, 100, PageClass::kCache,
       PageClass::kKeep, "NUMBER(PG_lru)"},
      {"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", 16, FakePage().mapcount(kBuddy).private_(3), none, 64,
       PageClass::kFree, PageClass::kKeep, "PAGE_BUDDY_MAPCOUNT_VALUE"},
      {"OFFSET(page.private)", 16, FakePage().mapcount(kBuddy).private_(3), none, 64, PageClass::kFree,
       PageClass::kKeep, "OFFSET(page.private)"},
      {"OFFSET(page._mapcount)", 16, FakePage().mapcount(kBuddy).private_(3), none, 64, PageClass::kFree,
       PageClass::kKeep, "OFFSET(page._mapcount)"},
      {"NUMBER(HUGETLB_PAGE_DTOR)", 8, FakePage().flags(kHead), hugetlb_next, 512, PageClass::kUser,
       PageClass::kKeep, "NUMBER(HUGETLB_PAGE_DTOR)"},
      {"OFFSET(page.compound_dtor)", 8, FakePage().flags(kHead), hugetlb_next, 512, PageClass::kUser,
       PageClass::kKeep, "OFFSET(page.compound_dtor)"},
      {"NUMBER(PG_head_mask)", 8, FakePage().flags(kHead), hugetlb_next, 512, PageClass::kUser,
       PageClass::kKeep, "NUMBER(PG_head_mask)"},
      {"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", 31, FakePage().mapcount(kOffline), none, 100,
       PageClass::kOffline, PageClass::kKeep, "PAGE_OFFLINE_MAPCOUNT_VALUE"},
  };
  for (const auto& row : rows) {
    INFO(row.key << " at level " << row.level);
    PageRules full(debian61_layout(), row.level);
    CHECK(full.unknown().empty());
    CHECK(full.decide(row.pfn, row.page.b, row.next.b).cls == row.with_key);

    PageRules rules(layout_without(row.key), row.level);
    INFO("rules: " << missing_of(rules));
    CHECK_THAT(missing_of(rules), Catch::Contains(row.named));
    PageDecision d = rules.decide(row.pfn, row.page.b, row.next.b);
    CHECK(d.cls == row.without_key);
    CHECK_FALSE(d.excluded());
  }
}

TEST_CASE("unknown means keep: a free block of an order that cannot be checked is kept",
          "[classify][missing_keys]") {
  PageRules rules(layout_without("LENGTH(zone.free_area)"), 16);
  CHECK_THAT(missing_of(rules), Catch::Contains("LENGTH(zone.free_area)"));
  CHECK(rules.decide(1024, FakePage().mapcount(kBuddy).private_(10).b, nullptr).cls == PageClass::kFree);
  CHECK(rules.decide(1ULL << 20, FakePage().mapcount(kBuddy).private_(14).b, nullptr).cls ==
        PageClass::kBadFreeOrder);
}

TEST_CASE("unknown means keep: only what the level uses, and only what the kernel should export",
          "[classify][missing_keys]") {
  // PG_private matters only where cache goes and cache with private data stays.
  CHECK(PageRules(layout_without("NUMBER(PG_private)"), 6).unknown().empty());
  // No exclusion by struct page at all: nothing to keep for a missing key.
  CHECK(PageRules(layout_without("NUMBER(PG_slab)"), 1).unknown().empty());
  // Before 4.6 there was no compound_head to export.
  auto old = layout_without("OFFSET(page.compound_head)");
  old.kernel_major = 4;
  old.kernel_minor = 4;
  bool names_tail = false;
  PageRules old_rules(old, 31);
  for (const auto& u : old_rules.unknown())
    names_tail |= u.missing.find("compound_head") != std::string::npos;
  CHECK_FALSE(names_tail);
}

TEST_CASE("Linux 7.1+: OFFSET(page.compound_info) marks tail pages as compound_head did",
          "[classify][missing_keys]") {
  auto l = layout_without("OFFSET(page.compound_head)", "OFFSET(page.compound_info)=8\n");
  REQUIRE(l.compound_head.has_value());
  CHECK(*l.compound_head == 8);
  PageRules rules(l, 31);
  CHECK(rules.unknown().empty());
  FakePage tail;
  tail.mapping(kAnon).compound_head(0xffffea0000001001ULL);
  CHECK(rules.decide(65, tail.b, nullptr).cls == PageClass::kTail);
}

TEST_CASE("the damage list keeps the first ranges and totals the rest per cause", "[classify]") {
  kdk::classify::RamLayout ram;
  ram.ram = {{0, 1 << 20}};
  ram.max_pfn = 1 << 20;
  kdk::classify::PageClassifier filter(ram, nullptr, "no struct page model", 31, ram.max_pfn);
  const size_t cap = kdk::classify::PageClassifier::kMaxDamageRanges;
  for (uint64_t i = 0; i < cap + 1000; ++i) {
    filter.add_damage(
        {i * 4, i * 4 + 2, i % 2 ? "mem_map unreadable: at 0x1234" : "page table loop: at 0x99"});
  }
  const auto& list = filter.damage();
  REQUIRE(list.size() == cap + 2);
  CHECK(list[0].start_pfn == 0);
  CHECK(list[cap - 1].start_pfn == (cap - 1) * 4);
  // 1000 past the cap: 500 of each cause, two pages each.
  CHECK(list[cap].what ==
        "mem_map unreadable: 500 more damaged ranges (1000 pages) past the first 256, not listed one by one");
  CHECK(list[cap + 1].what ==
        "page table loop: 500 more damaged ranges (1000 pages) past the first 256, not listed one by one");
  CHECK(list[cap + 1].start_pfn == cap * 4);
  CHECK(list[cap + 1].end_pfn == (cap + 998) * 4 + 2);
}
