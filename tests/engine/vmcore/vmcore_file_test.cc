#include "engine/vmcore/vmcore_file.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/engine/dump/fake_vmcore.h"

using namespace kdk::vmcore;
using kdk::dump::test::TempDir;

namespace {

template <class T>
void put(std::vector<uint8_t>& b, size_t at, T v) {
  if (b.size() < at + sizeof v) b.resize(at + sizeof v);
  std::memcpy(&b[at], &v, sizeof v);
}

// An ELF core with no notes and `loads` PT_LOADs that all start past any
// machine's physical address limit (2^60): each is damage of its own.
std::vector<uint8_t> core_with_wild_loads(uint16_t loads) {
  std::vector<uint8_t> b(64, 0);
  std::memcpy(b.data(), "\x7f" "ELF", 4);
  b[4] = 2;  // ELFCLASS64
  b[5] = 1;  // little endian
  b[6] = 1;
  put<uint16_t>(b, 16, 4);   // ET_CORE
  put<uint16_t>(b, 18, 62);  // EM_X86_64
  put<uint64_t>(b, 32, 64);  // e_phoff
  put<uint16_t>(b, 52, 64);
  put<uint16_t>(b, 54, 56);
  put<uint16_t>(b, 56, loads);
  const uint64_t data_at = 64 + uint64_t{loads} * 56;
  for (uint16_t i = 0; i < loads; ++i) {
    const size_t h = 64 + size_t{i} * 56;
    put<uint32_t>(b, h, 1);  // PT_LOAD
    put<uint64_t>(b, h + 8, data_at);
    put<uint64_t>(b, h + 24, (1ULL << 60) + uint64_t{i} * 4096);  // p_paddr
    put<uint64_t>(b, h + 32, 4096);                                // p_filesz
    put<uint64_t>(b, h + 40, 4096);                                // p_memsz
  }
  b.resize(data_at + 4096, 0);
  return b;
}

}  // namespace

TEST_CASE("a vmcore's problems are listed up to a cap, then counted", "[vmcore]") {
  TempDir dir;
  const auto path = dir.file("wild.core");
  const auto bytes = core_with_wild_loads(500);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  auto core = VmcoreFile::open(path);
  REQUIRE(core);
  const auto& problems = core->problems();
  // The first ones are listed as they were found, the rest counted in one line.
  REQUIRE(problems.size() == VmcoreFile::kMaxListedProblems + 1);
  CHECK(problems[0].find("no VMCOREINFO note") != std::string::npos);
  CHECK(problems[1].find("implausible PT_LOAD") != std::string::npos);
  // 500 PT_LOADs and the missing VMCOREINFO note: 501 problems in all.
  CHECK(problems.back() == "... and 437 more problems of the kinds above, not listed");
}
