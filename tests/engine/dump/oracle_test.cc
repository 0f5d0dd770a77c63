// Oracle tests on a real vmcore (KDK_FIXTURE_VMCORE, e.g. a crashed Debian
// 6.1 guest): our output against makedumpfile's on the same vmcore, level
// and compressor, and read back by makedumpfile and libkdumpfile.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "engine/dump/dump.h"
#include "engine/vmcore/physical_memory.h"
#include "fake_vmcore.h"
#include "tests/engine/dump/kdump_file.h"
#include "tests/lib/test_env.h"

using namespace kdk::dump;

namespace {

const char* fixture(const char* variable = "KDK_FIXTURE_VMCORE") {
  kdk::test::require_env_file(variable);
  return getenv(variable);
}

// Both fixtures: the idle guest and the busy one (every class has pages).
std::vector<const char*> fixtures() {
  std::vector<const char*> out;
  for (const char* v : {"KDK_FIXTURE_VMCORE", "KDK_FIXTURE_BUSY_VMCORE"}) {
    if (const char* p = fixture(v)) out.push_back(p);
  }
  return out;
}

int run(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string write_ours(const char* vmcore, const std::string& out, int level, Compression c,
                       DumpFormat format) {
  auto core = kdk::vmcore::VmcoreFile::open(vmcore);
  REQUIRE(core.ok());
  DumpOptions o;
  o.dump_level = level;
  o.compression = c;
  o.format = format;
  o.threads = 2;
  o.quiet = true;
  auto fd = kdk::open_fd(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  FileSink file(fd->get(), out);
  FlatSink flat(fd->get(), out);
  Sink& sink = format == DumpFormat::flat ? static_cast<Sink&>(flat) : static_cast<Sink&>(file);
  auto r = dump_vmcore(*core, o, sink);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return out;
}

}  // namespace

TEST_CASE("oracle: the same file as makedumpfile, byte for byte, at every dump level", "[dump][oracle]") {
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  for (const char* vmcore : fixtures()) {
    CAPTURE(vmcore);
    test::TempDir dir;
    auto core = kdk::vmcore::VmcoreFile::open(vmcore);
    REQUIRE(core.ok());
    auto mem = kdk::vmcore::PhysicalMemory::create(*core, 4096);
    REQUIRE(mem.ok());
    for (int level : {0, 1, 2, 4, 8, 16, 31}) {
      CAPTURE(level);
      std::string mdf = dir.file("mdf.kdump");
      ::unlink(mdf.c_str());  // makedumpfile refuses to overwrite
      REQUIRE(run("makedumpfile -l -d " + std::to_string(level) + " " + vmcore + " " + mdf +
                  " >/dev/null 2>&1") == 0);
      std::string ours =
          write_ours(vmcore, dir.file("ours.kdump"), level, Compression::lzo, DumpFormat::kdump);

      // The dumped pfn sets (bitmap2: zero pages stay set, pointing at the
      // shared zero page) and the RAM sets (bitmap1), first, to say where a
      // difference is when there is one.
      auto a = KdumpFile::open(ours);
      auto b = KdumpFile::open(mdf);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      REQUIRE(a->max_mapnr() == b->max_mapnr());
      uint64_t diff1 = 0, diff2 = 0, dumped = 0;
      for (uint64_t pfn = 0; pfn < a->max_mapnr(); ++pfn) {
        diff1 += a->in_bitmap1(pfn) != b->in_bitmap1(pfn);
        diff2 += a->in_bitmap2(pfn) != b->in_bitmap2(pfn);
        dumped += a->in_bitmap2(pfn);
      }
      CHECK(diff1 == 0);
      CHECK(diff2 == 0);
      CHECK(std::memcmp(&a->sub_header(), &b->sub_header(), sizeof(KdumpSubHeader)) == 0);

      // Same header (utsname from init_uts_ns included), same descriptors,
      // same lzo data: the whole file.
      CHECK((test::slurp(ours) == test::slurp(mdf)));

      // Every dumped page equals the vmcore's bytes (at the extremes; the
      // other levels dump subsets of level 0's pages from the same code).
      if (level == 0 || level == 31) {
        std::vector<uint8_t> want(4096), got(4096);
        uint64_t bad = 0, checked = 0;
        for (uint64_t pfn = 0; pfn < a->max_mapnr(); ++pfn) {
          if (!a->in_bitmap2(pfn)) continue;
          REQUIRE(mem->read_page(pfn, want.data()).ok());
          REQUIRE(a->read_page(pfn, got.data()).ok());
          bad += want != got;
          ++checked;
        }
        CHECK(checked == dumped);
        CHECK(bad == 0);
      }
    }
  }
}

TEST_CASE("oracle: makedumpfile -R rebuilds our flattened stream; --dump-dmesg reads our file",
          "[dump][oracle]") {
  const char* vmcore = fixture();
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  test::TempDir dir;
  std::string regular = write_ours(vmcore, dir.file("ours.kdump"), 1, Compression::zlib, DumpFormat::kdump);
  std::string flat = write_ours(vmcore, dir.file("ours.flat"), 1, Compression::zlib, DumpFormat::flat);
  REQUIRE(run("makedumpfile -R " + dir.file("rebuilt") + " < " + flat + " >/dev/null 2>&1") == 0);
  CHECK((test::slurp(dir.file("rebuilt")) == test::slurp(regular)));

  REQUIRE(run("makedumpfile --dump-dmesg " + regular + " " + dir.file("dmesg.txt") + " >/dev/null 2>&1") ==
          0);
  auto text = kdk::read_file(dir.file("dmesg.txt"));
  REQUIRE(text.ok());
  CHECK_THAT(*text, Catch::Contains("Linux version"));
}

TEST_CASE("oracle: libkdumpfile reads our zstd output", "[dump][oracle]") {
  kdk::test::require_python_module("kdumpfile", "python3-libkdumpfile");
  test::TempDir dir;
  for (const char* core : fixtures()) {
    for (int level : {0, 31}) {
      CAPTURE(core, level);
      std::string ours =
          write_ours(core, dir.file("ours.kdump"), level, Compression::zstd, DumpFormat::kdump);
      CHECK(run(std::string("/usr/bin/python3 ") + KDK_SOURCE_DIR +
                "/tests/engine/dump/libkdumpfile_check.py " + ours + " " + core + " >&2") == 0);
    }
  }
}

TEST_CASE("oracle: ELF output equals makedumpfile -E", "[dump][oracle]") {
  const char* vmcore = fixture();
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  test::TempDir dir;
  for (int level : {1, 31}) {
    CAPTURE(level);
    std::string mdf = dir.file("mdf.elf");
    ::unlink(mdf.c_str());
    REQUIRE(run("makedumpfile -E -d " + std::to_string(level) + " " + vmcore + " " + mdf +
                " >/dev/null 2>&1") == 0);
    std::string ours = write_ours(vmcore, dir.file("ours.elf"), level, Compression::none, DumpFormat::elf);
    CHECK((test::slurp(ours) == test::slurp(mdf)));
  }
}
