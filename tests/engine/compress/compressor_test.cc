#include "engine/format/compressor.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/dump/progress.h"
#include "engine/format/kdump_layout.h"
#include "tests/engine/dump/fake_vmcore.h"

using namespace kdk::dump;

TEST_CASE("compressors round-trip a page and refuse to grow one", "[dump]") {
  for (auto c : {Compression::zstd, Compression::zlib, Compression::lzo}) {
    CAPTURE(compression_name(c));
    auto comp = make_compressor(c);
    REQUIRE(comp.ok());
    std::vector<uint8_t> page(4096), out((*comp)->max_output(4096)), back(4096);
    test::fake_page(2, page.data());  // text: compresses
    size_t n = (*comp)->compress(page.data(), page.size(), out.data());
    REQUIRE(n > 0);
    REQUIRE(n < 4096);
    REQUIRE(decompress_page(compression_flag(c), out.data(), n, back.data(), back.size()).ok());
    CHECK(back == page);
    test::fake_page(1, page.data());  // random: does not
    CHECK((*comp)->compress(page.data(), page.size(), out.data()) == 0);
    // Corrupt input is an error, not a crash.
    std::vector<uint8_t> junk(100, 0xa5);
    CHECK_FALSE(
        decompress_page(compression_flag(c), junk.data(), junk.size(), back.data(), back.size()).ok());
  }
  CHECK(compression_flag(Compression::zstd) == 0x20);
  CHECK(compression_flag(Compression::zlib) == 0x1);
  CHECK(compression_flag(Compression::lzo) == 0x2);
  CHECK(compression_flag(Compression::none) == 0);
  CHECK_FALSE(parse_compression("snappy").ok());
}

TEST_CASE("progress lines", "[dump]") {
  char buf[200];
  Progress::render(buf, sizeof buf, "dump", 250, 1000, 4096, 2.0);
  CHECK(std::string(buf) == "kdumpkit: dump:  25.0% 1 MB/s eta 6s");
  Progress::render(buf, sizeof buf, "dump", 1000, 1000, 4096, 2.0);
  CHECK(std::string(buf) == "kdumpkit: dump: 100.0% 4 MB in 2.0s (2 MB/s)");
}
