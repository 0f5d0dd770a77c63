// Oracle tests for refiltering (a kdump-compressed file as the input) on the
// real fixtures: makedumpfile -d 1 (or 8) output refiltered to a higher
// level by kdumpkit and by makedumpfile gives the same file byte for byte;
// the refiltered pfn set equals a direct dump of the raw vmcore at that
// level; and a zstd input refiltered by us reads back right in libkdumpfile.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/dump/dump.h"
#include "fake_vmcore.h"
#include "tests/engine/dump/kdump_file.h"
#include "tests/lib/test_env.h"

using namespace kdk::dump;

namespace {

std::vector<const char*> fixtures() {
  std::vector<const char*> out;
  for (const char* v : {"KDK_FIXTURE_VMCORE", "KDK_FIXTURE_BUSY_VMCORE"}) {
    kdk::test::require_env_file(v);
    out.push_back(getenv(v));
  }
  return out;
}

int run(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ours(const std::string& input, const std::string& out, int level, Compression c) {
  auto core = kdk::vmcore::VmcoreFile::open(input);
  INFO((core.ok() ? std::string() : core.error().message));
  REQUIRE(core.ok());
  DumpOptions o;
  o.dump_level = level;
  o.compression = c;
  o.threads = 2;
  o.quiet = true;
  auto fd = kdk::open_fd(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  FileSink sink(fd->get(), out);
  auto r = dump_vmcore(*core, o, sink);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  CHECK(r->damage.empty());
  return out;
}

std::string mdf(const std::string& input, const std::string& out, int level, const char* flag) {
  ::unlink(out.c_str());  // makedumpfile refuses to overwrite
  REQUIRE(run(std::string("makedumpfile ") + flag + " -d " + std::to_string(level) + " " + input + " " + out +
              " >/dev/null 2>&1") == 0);
  return out;
}

// Bits that differ between two files' bitmap 1 or 2.
uint64_t bitmap_diff(const KdumpFile& a, const KdumpFile& b, int which) {
  uint64_t n = 0;
  for (uint64_t pfn = 0; pfn < std::max(a.max_mapnr(), b.max_mapnr()); ++pfn) {
    bool x = which == 1 ? a.in_bitmap1(pfn) : a.in_bitmap2(pfn);
    bool y = which == 1 ? b.in_bitmap1(pfn) : b.in_bitmap2(pfn);
    n += x != y;
  }
  return n;
}

}  // namespace

TEST_CASE("oracle: refiltering a kdump-compressed file equals makedumpfile's, byte for byte",
          "[dump][oracle][refilter]") {
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  struct Case {
    int in_level;
    const char* in_flag;
    int level;
    const char* flag;
    Compression c;
  };
  // Debian's makedumpfile has lzo and zlib, not zstd.
  const Case cases[] = {{1, "-l", 31, "-l", Compression::lzo},
                        {1, "-l", 17, "-l", Compression::lzo},
                        {8, "-c", 31, "-c", Compression::zlib},
                        {8, "-c", 17, "-l", Compression::lzo}};
  for (const char* vmcore : fixtures()) {
    kdk::dump::test::TempDir dir;
    for (const auto& k : cases) {
      CAPTURE(vmcore, k.in_level, k.level, compression_name(k.c));
      std::string in = mdf(vmcore, dir.file("in.kdump"), k.in_level, k.in_flag);
      std::string a = ours(in, dir.file("ours.kdump"), k.level, k.c);
      std::string b = mdf(in, dir.file("mdf.kdump"), k.level, k.flag);
      auto ra = KdumpFile::open(a);
      auto rb = KdumpFile::open(b);
      REQUIRE(ra.ok());
      REQUIRE(rb.ok());
      // Where a difference is, first; then the whole file.
      CHECK(bitmap_diff(*ra, *rb, 1) == 0);
      CHECK(bitmap_diff(*ra, *rb, 2) == 0);
      CHECK(ra->sub_header().dump_level == (k.level | k.in_level));
      CHECK(std::memcmp(&ra->sub_header(), &rb->sub_header(), sizeof(KdumpSubHeader)) == 0);
      CHECK(std::memcmp(&ra->header(), &rb->header(), sizeof(DiskDumpHeader)) == 0);
      CHECK((kdk::dump::test::slurp(a) == kdk::dump::test::slurp(b)));
    }
  }
}

TEST_CASE("oracle: the refiltered pfn set equals a direct dump of the raw vmcore",
          "[dump][oracle][refilter]") {
  for (const char* vmcore : fixtures()) {
    kdk::dump::test::TempDir dir;
    for (int level : {17, 31}) {
      CAPTURE(vmcore, level);
      // Our own level-1 zstd dump as the input (a format makedumpfile 1.7.2 cannot read).
      std::string in = ours(vmcore, dir.file("in.kdump"), 1, Compression::zstd);
      std::string refiltered = ours(in, dir.file("refiltered.kdump"), level, Compression::zstd);
      std::string direct = ours(vmcore, dir.file("direct.kdump"), level, Compression::zstd);
      auto a = KdumpFile::open(refiltered);
      auto b = KdumpFile::open(direct);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      CHECK(a->max_mapnr() == b->max_mapnr());
      CHECK(bitmap_diff(*a, *b, 1) == 0);
      CHECK(bitmap_diff(*a, *b, 2) == 0);
      // The level-1 input excluded nothing the direct dump keeps, and
      // compression is per page: the files are the same.
      CHECK((kdk::dump::test::slurp(refiltered) == kdk::dump::test::slurp(direct)));

      if (level == 31) {
        kdk::test::require_python_module("kdumpfile", "python3-libkdumpfile");
        // libkdumpfile reads the refiltered zstd file; its pages are the raw vmcore's.
        CHECK(run(std::string("/usr/bin/python3 ") + KDK_SOURCE_DIR +
                  "/tests/engine/dump/libkdumpfile_check.py " + refiltered + " " + vmcore + " >&2") == 0);
      }
    }
  }
}

TEST_CASE("oracle: ELF output from a kdump-compressed input reads back in libkdumpfile",
          "[dump][oracle][refilter]") {
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  kdk::test::require_python_module("kdumpfile", "python3-libkdumpfile");
  for (const char* vmcore : fixtures()) {
    CAPTURE(vmcore);
    kdk::dump::test::TempDir dir;
    // makedumpfile refuses -E on this input; ours writes it. A level-1 input
    // lacks only zero pages, so every page in the ELF file is the vmcore's.
    std::string in = mdf(vmcore, dir.file("in.kdump"), 1, "-l");
    std::string out = dir.file("out.elf");
    auto core = kdk::vmcore::VmcoreFile::open(in);
    REQUIRE(core.ok());
    DumpOptions o;
    o.dump_level = 31;
    o.format = DumpFormat::elf;
    o.quiet = true;
    auto fd = kdk::open_fd(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd.ok());
    FileSink sink(fd->get(), out);
    auto r = dump_vmcore(*core, o, sink);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    // libkdumpfile reads the pages an ELF file leaves out at a segment's end
    // (memsz past filesz) as zeros, and its check counts those as different
    // from the vmcore; so the verdict must be the one it gives on a direct
    // ELF dump of the raw vmcore (ours: makedumpfile -E's bytes).
    std::string direct = dir.file("direct.elf");
    {
      auto raw = kdk::vmcore::VmcoreFile::open(vmcore);
      REQUIRE(raw.ok());
      auto dfd = kdk::open_fd(direct, O_RDWR | O_CREAT | O_TRUNC, 0644);
      REQUIRE(dfd.ok());
      FileSink dsink(dfd->get(), direct);
      REQUIRE(dump_vmcore(*raw, o, dsink).ok());
    }
    const std::string check =
        std::string("/usr/bin/python3 ") + KDK_SOURCE_DIR + "/tests/engine/dump/libkdumpfile_check.py ";
    (void)run(check + out + " " + vmcore + " | tail -1 > " + dir.file("ours.txt"));
    (void)run(check + direct + " " + vmcore + " | tail -1 > " + dir.file("direct.txt"));
    auto a = kdk::read_file(dir.file("ours.txt"));
    auto b = kdk::read_file(dir.file("direct.txt"));
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK_THAT(*a, Catch::Contains("pages equal"));
    CHECK(*a == *b);
    // The kernel log reads from it too (phys_base from VMCOREINFO: no text PT_LOAD).
    auto log = kdk::dmesg::read_vmcore_kernel_log(out);
    INFO((log.ok() ? std::string() : log.error().message));
    REQUIRE(log.ok());
    CHECK_FALSE(log->damaged());
  }
}

TEST_CASE("oracle: kdumpkit dmesg on a kdump-compressed file equals makedumpfile --dump-dmesg on it",
          "[dump][oracle][refilter]") {
  kdk::test::require_tool("makedumpfile", "makedumpfile");
  for (const char* vmcore : fixtures()) {
    kdk::dump::test::TempDir dir;
    std::string in = mdf(vmcore, dir.file("in.kdump"), 31, "-l");
    REQUIRE(run("makedumpfile --dump-dmesg " + in + " " + dir.file("mdf.txt") + " >/dev/null 2>&1") == 0);
    // Debian's makedumpfile (1.7.2) prints no caller ids.
    auto a = kdk::dmesg::read_vmcore_kernel_log(in, kdk::dmesg::ReadOptions{.caller_id = false});
    INFO((a.ok() ? std::string() : a.error().message));
    REQUIRE(a.ok());
    auto b = kdk::read_file(dir.file("mdf.txt"));
    REQUIRE(b.ok());
    CHECK_FALSE(a->damaged());
    CHECK(a->text() == *b);
  }
}
