// Memory-range arithmetic on /proc/iomem and /sys/firmware/memmap texts
// taken from the QEMU guests (qemu/guest-facts.sh: Debian 6.1, SeaBIOS and
// OVMF, 1 and 4 GiB, crashkernel=256M), against values worked out by hand
// from those texts and the kernel's rules (arch/x86/kernel/crash.c).
#include "loader/memory_ranges.h"

#include <catch2/catch.hpp>
#include <string>

#include "util/fd.h"
#include "util/text.h"

using namespace kdk;
using namespace kdk::loader;

namespace {

std::string guest_file(const std::string& guest, const std::string& name) {
  auto t = read_file(std::string(KDK_SOURCE_DIR) + "/tests/loader/data/" + guest + "/" + name);
  REQUIRE(t.ok());
  return *t;
}

std::vector<IomemEntry> guest_iomem(const std::string& guest) {
  auto e = parse_iomem(guest_file(guest, "iomem.txt"));
  REQUIRE(e.ok());
  return *e;
}

// Inclusive bounds, as /proc/iomem prints them.
Range r(uint64_t first, uint64_t last) { return {first, last + 1}; }

}  // namespace

TEST_CASE("iomem: lines, depths and names; bad lines and hidden addresses refused", "[loader][ranges]") {
  auto e = guest_iomem("seabios-1g");
  REQUIRE(e.size() == 28);
  CHECK(e[0].range == r(0, 0xfff));
  CHECK(e[0].name == "Reserved");
  CHECK(e[6].name == "System ROM");
  CHECK(e[6].depth == 1);
  CHECK(e[8].name == "Crash kernel");
  CHECK(e[8].range == r(0x28000000, 0x37ffffff));
  CHECK(e.back().range == r(0xfd00000000, 0xffffffffff));

  CHECK_FALSE(parse_iomem("00000000-00000fff Reserved\n").ok());
  CHECK_FALSE(parse_iomem("00001000-00000fff : System RAM\n").ok());
  // What a reader without CAP_SYS_ADMIN sees.
  auto hidden = parse_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n");
  REQUIRE_FALSE(hidden.ok());
  CHECK_THAT(hidden.error().message, Catch::Contains("as root"));
}

TEST_CASE("outermost entries: a match inside a match is not counted again", "[loader][ranges]") {
  auto e = parse_iomem(
      "00001000-0009ffff : System RAM\n"
      "00100000-3fffffff : System RAM\n"
      "  01000000-01ffffff : Kernel code\n"
      "  20000000-2fffffff : Crash kernel\n"
      "40000000-4fffffff : Persistent Memory\n"
      "  40000000-47ffffff : System RAM (kmem)\n"
      "    40000000-40ffffff : System RAM\n"
      "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
      "  b0000000-bfffffff : Reserved\n");
  REQUIRE(e.ok());
  CHECK(outermost(*e, "System RAM") ==
        std::vector<Range>{r(0x1000, 0x9ffff), r(0x100000, 0x3fffffff), r(0x40000000, 0x47ffffff)});
  CHECK(outermost(*e, "Reserved") == std::vector<Range>{r(0xb0000000, 0xbfffffff)});
  CHECK(crash_reservations(*e) == std::vector<Range>{r(0x20000000, 0x2fffffff)});
}

TEST_CASE("range arithmetic: subtract, intersect, normalize", "[loader][ranges]") {
  struct Case {
    std::vector<Range> from;
    Range cut;
    std::vector<Range> want;
  };
  const Case cases[] = {
      {{r(0x1000, 0x1fff)}, r(0x1000, 0x1fff), {}},                                      // all of it
      {{r(0x1000, 0x4fff)}, r(0x2000, 0x2fff), {r(0x1000, 0x1fff), r(0x3000, 0x4fff)}},  // a hole
      {{r(0x1000, 0x4fff)}, r(0x0, 0x1fff), {r(0x2000, 0x4fff)}},                        // the head
      {{r(0x1000, 0x4fff)}, r(0x4000, 0x9fff), {r(0x1000, 0x3fff)}},                     // the tail
      {{r(0x1000, 0x1fff), r(0x3000, 0x3fff)}, r(0x2000, 0x2fff), {r(0x1000, 0x1fff), r(0x3000, 0x3fff)}},
      {{r(0x1000, 0x1fff)}, Range{0x1800, 0x1800}, {r(0x1000, 0x1fff)}},  // an empty cut
  };
  for (const auto& c : cases) {
    INFO(describe(c.from) << " minus " << describe(c.cut));
    CHECK(subtract(c.from, c.cut) == c.want);
  }
  CHECK(intersect({r(0, 0xfffff), r(0x200000, 0x2fffff)}, Range{0x80000, 0x280000}) ==
        std::vector<Range>{r(0x80000, 0xfffff), r(0x200000, 0x27ffff)});
  CHECK(normalize({r(0x3000, 0x3fff), Range{5, 5}, r(0x1000, 0x1fff), r(0x2000, 0x2fff),
                   r(0x1800, 0x18ff)}) == std::vector<Range>{r(0x1000, 0x3fff)});
}

TEST_CASE("dumpable RAM: System RAM without the low 1 MiB and the crash reservation, per guest",
          "[loader][ranges]") {
  struct Case {
    const char* guest;
    std::vector<Range> want;
  };
  const Case cases[] = {
      {"seabios-1g", {r(0x100000, 0x27ffffff), r(0x38000000, 0x3ffd9fff)}},
      {"seabios-4g", {r(0x100000, 0xacffffff), r(0xbd000000, 0xbffd9fff), r(0x100000000, 0x13fffffff)}},
      {"uefi-1g",
       {r(0x100000, 0x7fffff), r(0x808000, 0x80afff), r(0x80c000, 0x80ffff), r(0x900000, 0x25ffffff),
        r(0x36000000, 0x3eabafff), r(0x3eb7c000, 0x3f4ecfff), r(0x3f7ff000, 0x3ff57fff)}},
      {"uefi-4g",
       {r(0x100000, 0x7fffff), r(0x808000, 0x80afff), r(0x80c000, 0x80ffff), r(0x900000, 0xa5ffffff),
        r(0xb6000000, 0xbeabafff), r(0xbeb7c000, 0xbf4ecfff), r(0xbf7ff000, 0xbff57fff),
        r(0x100000000, 0x13fffffff)}},
  };
  for (const auto& c : cases) {
    INFO(c.guest);
    CHECK(describe(dumpable_ram(guest_iomem(c.guest))) == describe(c.want));
  }
}

TEST_CASE("the capture kernel's e820: low RAM, ACPI, NVS, reserved, and the reservation less the core header",
          "[loader][ranges]") {
  auto ram = [](uint64_t a, uint64_t b) { return E820Entry{a, b - a + 1, E820Type::kRam}; };
  auto res = [](uint64_t a, uint64_t b) { return E820Entry{a, b - a + 1, E820Type::kReserved}; };
  auto acpi = [](uint64_t a, uint64_t b) { return E820Entry{a, b - a + 1, E820Type::kAcpi}; };
  auto nvs = [](uint64_t a, uint64_t b) { return E820Entry{a, b - a + 1, E820Type::kNvs}; };
  struct Case {
    const char* guest;
    Range header;
    std::vector<E820Entry> want;
  };
  const Case cases[] = {
      {"seabios-1g",
       r(0x28000000, 0x28000fff),
       {res(0, 0xfff), ram(0x1000, 0x9fbff), res(0x9fc00, 0x9ffff), res(0xf0000, 0xfffff),
        ram(0x28001000, 0x37ffffff), res(0x3ffda000, 0x3fffffff), res(0xfffc0000, 0xffffffff),
        res(0xfd00000000, 0xffffffffff)}},
      {"uefi-1g",
       r(0x26000000, 0x26000fff),
       {res(0, 0xfff), ram(0x1000, 0x9ffff), nvs(0x800000, 0x807fff), nvs(0x80b000, 0x80bfff),
        nvs(0x810000, 0x8fffff), ram(0x26001000, 0x35ffffff), res(0x3eabb000, 0x3eb7bfff),
        res(0x3f4ed000, 0x3f76cfff), acpi(0x3f76d000, 0x3f77efff), nvs(0x3f77f000, 0x3f7fefff),
        res(0x3ff58000, 0x3ff77fff), nvs(0x3ff78000, 0x3fffffff)}},
      // A header in the middle splits the reservation; a piece under a page is dropped.
      {"seabios-4g",
       r(0xad001000, 0xad001fff),
       {res(0, 0xfff), ram(0x1000, 0x9fbff), res(0x9fc00, 0x9ffff), res(0xf0000, 0xfffff),
        ram(0xad000000, 0xad000fff), ram(0xad002000, 0xbcffffff), res(0xbffda000, 0xbfffffff),
        res(0xfffc0000, 0xffffffff), res(0xfd00000000, 0xffffffffff)}},
  };
  for (const auto& c : cases) {
    INFO(c.guest);
    CHECK(describe(crash_e820(guest_iomem(c.guest), {c.header})) == describe(c.want));
  }
  auto tiny = crash_e820(guest_iomem("seabios-1g"), {r(0x28000800, 0x37ffffff)});
  for (const auto& e : tiny) CHECK_FALSE((e.type == E820Type::kRam && e.addr >= 0x28000000));
}

TEST_CASE("the firmware's memory map from /sys/firmware/memmap, sorted, typed", "[loader][ranges]") {
  std::vector<FirmwareMapEntry> entries;
  const std::string text = guest_file("uefi-1g", "memmap.txt");
  for (auto line : lines(text)) {
    auto w = split_words(line);
    REQUIRE(w.size() >= 3);
    std::string type;
    for (size_t i = 2; i < w.size(); i++) type += (i > 2 ? " " : "") + w[i];
    entries.push_back({w[0] + "\n", w[1] + "\n", type + "\n"});
  }
  auto map = firmware_e820(entries);
  REQUIRE(map.ok());
  REQUIRE(map->size() == 16);
  CHECK((*map)[0] == E820Entry{0, 0xa0000, E820Type::kRam});
  CHECK((*map)[2] == E820Entry{0x800000, 0x8000, E820Type::kNvs});
  CHECK(describe(ram_of(*map)) ==
        describe(std::vector<Range>{r(0, 0x9ffff), r(0x100000, 0x7fffff), r(0x808000, 0x80afff),
                                    r(0x80c000, 0x80ffff), r(0x900000, 0x3eabafff), r(0x3eb7c000, 0x3f4ecfff),
                                    r(0x3f7ff000, 0x3ff57fff)}));
  CHECK_FALSE(firmware_e820({{"0x2000", "0x1000", "System RAM"}}).ok());
  auto odd = firmware_e820({{"0x0", "0xfff", "Soft Reserved"}, {"0x1000", "0x1fff", "Unusable memory"}});
  REQUIRE(odd.ok());
  CHECK((*odd)[0].type == E820Type::kReserved);
  CHECK((*odd)[1].type == E820Type::kUnusable);
}

TEST_CASE("placement: lowest or highest aligned fit inside a window, taken away once", "[loader][ranges]") {
  MemoryPool pool({r(0x28000000, 0x37ffffff)});
  const Range all{0, ~0ULL};
  auto hdr = pool.take(0x1000, 0x1000, false, all, "header");
  REQUIRE(hdr.ok());
  CHECK(*hdr == 0x28000000);
  auto initrd = pool.take(0x8a3000, 0x1000, true, all, "initrd");
  REQUIRE(initrd.ok());
  CHECK(*initrd == 0x38000000 - 0x8a3000);
  auto kernel = pool.take(0x3000000, 0x200000, false, all, "kernel");
  REQUIRE(kernel.ok());
  CHECK(*kernel == 0x28200000);  // the next 2 MiB boundary after the header
  auto small = pool.take(0x1000, 0x1000, false, all, "purgatory");
  REQUIRE(small.ok());
  CHECK(*small == 0x28001000);
  CHECK(pool.free() == std::vector<Range>{r(0x28002000, 0x281fffff), r(0x2b200000, 0x3775cfff)});
  auto windowed = pool.take(0x1000, 0x1000, true, Range{0, 0x28100000}, "low");
  REQUIRE(windowed.ok());
  CHECK(*windowed == 0x280ff000);
  auto too_big = pool.take(0x10000000, 0x1000, false, all, "the kernel");
  REQUIRE_FALSE(too_big.ok());
  CHECK_THAT(too_big.error().message, Catch::Contains("the kernel: no room for 262144 KiB"));
  CHECK_FALSE(pool.take(0x1000, 3, false, all, "odd").ok());
}
