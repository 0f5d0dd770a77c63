#include "engine/vmcore/load_consistency.h"

#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "tests/engine/dump/fake_vmcore.h"
#include "util/fd.h"

using namespace kdk::vmcore;
using kdk::dump::test::TempDir;

namespace {

constexpr uint64_t kPage = 4096;

// A file of `pages` pages, page i filled with the byte i + 1.
struct PageFile {
  TempDir dir;
  kdk::UniqueFd fd;
  explicit PageFile(size_t pages) {
    std::string path = dir.file("core");
    std::vector<char> bytes(pages * kPage);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i / kPage + 1);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    fd = kdk::open_fd(path, O_RDONLY).value();
  }
};

LoadSegment seg(uint64_t phys, uint64_t offset, uint64_t filesz, uint64_t memsz) {
  return LoadSegment{phys, 0xffff888000000000ULL + phys, offset, filesz, memsz, 0};
}

bool has(const std::vector<std::string>& v, const char* what) {
  for (const auto& s : v)
    if (s.find(what) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("load consistency: a /proc/vmcore-like layout has no problem", "[vmcore]") {
  PageFile f(16);
  // RAM in two segments, the kernel text's copy (pages 8-9 of the file hold
  // the same bytes as pages 2-3) inside the first.
  std::vector<LoadSegment> loads = {seg(0x2000, 8 * kPage, 2 * kPage, 2 * kPage), seg(0, 0, 6 * kPage, 6 * kPage),
                                    seg(0x10000, 6 * kPage, 2 * kPage, 2 * kPage)};
  loads[0].virt_addr = 0xffffffff81000000ULL;
  // Make the copy's bytes those of RAM: the file's pages 8 and 9 read as 2, 3.
  std::vector<char> copy(2 * kPage);
  REQUIRE(::pread(f.fd.get(), copy.data(), copy.size(), 2 * kPage) == static_cast<ssize_t>(copy.size()));
  kdk::UniqueFd rw = kdk::open_fd(f.dir.file("core"), O_RDWR).value();
  REQUIRE(::pwrite(rw.get(), copy.data(), copy.size(), 8 * kPage) == static_cast<ssize_t>(copy.size()));
  CHECK(check_load_consistency(loads, f.fd.get(), kPage).empty());
}

TEST_CASE("load consistency: p_filesz past p_memsz, and empty PT_LOADs", "[vmcore]") {
  PageFile f(8);
  std::vector<LoadSegment> loads = {seg(0, 0, 4 * kPage, 0), seg(0x100000, 4 * kPage, 0, 0),
                                    seg(0x200000, 4 * kPage, 4 * kPage, 2 * kPage)};
  auto p = check_load_consistency(loads, f.fd.get(), kPage);
  CHECK(has(p, "physical 0x0 has 0x4000 bytes in the file but p_memsz 0x0"));
  CHECK(has(p, "empty PT_LOAD at file offset 0x4000 (physical 0x100000)"));
  CHECK(has(p, "physical 0x200000 has 0x4000 bytes in the file but p_memsz 0x2000"));
  // The file part is clipped to p_memsz.
  CHECK(loads[0].file_size == 0);
  CHECK(loads[2].file_size == 2 * kPage);
}

TEST_CASE("load consistency: one PT_LOAD shifted off the page grid", "[vmcore]") {
  PageFile f(16);
  std::vector<LoadSegment> loads = {seg(0, 0, 4 * kPage, 4 * kPage), seg(0x100000, 4 * kPage + 1, 4 * kPage, 4 * kPage),
                                    seg(0x200000, 8 * kPage, 4 * kPage, 4 * kPage)};
  CHECK(has(check_load_consistency(loads, f.fd.get(), kPage), "physical 0x100000 is at file offset 0x4001"));
  // A file whose PT_LOADs are all off the grid (makedumpfile's ELF output)
  // is not damaged.
  for (auto& s : loads) s.file_offset += 0x238;
  CHECK(check_load_consistency(loads, f.fd.get(), kPage).empty());
}

TEST_CASE("load consistency: overlapping PT_LOADs", "[vmcore]") {
  PageFile f(16);
  SECTION("partly") {
    std::vector<LoadSegment> loads = {seg(0, 0, 4 * kPage, 4 * kPage), seg(0x2000, 4 * kPage, 4 * kPage, 4 * kPage)};
    CHECK(has(check_load_consistency(loads, f.fd.get(), kPage), "0x0-0x4000 and 0x2000-0x6000 partly overlap"));
  }
  SECTION("wholly, with other bytes") {
    std::vector<LoadSegment> loads = {seg(0, 0, 8 * kPage, 8 * kPage), seg(0x2000, 8 * kPage, 2 * kPage, 2 * kPage)};
    CHECK(has(check_load_consistency(loads, f.fd.get(), kPage), "hold different bytes for physical 0x2000"));
  }
}

TEST_CASE("load consistency: 65535 garbage PT_LOADs are checked in bounded time", "[vmcore]") {
  PageFile f(4);
  std::vector<LoadSegment> loads;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 65535; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    loads.push_back(seg(x % (1ULL << 40), (x >> 20) % (4 * kPage), kPage * (1 + x % 64), kPage * (1 + x % 64)));
  }
  auto p = check_load_consistency(loads, f.fd.get(), kPage);
  CHECK(!p.empty());
}

TEST_CASE("load consistency: a PT_LOAD moved inside the direct map", "[vmcore]") {
  PageFile f(16);
  std::vector<LoadSegment> loads = {seg(0x100000, 0, 4 * kPage, 4 * kPage), seg(0x35000000, 4 * kPage, 4 * kPage, 4 * kPage)};
  loads.push_back(LoadSegment{0x35002000, 0xffffffff81000000ULL, 6 * kPage, kPage, kPage, 0});  // the text's copy
  CHECK(check_load_consistency(loads, f.fd.get(), kPage).empty());
  loads[0].phys_addr = 0x80000;  // vaddr still says 0x100000
  CHECK(has(check_load_consistency(loads, f.fd.get(), kPage), "physical 0x35000000 and 0x80000 are mapped"));
}
