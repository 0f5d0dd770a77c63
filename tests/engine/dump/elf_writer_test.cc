#include <catch2/catch.hpp>
#include <cstring>

#include "fake_vmcore.h"

using namespace kdk::dump;
using namespace kdk::dump::test;

namespace {

struct Phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

std::vector<Phdr> phdrs(const std::vector<uint8_t>& f) {
  uint64_t phoff;
  uint16_t phnum;
  std::memcpy(&phoff, f.data() + 32, 8);
  std::memcpy(&phnum, f.data() + 56, 2);
  std::vector<Phdr> out(phnum);
  for (size_t i = 0; i < phnum; ++i) std::memcpy(&out[i], f.data() + phoff + 56 * i, 56);
  return out;
}

}  // namespace

TEST_CASE("ELF output splits PT_LOADs only at runs of 256 or more excluded pages", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 0;
  DumpStats stats;
  auto out = slurp(f.write(FakeDump::Kind::elf, o, "out.elf", false, &stats));
  REQUIRE(std::memcmp(out.data(),
                      "\x7f"
                      "ELF",
                      4) == 0);
  auto ph = phdrs(out);
  REQUIRE(ph.size() >= 2);
  CHECK(ph[0].type == 4);
  CHECK(ph[0].filesz == fake_notes().size());
  CHECK(std::memcmp(out.data() + ph[0].offset, fake_notes().data(), fake_notes().size()) == 0);

  // LOAD0 stays whole (its 100-page run is kept), LOAD1 splits at the
  // 300-page run [1100, 1400) and ends with its no-data tail in memsz only,
  // LOAD2 is whole: 4 PT_LOADs.
  REQUIRE(ph.size() == 5);
  CHECK(stats.elf_segments == 4);
  CHECK(ph[1].paddr == 1 * kPs);
  CHECK(ph[1].memsz == 599 * kPs + 0x800);
  // The partial last page is never in bitmap2 (not RAM by makedumpfile's
  // floor rule), so it is memsz only, like an excluded page.
  CHECK(ph[1].filesz == 599 * kPs);
  CHECK(ph[2].paddr == 1000 * kPs);
  CHECK(ph[2].vaddr == 0xffff888000000000ULL + 1000 * kPs);
  // memsz covers the excluded run up to the next dumped page (1401: 1400 %
  // 11 == 3 is excluded too); filesz ends at the last dumped page before
  // the run (1099).
  CHECK(ph[2].memsz == 401 * kPs);
  CHECK(ph[2].filesz == 100 * kPs);
  CHECK(ph[3].paddr == 1401 * kPs);
  CHECK(ph[3].vaddr == 0xffff888000000000ULL + 1401 * kPs);
  CHECK(ph[3].memsz == 499 * kPs);
  // The no-data tail after the last dumped page is memsz only.
  uint64_t last = 1899;
  while (!fake_dumpable(last)) --last;
  CHECK(ph[3].filesz == (last + 1 - 1401) * kPs);
  CHECK(ph[4].paddr == 100000 * kPs);
  CHECK(ph[3].offset == ph[2].offset + ph[2].filesz);

  // Every byte in the file is the page's.
  std::vector<uint8_t> page(kPs);
  uint64_t bad = 0;
  for (size_t i = 1; i < ph.size(); ++i) {
    for (uint64_t b = 0; b < ph[i].filesz; b += kPs) {
      uint64_t paddr = ph[i].paddr + b;
      uint64_t n = std::min<uint64_t>(kPs - paddr % kPs, ph[i].filesz - b);
      fake_page(paddr / kPs, page.data());
      bad += std::memcmp(out.data() + ph[i].offset + b, page.data() + paddr % kPs, n) != 0;
      b -= paddr % kPs;
    }
  }
  CHECK(bad == 0);
  CHECK(out.size() == stats.file_size);
}

TEST_CASE("ELF output with dump level 1 drops zero pages from the bitmap", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 1;
  DumpStats s0, s1;
  f.write(FakeDump::Kind::elf, WriteOptions{0}, "d0.elf", false, &s0);
  f.write(FakeDump::Kind::elf, o, "d1.elf", false, &s1);
  uint64_t zero = 0;
  for (uint64_t pfn = 0; pfn < 100016; ++pfn) zero += fake_dumpable(pfn) && pfn % 7 == 0;
  CHECK(s1.zero_pages == zero);
  CHECK(s1.dumpable_pages == s0.dumpable_pages - zero);
  // Single zero pages sit in short runs and are kept in the file.
  CHECK(s1.elf_segments == s0.elf_segments);
}
