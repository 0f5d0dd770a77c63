// The oracle: on a real vmcore of a crashed Debian 6.1 guest, the pfn sets
// (bitmap1, bitmap2) must equal makedumpfile's at every dump level. Set
// KDK_FIXTURE_VMCORE to the vmcore; makedumpfile's outputs are cached beside
// it in $KDK_ORACLE_CACHE (default /var/tmp/kdk-classify-cache).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/arch/kernel_memory_factory.h"
#include "engine/arch/x86_64/page_table_walk.h"
#include "engine/arch/x86_64/x86_64_kernel_memory.h"
#include "engine/classify/page_classifier.h"
#include "engine/kernel/sparse_mem.h"
#include "engine/kernel/struct_page.h"
#include "engine/kernel/utsname.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "tests/engine/dump/kdump_file.h"
#include "tests/lib/test_env.h"

using namespace kdk;

namespace {

std::string fixture_path(const char* variable = "KDK_FIXTURE_VMCORE") {
  return test::require_env_file(variable);
}

// makedumpfile -l -d level, cached per vmcore (name and size).
std::string oracle_dump(const std::string& vmcore, int level) {
  const char* c = std::getenv("KDK_ORACLE_CACHE");
  std::string dir = c && *c ? c : "/var/tmp/kdk-classify-cache";
  struct stat st;
  ::stat(vmcore.c_str(), &st);
  std::string base = vmcore.substr(vmcore.rfind('/') + 1);
  // Keyed by size and modification time: a regenerated fixture gets new outputs.
  std::string sub = dir + "/" + base + "-" + std::to_string(static_cast<long long>(st.st_size)) + "-" +
                    std::to_string(static_cast<long long>(st.st_mtime));
  std::string out = sub + "/d" + std::to_string(level) + ".kdump";
  if (::stat(out.c_str(), &st) == 0) return out;
  test::require_tool("makedumpfile", "makedumpfile");
  std::string cmd = "mkdir -p '" + sub + "' && makedumpfile -l -d " + std::to_string(level) + " '" + vmcore +
                    "' '" + out + ".tmp' >/dev/null 2>&1 && mv '" + out + ".tmp' '" + out + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  return out;
}

struct Fixture {
  vmcore::VmcoreFile core;
  vmcore::PhysicalMemory phys;
  std::unique_ptr<kernel::KernelMemory> mem;
};

std::unique_ptr<Fixture> open_fixture(const std::string& path) {
  auto core = vmcore::VmcoreFile::open(path);
  REQUIRE(core.ok());
  uint64_t page_size = core->info().number("PAGESIZE").value_or(4096);
  auto phys = vmcore::PhysicalMemory::create(*core, page_size);
  REQUIRE(phys.ok());
  auto f = std::unique_ptr<Fixture>(new Fixture{std::move(*core), std::move(*phys), nullptr});
  auto mem = arch::make_kernel_memory(f->core, f->phys);
  if (!mem) FAIL(mem.error().message);
  f->mem = std::move(*mem);
  return f;
}

struct Run {
  uint64_t max_pfn = 0;
  std::vector<bool> ram, dumpable;
  dump::FilterCounts counts;
  size_t damage = 0;
  double seconds = 0;
};

Run run_filter(Fixture& f, int level, uint64_t cycle) {
  auto filter = classify::make_page_filter(f.core, f.phys, *f.mem, level);
  REQUIRE(filter.ok());
  Run r;
  r.max_pfn = (*filter)->max_pfn();
  r.ram.resize(r.max_pfn);
  r.dumpable.resize(r.max_pfn);
  dump::PfnBitmap b1, b2;
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t s = 0; s < r.max_pfn; s += cycle) {
    uint64_t e = std::min(r.max_pfn, s + cycle);
    REQUIRE((*filter)->filter(s, e, b1, b2).ok());
    for (uint64_t p = s; p < e; ++p) {
      r.ram[p] = b1.test(p);
      r.dumpable[p] = b2.test(p);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.counts = (*filter)->counts();
  r.damage = (*filter)->damage().size();
  return r;
}

}  // namespace

TEST_CASE("fixture: translator reads init_uts_ns and struct pages", "[classify][oracle][arch][kernel]") {
  std::string path = fixture_path();
  auto f = open_fixture(path);
  auto uts = kernel::read_utsname(*f->mem, f->core.info());
  REQUIRE(uts.ok());
  CHECK(uts->release() == *f->core.info().os_release());
  CHECK(uts->sysname() == "Linux");
  CHECK(uts->machine() == "x86_64");

  // The walk agrees with the linear mappings on the kernel's own tables.
  auto* x86 = dynamic_cast<arch::x86_64::X86_64KernelMemory*>(f->mem.get());
  REQUIRE(x86 != nullptr);
  struct Reader : arch::x86_64::PhysicalReader {
    vmcore::PhysicalMemory& p;
    explicit Reader(vmcore::PhysicalMemory& pm) : p(pm) {}
    Status read(uint64_t phys, void* out, size_t len) override { return p.read(phys, out, len); }
  } reader(f->phys);
  arch::x86_64::PagingMode mode;
  mode.levels = x86->layout().levels;
  uint64_t ns = *f->core.info().number("SYMBOL(init_uts_ns)", 16);
  auto walked = arch::x86_64::walk_page_tables(reader, x86->layout().top_table_phys, mode, ns);
  REQUIRE(walked.ok());
  CHECK(walked->phys == *f->mem->virt_to_phys(ns));
  REQUIRE(x86->layout().page_offset != 0);
  uint64_t direct = x86->layout().page_offset + 0x1234000;
  auto walked_direct = arch::x86_64::walk_page_tables(reader, x86->layout().top_table_phys, mode, direct);
  REQUIRE(walked_direct.ok());
  CHECK(walked_direct->phys == 0x1234000);

  // vmemmap: the struct page of the page holding init_uts_ns is a kernel
  // image page: reserved, one reference, no mapping, not on any list.
  auto layout = kernel::PageLayout::from_vmcoreinfo(f->core.info());
  REQUIRE(layout.ok());
  auto map = kernel::SparseMemMap::load(*f->mem, f->core.info(), f->phys.max_pfn());
  REQUIRE(map.ok());
  uint64_t pfn = walked->phys / 4096;
  uint64_t page_addr = map->page_address(pfn);
  REQUIRE(page_addr != 0);
  auto page_phys = f->mem->virt_to_phys(page_addr);
  if (!page_phys) FAIL(page_phys.error().message);  // through the page tables: vmemmap is not linear
  std::vector<uint8_t> page(layout->size);
  REQUIRE(f->mem->read(page_addr, page.data(), page.size()).ok());
  kernel::PageFields fields = kernel::decode_page(*layout, page.data());
  CHECK(fields.refcount == 1);
  CHECK(fields.mapping == 0);
  CHECK(fields.mapcount == 0xffffffffu);
  CHECK((fields.flags & (1ULL << *layout->pg_lru)) == 0);
  CHECK((fields.flags & (1ULL << *layout->pg_slab)) == 0);
}

TEST_CASE("fixture: pfn sets equal makedumpfile's at every level", "[classify][oracle]") {
  for (const char* variable : {"KDK_FIXTURE_VMCORE", "KDK_FIXTURE_BUSY_VMCORE"}) {
    std::string path = fixture_path(variable);
    INFO(path);
    std::printf("%s\n", path.c_str());
    auto f = open_fixture(path);
    for (int level : {0, 2, 4, 8, 16, 31}) {
      int oracle_level = level & ~classify::kExcludeZero;  // zero pages are the writer's
      std::string dump_path = oracle_dump(path, oracle_level);
      REQUIRE(!dump_path.empty());
      auto oracle_file = dump::KdumpFile::open(dump_path);
      INFO((oracle_file ? std::string() : oracle_file.error().message));
      REQUIRE(oracle_file.ok());
      const dump::KdumpFile& oracle = *oracle_file;
      Run ours = run_filter(*f, oracle_level, 1 << 16);
      INFO("level " << oracle_level);
      CHECK(ours.max_pfn == oracle.max_mapnr());
      uint64_t diff1 = 0, diff2 = 0, theirs_dumped = 0, ours_dumped = 0, shown = 0;
      for (uint64_t p = 0; p < ours.max_pfn; ++p) {
        theirs_dumped += oracle.in_bitmap2(p);
        ours_dumped += ours.dumpable[p];
        if (ours.ram[p] != oracle.in_bitmap1(p)) ++diff1;
        if (ours.dumpable[p] != oracle.in_bitmap2(p)) {
          ++diff2;
          if (shown++ < 10)
            UNSCOPED_INFO("pfn 0x" << std::hex << p << std::dec << " ours " << ours.dumpable[p]);
        }
      }
      std::printf(
          "level %2d: dumped ours %llu makedumpfile %llu (ram %llu; excluded cache %llu private %llu user "
          "%llu free %llu hwpoison %llu offline %llu) damage %zu, %.1f ms\n",
          oracle_level, static_cast<unsigned long long>(ours_dumped),
          static_cast<unsigned long long>(theirs_dumped), static_cast<unsigned long long>(ours.counts.ram),
          static_cast<unsigned long long>(ours.counts.cache),
          static_cast<unsigned long long>(ours.counts.cache_private),
          static_cast<unsigned long long>(ours.counts.user),
          static_cast<unsigned long long>(ours.counts.free),
          static_cast<unsigned long long>(ours.counts.hwpoison),
          static_cast<unsigned long long>(ours.counts.offline), ours.damage, ours.seconds * 1000);
      CHECK(diff1 == 0);
      CHECK(diff2 == 0);
      CHECK(ours.damage == 0);
      CHECK(ours.counts.dumped == ours_dumped);

      // Cycle boundaries must not matter: odd-sized cycles give the same set.
      Run odd = run_filter(*f, oracle_level, 10007);
      CHECK(odd.dumpable == ours.dumpable);
      CHECK(odd.counts.free == ours.counts.free);
      CHECK(odd.counts.user == ours.counts.user);
      CHECK(odd.counts.cache == ours.counts.cache);
    }
  }
}
