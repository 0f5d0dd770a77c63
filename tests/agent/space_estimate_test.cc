#include "agent/space_estimate.h"

#include <catch2/catch.hpp>

using namespace kdk::agent;

TEST_CASE("dump size bounds: kdump upper is uncompressed, expected divides the data", "[space]") {
  DumpShape s;
  s.page_size = 4096;
  s.max_pfn = 262144;  // 1 GiB
  s.dumpable_pages = 10000;
  DumpSize d = dump_size(s, 31);
  const uint64_t data = 10000ull * 4096;
  CHECK(d.upper_bytes > data);
  CHECK(d.upper_bytes >= data + 24 * 10000 + 2 * 32768);
  CHECK(d.expected_bytes == d.upper_bytes - data + data / kExpectedRatio);
  s.compressed = false;
  CHECK(dump_size(s, 31).expected_bytes == dump_size(s, 31).upper_bytes);
  s.format = kdk::config::DumpFormat::kRaw;
  s.vmcore_bytes = 12345;
  CHECK(dump_size(s, 31).upper_bytes == 12345);
}

TEST_CASE("fallback levels exclude more at each step and end at 31", "[space]") {
  CHECK(fallback_levels(31) == std::vector<int>{31});
  CHECK(fallback_levels(0) == std::vector<int>{0, 16, 24, 31});
  CHECK(fallback_levels(1) == std::vector<int>{1, 17, 25, 31});
  CHECK(fallback_levels(16) == std::vector<int>{16, 24, 31});
}

TEST_CASE("the first level whose expected size fits is chosen, else no dump", "[space]") {
  auto by_level = [](int level) -> kdk::Result<DumpSize> {
    DumpSize d;
    d.level = level;
    d.expected_bytes = level == 0 ? 1000 : level == 16 ? 600 : level == 24 ? 300 : 100;
    d.upper_bytes = 2 * d.expected_bytes;
    return d;
  };
  SpaceDecision a = decide_dump_level(5000, 0, by_level);
  CHECK(a.write_dump);
  CHECK(a.size.level == 0);
  SpaceDecision b = decide_dump_level(400, 0, by_level);
  CHECK(b.write_dump);
  CHECK(b.size.level == 24);
  CHECK(b.reason.find("too little space for dump level 0") != std::string::npos);
  SpaceDecision c = decide_dump_level(50, 0, by_level);
  CHECK_FALSE(c.write_dump);
  CHECK(c.reason.find("no dump") == 0);
  // Without an estimate the dump is tried anyway.
  SpaceDecision d = decide_dump_level(50, 31, [](int) -> kdk::Result<DumpSize> { return kdk::Error{"bad"}; });
  CHECK(d.write_dump);
}
