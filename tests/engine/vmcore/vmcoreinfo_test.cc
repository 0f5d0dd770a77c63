#include "engine/vmcore/vmcoreinfo.h"

#include <catch2/catch.hpp>

using kdk::vmcore::VmcoreInfo;

TEST_CASE("VMCOREINFO: a key given twice with two values is unknown, and said so", "[vmcore]") {
  auto info = VmcoreInfo::parse("PAGESIZE=4096\nSIZE(page)=64\nPAGESIZE=65536\nOSRELEASE=6.1.0\n");
  CHECK_FALSE(info.get("PAGESIZE"));
  CHECK(info.number("SIZE(page)") == 64u);
  REQUIRE(info.contradictions().size() == 1);
  CHECK_THAT(info.contradictions()[0], Catch::Contains("PAGESIZE twice (4096, then 65536)"));
  REQUIRE(info.forgotten().size() == 1);
  CHECK(info.forgotten()[0] == "PAGESIZE");
}

TEST_CASE("VMCOREINFO: a key repeated with the same value is no contradiction", "[vmcore]") {
  auto info = VmcoreInfo::parse("PAGESIZE=4096\nPAGESIZE=4096\n");
  CHECK(info.number("PAGESIZE") == 4096u);
  CHECK(info.contradictions().empty());
}

TEST_CASE("VMCOREINFO: forget() leaves a key out and lists it", "[vmcore]") {
  auto info = VmcoreInfo::parse("NUMBER(PG_lru)=99\n");
  info.forget("NUMBER(PG_lru)");
  CHECK_FALSE(info.get("NUMBER(PG_lru)"));
  CHECK(info.forgotten() == std::vector<std::string>{"NUMBER(PG_lru)"});
}
