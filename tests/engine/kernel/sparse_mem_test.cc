#include "engine/kernel/sparse_mem.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/kernel/utsname.h"
#include "tests/engine/kernel/fake_kernel_memory.h"

using namespace kdk;

namespace {

// Debian 6.1 x86-64 values.
const char* kInfo =
    "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nSYMBOL(mem_section)=ffff8e0a3ffd2000\nLENGTH(mem_section)="
    "4096\n"
    "SIZE(mem_section)=32\nOFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\n"
    "NUMBER(MAX_PHYSMEM_BITS)=46\nSIZE(page)=64\n";

constexpr uint64_t kVmemmap = 0xffffea0000000000ULL;

// The kernel's encoding: mem_map minus the section's first pfn (in struct
// page units), with the flag bits or'ed in.
uint64_t encode(uint64_t mem_map, uint64_t section, uint64_t flags) {
  return (mem_map - section * 32768 * 64) | flags;
}

}  // namespace

TEST_CASE("SPARSEMEM geometry from VMCOREINFO", "[kernel]") {
  auto g = kernel::sparse_geometry(vmcore::VmcoreInfo::parse(kInfo));
  REQUIRE(g.ok());
  CHECK(g->extreme);
  CHECK(g->pages_per_section() == 32768);
  CHECK(g->sections_per_root() == 128);
  // A static array: LENGTH(mem_section) = NR_MEM_SECTIONS.
  std::string flat = kInfo;
  flat.replace(flat.find("LENGTH(mem_section)=4096"), 24, "LENGTH(mem_section)=524288");
  g = kernel::sparse_geometry(vmcore::VmcoreInfo::parse(flat));
  REQUIRE(g.ok());
  CHECK_FALSE(g->extreme);
  CHECK_FALSE(kernel::sparse_geometry(vmcore::VmcoreInfo::parse("PAGESIZE=4096\n")).ok());
}

TEST_CASE("section_mem_map decoding", "[kernel]") {
  kernel::SparseGeometry g;
  // Section 5 present with its struct pages at vmemmap + 5 * 32768 * 64.
  uint64_t mem_map = kVmemmap + 5 * 32768 * 64;
  auto d = kernel::decode_section_mem_map(encode(mem_map, 5, 0x1f), 5, g);
  CHECK(d.present);
  CHECK(d.mem_map == mem_map);
  d = kernel::decode_section_mem_map(encode(mem_map, 5, 0x2), 5, g);  // has-mem-map but not present
  CHECK_FALSE(d.present);
  CHECK_FALSE(kernel::decode_section_mem_map(0, 0, g).present);
}

TEST_CASE("SparseMemMap reads SPARSEMEM_EXTREME roots, both interpretations", "[kernel]") {
  auto info = vmcore::VmcoreInfo::parse(kInfo);
  const uint64_t roots = 0xffff8e0a3ffd2000ULL, block = 0xffff8e0a3ffd9000ULL;
  std::vector<uint8_t> root_array(8 * 2, 0);
  std::memcpy(root_array.data(), &block, 8);  // root 0 only
  std::vector<uint8_t> sections(128 * 32, 0);
  for (uint64_t s : {0, 1, 3}) {
    uint64_t raw = encode(kVmemmap + s * 32768 * 64, s, 0x7);
    std::memcpy(sections.data() + s * 32, &raw, 8);
  }
  SECTION("VMCOREINFO gives the root array") {
    testing::FakeKernelMemory mem;
    mem.put(roots, root_array);
    mem.put(block, sections);
    auto m = kernel::SparseMemMap::load(mem, info, 4 * 32768);
    REQUIRE(m.ok());
    CHECK(m->section_count() == 4);
    CHECK(m->section_mem_map(0) == kVmemmap);
    CHECK(m->section_mem_map(2) == 0);
    CHECK(m->page_address(3 * 32768 + 10) == kVmemmap + (3 * 32768 + 10) * 64);
    CHECK(m->page_address(2 * 32768) == 0);
    CHECK(m->mem_map_end_pfn(4 * 32768) == 4 * 32768);
    CHECK(m->mem_map_end_pfn(3 * 32768 + 5) == 3 * 32768 + 5);
  }
  SECTION("the symbol is a pointer to the root array") {
    testing::FakeKernelMemory mem;
    const uint64_t real_roots = 0xffff8e0a3ffe0000ULL;
    std::vector<uint8_t> ptr(4096, 0);  // reads as an empty root array first
    std::memcpy(ptr.data(), &real_roots, 8);
    mem.put(roots, ptr);
    mem.put(real_roots, root_array);
    mem.put(block, sections);
    auto m = kernel::SparseMemMap::load(mem, info, 4 * 32768);
    REQUIRE(m.ok());
    CHECK(m->section_mem_map(1) == kVmemmap + 32768 * 64);
  }
  SECTION("an unreadable block is recorded, not fatal") {
    testing::FakeKernelMemory mem;
    uint64_t two[2] = {block, 0xffff8e0a3ffda000ULL};  // root 1 unreadable
    std::vector<uint8_t> r(16);
    std::memcpy(r.data(), two, 16);
    mem.put(roots, r);
    mem.put(block, sections);
    auto m = kernel::SparseMemMap::load(mem, info, 200 * 32768);
    REQUIRE(m.ok());
    CHECK(m->unreadable(130));
    CHECK_FALSE(m->unreadable(3));
    CHECK(m->problems().size() == 1);
  }
  SECTION("garbage mem_map addresses reject the interpretation") {
    testing::FakeKernelMemory mem;
    std::vector<uint8_t> bad = sections;
    uint64_t raw = 0x1234001;  // present, user-space address
    std::memcpy(bad.data() + 2 * 32, &raw, 8);
    mem.put(roots, root_array);
    mem.put(block, bad);
    CHECK_FALSE(kernel::SparseMemMap::load(mem, info, 4 * 32768).ok());
  }
}

TEST_CASE("utsname from init_uts_ns", "[kernel]") {
  testing::FakeKernelMemory mem;
  std::vector<uint8_t> uts(6 * 65 + 8, 0);
  const char* fields[] = {"Linux",  "guest", "6.1.0-56-amd64", "#1 SMP PREEMPT_DYNAMIC Debian",
                          "x86_64", "(none)"};
  for (int i = 0; i < 6; ++i) std::memcpy(uts.data() + 4 + i * 65, fields[i], std::strlen(fields[i]));
  mem.put(0xffffffff82000000ULL, uts);
  // Without OFFSET(uts_namespace.name) the name follows a 4-byte kref.
  auto u = kernel::read_utsname(mem, vmcore::VmcoreInfo::parse("SYMBOL(init_uts_ns)=ffffffff82000000\n"));
  REQUIRE(u.ok());
  CHECK(u->sysname() == "Linux");
  CHECK(u->release() == "6.1.0-56-amd64");
  CHECK(u->machine() == "x86_64");
  CHECK(u->domainname() == "(none)");
  auto at0 = kernel::read_utsname(
      mem, vmcore::VmcoreInfo::parse("SYMBOL(init_uts_ns)=ffffffff81fffffc\nOFFSET(uts_namespace.name)=8\n"));
  REQUIRE(at0.ok());
  CHECK(at0->nodename() == "guest");
  CHECK_FALSE(kernel::read_utsname(mem, vmcore::VmcoreInfo::parse("PAGESIZE=4096\n")).ok());
}
