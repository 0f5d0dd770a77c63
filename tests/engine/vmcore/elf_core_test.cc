#include "engine/vmcore/elf_core.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "agent/capture.h"
#include "engine/vmcore/vmcoreinfo.h"

using namespace kdk::vmcore;

namespace {

// Builds a little ELF64 core: header, program headers, one note segment,
// and `load_bytes` of memory, the way /proc/vmcore lays them out.
struct CoreBuilder {
  std::vector<uint8_t> bytes;
  template <class T>
  void put(size_t at, T v) {
    if (bytes.size() < at + sizeof v) bytes.resize(at + sizeof v);
    std::memcpy(&bytes[at], &v, sizeof v);
  }
  static std::vector<uint8_t> note(const std::string& name, uint32_t type, const std::string& desc) {
    std::vector<uint8_t> n(12);
    uint32_t namesz = static_cast<uint32_t>(name.size() + 1), descsz = static_cast<uint32_t>(desc.size());
    std::memcpy(&n[0], &namesz, 4);
    std::memcpy(&n[4], &descsz, 4);
    std::memcpy(&n[8], &type, 4);
    n.insert(n.end(), name.begin(), name.end());
    n.push_back(0);
    while (n.size() % 4) n.push_back(0);
    n.insert(n.end(), desc.begin(), desc.end());
    while (n.size() % 4) n.push_back(0);
    return n;
  }
  std::vector<uint8_t> build(const std::vector<uint8_t>& notes, uint64_t load_bytes) {
    bytes.assign(64, 0);
    std::memcpy(bytes.data(),
                "\x7f"
                "ELF",
                4);
    bytes[4] = 2;  // ELFCLASS64
    bytes[5] = 1;  // little endian
    bytes[6] = 1;
    put<uint16_t>(16, 4);   // ET_CORE
    put<uint16_t>(18, 62);  // EM_X86_64
    put<uint64_t>(32, 64);  // phoff
    put<uint16_t>(52, 64);
    put<uint16_t>(54, 56);
    put<uint16_t>(56, 2);
    uint64_t notes_at = 64 + 2 * 56;
    uint64_t load_at = notes_at + notes.size();
    // PT_NOTE
    put<uint32_t>(64, 4);
    put<uint64_t>(64 + 8, notes_at);
    put<uint64_t>(64 + 32, notes.size());
    put<uint64_t>(64 + 40, notes.size());
    // PT_LOAD
    put<uint32_t>(120, 1);
    put<uint64_t>(120 + 8, load_at);
    put<uint64_t>(120 + 16, 0xffff888000100000ULL);
    put<uint64_t>(120 + 24, 0x100000);
    put<uint64_t>(120 + 32, load_bytes);
    put<uint64_t>(120 + 40, load_bytes);
    bytes.resize(notes_at);
    bytes.insert(bytes.end(), notes.begin(), notes.end());
    bytes.resize(bytes.size() + load_bytes, 0xab);
    return bytes;
  }
};

}  // namespace

TEST_CASE("an ELF core's load segments and notes are read", "[vmcore]") {
  auto notes = CoreBuilder::note("CORE", 1, std::string(336, '\1'));
  auto vmci =
      CoreBuilder::note("VMCOREINFO", 0, "OSRELEASE=6.1.0-40-amd64\nPAGESIZE=4096\nCRASHTIME=1764158400\n");
  notes.insert(notes.end(), vmci.begin(), vmci.end());
  notes.resize(notes.size() + 32, 0);  // zero padding, as /proc/vmcore has
  CoreBuilder b;
  auto file = b.build(notes, 8192);

  auto layout = parse_elf_header(file, file.size());
  REQUIRE(layout.ok());
  CHECK(layout->machine == 62);
  REQUIRE(parse_program_headers(*layout, std::span(file).subspan(64, 112), file.size()).ok());
  REQUIRE(layout->loads.size() == 1);
  CHECK(layout->loads[0].phys_addr == 0x100000);
  CHECK(layout->loads[0].file_size == 8192);
  REQUIRE(layout->notes.size() == 1);

  auto parsed = parse_notes(std::span(file).subspan(layout->notes[0].file_offset, layout->notes[0].size));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0].name == "CORE");
  CHECK((*parsed)[0].desc.size() == 336);
  CHECK((*parsed)[1].name == "VMCOREINFO");
  auto info = VmcoreInfo::parse(
      std::string_view(reinterpret_cast<const char*>((*parsed)[1].desc.data()), (*parsed)[1].desc.size()));
  CHECK(*info.os_release() == "6.1.0-40-amd64");
  CHECK(*info.crash_time() == 1764158400);
  CHECK(*info.number("PAGESIZE") == 4096);
}

TEST_CASE("damaged ELF headers and notes are refused with where it went wrong", "[vmcore]") {
  CoreBuilder b;
  auto good = b.build(CoreBuilder::note("VMCOREINFO", 0, "OSRELEASE=x\n"), 4096);

  SECTION("bad magic") {
    auto f = good;
    f[1] = 'X';
    CHECK_THAT(parse_elf_header(f, f.size()).error().message, Catch::Contains("bad magic"));
  }
  SECTION("not a core") {
    auto f = good;
    f[16] = 2;
    CHECK_THAT(parse_elf_header(f, f.size()).error().message, Catch::Contains("not a core file"));
  }
  SECTION("program headers past the end") {
    CHECK_THAT(parse_elf_header(good, 100).error().message, Catch::Contains("run past the end"));
  }
  SECTION("a PT_LOAD past the end of a truncated file keeps what is there") {
    auto layout = parse_elf_header(good, good.size());
    REQUIRE(layout.ok());
    auto s = parse_program_headers(*layout, std::span(good).subspan(64, 112), good.size() - 10);
    REQUIRE(s.ok());
    REQUIRE(layout->loads.size() == 1);
    CHECK(layout->loads[0].missing_bytes == 10);
    CHECK(layout->loads[0].file_offset + layout->loads[0].file_size == good.size() - 10);
  }
  SECTION("a PT_NOTE running past the end of the file keeps what is there") {
    auto layout = parse_elf_header(good, good.size());
    REQUIRE(layout.ok());
    auto s = parse_program_headers(*layout, std::span(good).subspan(64, 112), 200);
    REQUIRE(s.ok());
    REQUIRE(layout->notes.size() == 1);
    const auto& n = layout->notes[0];
    CHECK(n.file_offset + n.size == std::max<uint64_t>(n.file_offset, 200));
    CHECK(n.missing_bytes > 0);
  }
  SECTION("a note longer than its segment") {
    auto n = CoreBuilder::note("VMCOREINFO", 0, std::string(100, 'x'));
    n.resize(n.size() - 40);
    auto r = parse_notes(n);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("note at offset 0x0") && Catch::Contains("desc size 100"));
  }
  SECTION("a truncated header") {
    CHECK_FALSE(parse_elf_header(std::span(good).first(20), good.size()).ok());
  }
}

TEST_CASE("VMCOREINFO values are typed, and missing ones say so", "[vmcore]") {
  auto info =
      VmcoreInfo::parse("OSRELEASE=6.1.0\nSYMBOL(init_uts_ns)=ffffffff82a15ea0\nCRASHTIME=abc\n\0junk");
  CHECK(*info.number("SYMBOL(init_uts_ns)", 16) == 0xffffffff82a15ea0ULL);
  CHECK_FALSE(info.number("PAGESIZE").has_value());
  auto signed_info = VmcoreInfo::parse("NUMBER(phys_base)=-150994944\nNUMBER(x)=42\nNUMBER(y)=-\n");
  CHECK(*signed_info.signed_number("NUMBER(phys_base)") == -150994944);
  CHECK(*signed_info.signed_number("NUMBER(x)") == 42);
  CHECK_FALSE(signed_info.signed_number("NUMBER(y)").has_value());
  CHECK_FALSE(signed_info.number("NUMBER(phys_base)").has_value());
  CHECK_THAT(info.crash_time().error().message, Catch::Contains("\"abc\" is not a number"));
  CHECK_THAT(VmcoreInfo::parse("").os_release().error().message, Catch::Contains("no OSRELEASE"));
}

TEST_CASE("crash directories are named <host>-<YYYY-MM-DD-HH:MM:SS> in UTC", "[capture]") {
  CHECK(kdk::agent::crash_directory_name("kdk-guest", 1764158400) == "kdk-guest-2025-11-26-12:00:00");
  CHECK(kdk::agent::crash_directory_name("h", 0) == "h-1970-01-01-00:00:00");
}
