// checked_field: the one bounds check of a field offset read from the dump.
#include "engine/vmcore/checked_field.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "engine/kernel/struct_page.h"
#include "engine/vmcore/vmcoreinfo.h"

using namespace kdk::vmcore;

TEST_CASE("checked_field: inside, at the edge, and past the structure", "[vmcore][checked_field]") {
  struct Case {
    const char* name;
    uint64_t offset, width, size;
    bool fits;
  };
  const Case cases[] = {
      {"first byte", 0, 8, 64, true},
      {"ends at the last byte", 56, 8, 64, true},
      {"one byte past", 57, 8, 64, false},
      {"offset at the size, width 0", 64, 0, 64, true},
      {"offset past the size", 65, 0, 64, false},
      {"width past the size", 0, 65, 64, false},
      {"offset near 2^64 (wraps with offset + width)", UINT64_MAX - 3, 8, 64, false},
      {"offset 2^64 - 1, width 1", UINT64_MAX, 1, 64, false},
      {"width near 2^64", 8, UINT64_MAX - 7, 64, false},
      {"both huge", UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1, UINT64_MAX, false},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(field_fits(c.offset, c.width, c.size) == c.fits);
    auto r = check_field("OFFSET(page.lru)", c.offset, c.width, c.size, "struct page");
    CHECK(r.ok() == c.fits);
    if (!r) {
      CHECK_THAT(r.error().message, Catch::Contains("OFFSET(page.lru)=" + std::to_string(c.offset)));
      CHECK_THAT(r.error().message, Catch::Contains("struct page"));
    }
  }
}

TEST_CASE("checked_field: from VMCOREINFO, an error names the key and the offset",
          "[vmcore][checked_field]") {
  auto info = VmcoreInfo::parse(
      "OFFSET(page.flags)=0\nOFFSET(page.lru)=18446744073709551612\nOFFSET(page.mapping)=x\n"
      "OFFSET(page.private)=60\n");
  CHECK(*checked_field(info, "OFFSET(page.flags)", 8, 64, "struct page") == 0);
  auto wrapped = checked_field(info, "OFFSET(page.lru)", 16, 64, "struct page");
  REQUIRE_FALSE(wrapped.ok());
  CHECK_THAT(wrapped.error().message, Catch::Contains("OFFSET(page.lru)=18446744073709551612"));
  auto past = checked_field(info, "OFFSET(page.private)", 8, 64, "struct page");
  REQUIRE_FALSE(past.ok());
  CHECK_THAT(past.error().message, Catch::Contains("leaves no 8 bytes inside struct page (64 bytes)"));
  auto garbage = checked_field(info, "OFFSET(page.mapping)", 8, 64, "struct page");
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.error().message, Catch::Contains("OFFSET(page.mapping)=x is not a number"));
  auto missing = checked_field(info, "OFFSET(page._mapcount)", 4, 64, "struct page");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("has no OFFSET(page._mapcount)"));
}

TEST_CASE("checked_field: struct page offsets near 2^64 are refused, not wrapped",
          "[vmcore][kernel][checked_field]") {
  // OFFSET(page.lru) + 16 wraps to 12 when read as offset + width: before
  // the check was overflow-safe such a layout was accepted.
  auto info = VmcoreInfo::parse(
      "SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
      "OFFSET(page.lru)=18446744073709551612\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
      "OFFSET(folio._folio_order)=18446744073709551615\n");
  auto layout = kdk::kernel::PageLayout::from_vmcoreinfo(info);
  REQUIRE(layout.ok());
  CHECK_FALSE(layout->lru.has_value());
  CHECK(layout->mapcount.value_or(0) == 48);
  CHECK_FALSE(layout->compound_order.has_value());
}
