#include "engine/classify/page_classifier.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "tests/engine/classify/fake_pages.h"

using namespace kdk;
using namespace kdk::classify;
using namespace kdk::testing;

namespace {

constexpr uint64_t kAnon = 0xffff888012345001ULL;
constexpr uint64_t kPages = 4096, kChunk = 1024;

RamLayout ram_layout(std::vector<PfnRange> ranges) {
  RamLayout l;
  l.ram = ranges;
  l.classified = ranges;
  l.max_pfn = kPages;
  return l;
}

struct Result2 {
  std::vector<bool> ram, dumpable;
  dump::FilterCounts counts;
  std::vector<dump::Damage> damage;
};

// Runs the cycles in the given order, twice (as the writer does).
Result2 run(PageClassifier& f, const std::vector<std::pair<uint64_t, uint64_t>>& cycles) {
  Result2 r;
  r.ram.assign(kPages, false);
  r.dumpable.assign(kPages, false);
  dump::PfnBitmap b1, b2;
  for (int pass = 0; pass < 2; ++pass) {
    f.counts() = {};
    for (auto [s, e] : cycles) {
      REQUIRE(f.filter(s, e, b1, b2).ok());
      for (uint64_t p = s; p < e; ++p) {
        r.ram[p] = b1.test(p);
        r.dumpable[p] = b2.test(p);
      }
    }
  }
  r.counts = f.counts();
  r.damage = f.damage();
  return r;
}

std::vector<std::pair<uint64_t, uint64_t>> cycles_of(uint64_t size) {
  std::vector<std::pair<uint64_t, uint64_t>> c;
  for (uint64_t s = 0; s < kPages; s += size) c.push_back({s, std::min(kPages, s + size)});
  return c;
}

std::unique_ptr<FakePageSource> scenario() {
  auto src = std::make_unique<FakePageSource>(kPages, kChunk);
  src->buddy(64, 6);                        // [64, 128) free
  src->compound(512, 9, kLru | (1 << 19));  // anonymous THP [512, 1024)
  src->page(512).mapping(kAnon);
  src->buddy(2048, 10);                                        // [2048, 3072) free
  src->page(3000).mapping(kAnon);                              // inside the free block: never looked at
  src->page(3100).flags(kLru).mapping(0xffff888000001000ULL);  // a cache page
  return src;
}

}  // namespace

TEST_CASE("classifier: buddy blocks and compound pages go whole", "[classify]") {
  PageClassifier f(ram_layout({{16, 4000}}), scenario(), "", 31, kPages);
  Result2 r = run(f, cycles_of(kPages));
  CHECK_FALSE(r.ram[15]);
  CHECK(r.ram[16]);
  CHECK_FALSE(r.ram[4000]);
  for (uint64_t p : {64, 100, 127, 512, 700, 1023, 2048, 3000, 3071, 3100}) {
    INFO("pfn " << p);
    CHECK_FALSE(r.dumpable[p]);
  }
  for (uint64_t p : {16, 63, 128, 511, 1024, 2047, 3072, 3999}) {
    INFO("pfn " << p);
    CHECK(r.dumpable[p]);
  }
  CHECK(r.counts.free == 64 + 1024);
  CHECK(r.counts.user == 512);
  CHECK(r.counts.cache == 1);
  CHECK(r.counts.ram == 4000 - 16);
  CHECK(r.counts.dumped == static_cast<uint64_t>(std::count(r.dumpable.begin(), r.dumpable.end(), true)));
  CHECK(r.damage.empty());
}

TEST_CASE("classifier: any cycles, in any order, give the same set", "[classify]") {
  PageClassifier whole(ram_layout({{16, 4000}}), scenario(), "", 31, kPages);
  Result2 expect = run(whole, cycles_of(kPages));
  for (uint64_t size : {1, 7, 100, 512, 1000, 1024, 3000}) {
    INFO("cycle " << size);
    PageClassifier f(ram_layout({{16, 4000}}), scenario(), "", 31, kPages, 4096 /* tiny buffer */);
    Result2 r = run(f, cycles_of(size));
    CHECK(r.dumpable == expect.dumpable);
    CHECK(r.counts.free == expect.counts.free);
    CHECK(r.counts.user == expect.counts.user);
    CHECK(r.counts.cache == expect.counts.cache);
  }
  auto shuffled = cycles_of(300);
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  PageClassifier f(ram_layout({{16, 4000}}), scenario(), "", 31, kPages);
  Result2 r = run(f, shuffled);
  CHECK(r.dumpable == expect.dumpable);
  CHECK(r.counts.free == expect.counts.free);
}

TEST_CASE("classifier: an exclusion running past its section does not skip the next one", "[classify]") {
  // makedumpfile walks each section's mem_map separately: a (garbage) order
  // 11 head excludes into the next section, whose pages are still looked at
  // (and counted again when excluded).
  auto src = std::make_unique<FakePageSource>(kPages, kChunk);
  src->compound(2048, 11, 0);
  src->page(2048).mapping(kAnon);
  src->page(3500).mapping(kAnon).compound_head(0);  // not a tail: a page of its own
  PageClassifier f(ram_layout({{0, kPages}}), std::move(src), "", 8, kPages);
  Result2 r = run(f, cycles_of(777));
  for (uint64_t p = 2048; p < kPages; ++p) REQUIRE_FALSE(r.dumpable[p]);
  CHECK(r.dumpable[2047]);
  CHECK(r.counts.user == 2048 + 1);
}

TEST_CASE("classifier: holes are kept out of bitmap1 and counted inside exclusions", "[classify]") {
  auto src = std::make_unique<FakePageSource>(kPages, kChunk);
  src->buddy(1024, 8);  // [1024, 1280), with a hole [1100, 1200)
  PageClassifier f(ram_layout({{0, 1100}, {1200, kPages}}), std::move(src), "", 16, kPages);
  Result2 r = run(f, cycles_of(kPages));
  CHECK_FALSE(r.ram[1150]);
  CHECK_FALSE(r.dumpable[1150]);
  CHECK_FALSE(r.dumpable[1050]);
  CHECK(r.dumpable[1280]);
  CHECK(r.counts.free == 256);  // like makedumpfile: the hole's pfns too
}

TEST_CASE("classifier: unreadable struct pages are kept and reported once", "[classify]") {
  auto src = scenario();
  src->unreadable.insert(2200);  // inside the free block: decided by its readable head
  src->unreadable.insert(1500);  // a page of its own
  src->unreadable.insert(64);    // the head of a free block
  src->no_map_chunks.insert(3);  // legitimately absent
  PageClassifier f(ram_layout({{16, 4000}}), std::move(src), "", 31, kPages);
  Result2 r = run(f, cycles_of(1000));
  CHECK_FALSE(r.dumpable[2048]);
  CHECK_FALSE(r.dumpable[2200]);
  // Unreadable pages are kept with the rest of their vmemmap page (64 struct pages).
  for (uint64_t p = 1472; p < 1536; ++p) REQUIRE(r.dumpable[p]);
  for (uint64_t p = 64; p < 128; ++p) REQUIRE(r.dumpable[p]);
  // No mem_map: kept, not damage.
  CHECK(r.dumpable[3100]);
  REQUIRE(r.damage.size() == 2);
  CHECK(r.damage[0].start_pfn == 64);
  CHECK(r.damage[0].end_pfn == 128);
  CHECK(r.damage[0].what.find("struct page unreadable") != std::string::npos);
  CHECK(r.damage[1].start_pfn == 1472);
  CHECK(r.damage[1].end_pfn == 1536);
}

TEST_CASE("classifier: without a struct page model everything in RAM is kept", "[classify]") {
  PageClassifier f(ram_layout({{16, 4000}}), nullptr, "struct page layout unknown", 31, kPages);
  Result2 r = run(f, cycles_of(1000));
  CHECK(std::count(r.dumpable.begin(), r.dumpable.end(), true) == 4000 - 16);
  REQUIRE(r.damage.size() == 1);
  CHECK(r.damage[0].what == "struct page layout unknown");
}

TEST_CASE("RAM layout from PT_LOADs rounds like makedumpfile", "[classify]") {
  std::vector<vmcore::LoadSegment> loads = {
      {0x100800, 0, 0, 0x2000, 0x3000},  // unaligned start, memsz > filesz
      {0x28400000, 0xffffffffa3e00000ULL, 0, 0x1000, 0x1000},
      {0x28400000, 0xffff888028400000ULL, 0, 0x4000, 0x4000},  // overlaps the text segment
  };
  RamLayout l = RamLayout::from_loads(loads, 4096);
  REQUIRE(l.ram.size() == 2);
  CHECK(l.ram[0].first == 0x100);         // round down
  CHECK(l.ram[0].end == 0x103);           // round down of 0x103800
  CHECK(l.classified[0].first == 0x101);  // first whole page whose start is in the file
  CHECK(l.classified[0].end == 0x103);
  CHECK(l.ram[1].first == 0x28400);
  CHECK(l.ram[1].end == 0x28404);
  CHECK(l.max_pfn == 0x28404);
}

TEST_CASE("RAM layout: a truncated segment's pages another PT_LOAD holds are not missing", "[classify]") {
  // The kernel text's copy (first in the file, whole) lies in RAM that the
  // truncated segment lost: pfns 0x35000-0x3ffda were cut, 0x36000-0x37000
  // are still there through the text's PT_LOAD.
  std::vector<vmcore::LoadSegment> loads = {
      {0x36000000, 0xffffffff81000000ULL, 0x1000, 0x1000000, 0x1000000, 0},
      {0x35000000, 0xffff888035000000ULL, 0x2000000, 0, 0xafda000, 0xafda000},
  };
  RamLayout l = RamLayout::from_loads(loads, 4096);
  REQUIRE(l.missing.size() == 2);
  CHECK(l.missing[0].first == 0x35000);
  CHECK(l.missing[0].end == 0x36000);
  CHECK(l.missing[1].first == 0x37000);
  CHECK(l.missing[1].end == 0x3ffda);
  REQUIRE(l.nodata.size() == 2);
  CHECK(l.nodata[0].end == 0x36000);
}
