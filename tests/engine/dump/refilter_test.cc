// A kdump-compressed file as the dump input (refiltering), on the small fake
// vmcore: what the input looks like through VmcoreFile and PhysicalMemory,
// what the refiltered output holds, and damaged inputs (bad headers, bad or
// missing page descriptors, data that does not decompress, a flattened
// stream) that must give clear errors or a dump with the damage recorded.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "engine/dump/dump.h"
#include "engine/vmcore/physical_memory.h"
#include "fake_vmcore.h"
#include "tests/engine/dump/kdump_file.h"

using namespace kdk::dump;
using namespace kdk::dump::test;
using kdk::vmcore::PhysicalMemory;
using kdk::vmcore::VmcoreFile;

namespace {

// The fake vmcore written kdump-compressed (FakeFilter's exclusions).
std::string make_input(FakeDump& f, int level, Compression c, const std::string& name = "in.kdump") {
  WriteOptions o;
  o.dump_level = level;
  o.compression = c;
  return f.write(FakeDump::Kind::kdump, o, name);
}

kdk::Result<DumpStats> refilter(const std::string& in, const std::string& out, int level, Compression c,
                                DumpFormat format = DumpFormat::kdump, uint64_t memory = 64ULL << 20,
                                unsigned threads = 1) {
  auto core = VmcoreFile::open(in);
  if (!core) return core.error();
  DumpOptions o;
  o.dump_level = level;
  o.compression = c;
  o.format = format;
  o.threads = threads;
  o.memory_bytes = memory;
  o.quiet = true;
  auto fd = kdk::open_fd(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (!fd) return fd.error();
  FileSink file(fd->get(), out);
  FlatSink flat(fd->get(), out);
  Sink& sink = format == DumpFormat::flat ? static_cast<Sink&>(flat) : static_cast<Sink&>(file);
  return dump_vmcore(*core, o, sink);
}

void patch(const std::string& path, uint64_t offset, const void* bytes, size_t n) {
  auto fd = kdk::open_fd(path, O_RDWR);
  REQUIRE(fd.ok());
  REQUIRE(::pwrite(fd->get(), bytes, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n));
}

// File offset of the descriptor of dumped pfn `pfn` in a file we wrote.
uint64_t desc_offset_of(const KdumpFile& r, uint64_t pfn) {
  uint64_t index = 0;
  for (uint64_t p = 0; p < pfn; ++p) index += r.in_bitmap2(p);
  uint64_t bitmap_bytes = static_cast<uint64_t>(r.header().bitmap_blocks) * r.block_size() / 2;
  return (1 + static_cast<uint64_t>(r.header().sub_hdr_size)) * r.block_size() + 2 * bitmap_bytes +
         index * sizeof(PageDesc);
}

bool b_dumped_none(const std::string& path) {
  auto r = KdumpFile::open(path);
  return r.ok() && r->dumpable_count() == 0;
}

bool has_damage(const DumpStats& s, uint64_t pfn, const std::string& part) {
  for (const auto& d : s.damage) {
    if (pfn >= d.start_pfn && pfn < d.end_pfn && d.what.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a kdump-compressed file opens as a vmcore: RAM from bitmap1, notes, pages by descriptor",
          "[dump][refilter]") {
  for (auto c : {Compression::zstd, Compression::zlib, Compression::lzo, Compression::none}) {
    CAPTURE(compression_name(c));
    FakeDump f;
    auto in = make_input(f, 1, c);
    auto core = VmcoreFile::open(in);
    REQUIRE(core.ok());
    REQUIRE(core->kdump());
    CHECK(core->problems().empty());
    CHECK(core->layout().machine == 62);
    CHECK(core->cpu_count() == 2);
    CHECK(core->info().get("OSRELEASE") == std::string("6.1.0-test-amd64"));
    CHECK(core->notes_blob() == fake_notes());
    // bitmap1 runs: the PT_LOADs' whole pages.
    REQUIRE(core->layout().loads.size() == 3);
    CHECK(core->layout().loads[0].phys_addr == 1 * kPs);
    CHECK(core->layout().loads[0].mem_size == 599 * kPs);
    CHECK(core->layout().loads[1].phys_addr == 1000 * kPs);
    CHECK(core->layout().loads[1].mem_size == 900 * kPs);
    CHECK(core->layout().loads[2].phys_addr == 100000 * kPs);
    CHECK(core->kdump()->max_mapnr() == 100016);

    auto mem = PhysicalMemory::create(*core, kPs);
    REQUIRE(mem.ok());
    std::vector<uint8_t> want(kPs), got(kPs);
    uint64_t checked = 0;
    for (uint64_t pfn = 0; pfn < 100016; pfn = pfn < 2000 ? pfn + 1 : pfn + 4) {
      CHECK(mem->is_ram(pfn) == fake_ram(pfn));
      if (!fake_dumpable(pfn)) {
        if (fake_ram(pfn)) CHECK_FALSE(mem->read_page(pfn, got.data()).ok());
        continue;
      }
      fake_page(pfn, want.data());
      REQUIRE(mem->read_page(pfn, got.data()).ok());
      CHECK(got == want);
      ++checked;
    }
    CHECK(checked > 800);
    // Across a page boundary, as kernel structures are read.
    uint8_t two[16];
    REQUIRE(mem->read(2 * kPs - 8, two, sizeof two).ok());
    std::vector<uint8_t> p1(kPs), p2(kPs);
    fake_page(1, p1.data());
    fake_page(2, p2.data());
    CHECK(std::memcmp(two, p1.data() + kPs - 8, 8) == 0);
    CHECK(std::memcmp(two + 8, p2.data(), 8) == 0);
    // An excluded page is not available.
    auto excluded = mem->read(250 * kPs, two, 8);
    REQUIRE_FALSE(excluded.ok());
    CHECK(excluded.error().message.find("not dumped") != std::string::npos);
  }
}

TEST_CASE("refiltering keeps bitmap1, intersects bitmap2 and combines the dump levels", "[dump][refilter]") {
  FakeDump f;
  // Level 0 input: zero pages are stored as pages.
  auto in = make_input(f, 0, Compression::zlib);
  auto out = f.dir.file("out.kdump");
  // The fake kernel cannot be classified: every page the input holds is kept.
  auto stats = refilter(in, out, 1, Compression::lzo);
  REQUIRE(stats.ok());
  auto a = KdumpFile::open(in);
  auto b = KdumpFile::open(out);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->sub_header().dump_level == 1);
  CHECK(b->header().status == kCompressedLzo);
  CHECK(b->max_mapnr() == a->max_mapnr());
  CHECK(b->header().nr_cpus == a->header().nr_cpus);
  CHECK(b->header().timestamp_sec == a->header().timestamp_sec);
  CHECK(b->sub_header().phys_base == a->sub_header().phys_base);
  CHECK(b->notes() == a->notes());
  CHECK(b->vmcoreinfo() == a->vmcoreinfo());
  CHECK(std::memcmp(&b->header().utsname, &a->header().utsname, sizeof a->header().utsname) == 0);
  uint64_t diff1 = 0, diff2 = 0;
  for (uint64_t pfn = 0; pfn < a->max_mapnr(); ++pfn) {
    diff1 += a->in_bitmap1(pfn) != b->in_bitmap1(pfn);
    diff2 += a->in_bitmap2(pfn) != b->in_bitmap2(pfn);
  }
  CHECK(diff1 == 0);
  CHECK(diff2 == 0);
  // Zero pages now share one descriptor.
  CHECK(stats->zero_pages > 100);
  std::vector<uint8_t> pa(kPs), pb(kPs);
  for (uint64_t pfn : {1ULL, 7ULL, 8ULL, 1001ULL, 1799ULL, 100014ULL}) {
    CAPTURE(pfn);
    REQUIRE(a->read_page(pfn, pa.data()).ok());
    REQUIRE(b->read_page(pfn, pb.data()).ok());
    CHECK(pa == pb);
  }

  // The input's own level stays: 1 | 16 = 17 in the header.
  auto out2 = f.dir.file("out2.kdump");
  REQUIRE(refilter(out, out2, 16, Compression::zstd).ok());
  auto c = KdumpFile::open(out2);
  REQUIRE(c.ok());
  CHECK(c->sub_header().dump_level == 17);
}

TEST_CASE("refiltering gives the same bytes at any thread count and memory budget", "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::zstd);
  REQUIRE(refilter(in, f.dir.file("a"), 31, Compression::zlib).ok());
  REQUIRE(refilter(in, f.dir.file("b"), 31, Compression::zlib, DumpFormat::kdump, 1 << 20, 3).ok());
  CHECK(slurp(f.dir.file("a")) == slurp(f.dir.file("b")));
  // Flattened output reassembles to the same file.
  REQUIRE(refilter(in, f.dir.file("c.flat"), 31, Compression::zlib, DumpFormat::flat).ok());
  REQUIRE(run_reassemble(f.dir.file("c.flat"), f.dir.file("c")).ok());
  CHECK(slurp(f.dir.file("a")) == slurp(f.dir.file("c")));
}

TEST_CASE("refilter inputs that are refused: flattened streams, broken headers", "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::zstd);
  auto out = f.dir.file("out");

  SECTION("a flattened stream points at reassemble") {
    WriteOptions o;
    o.dump_level = 1;
    auto flat = f.write(FakeDump::Kind::kdump, o, "in.flat", true);
    auto core = VmcoreFile::open(flat);
    REQUIRE_FALSE(core.ok());
    CHECK(core.error().message.find("kdumpkit reassemble") != std::string::npos);
  }
  SECTION("block size") {
    int32_t bad = 3000;
    patch(in, offsetof(DiskDumpHeader, block_size), &bad, 4);
    auto core = VmcoreFile::open(in);
    REQUIRE_FALSE(core.ok());
    CHECK(core.error().message.find("block_size 3000 at offset 428") != std::string::npos);
  }
  SECTION("bitmaps past the end") {
    uint32_t blocks = 1u << 30;
    patch(in, offsetof(DiskDumpHeader, bitmap_blocks), &blocks, 4);
    auto core = VmcoreFile::open(in);
    REQUIRE_FALSE(core.ok());
    CHECK(core.error().message.find("run past the end of the file") != std::string::npos);
  }
  SECTION("bitmaps too small for max_mapnr") {
    uint64_t huge = 1ULL << 40;
    patch(in, 4096 + offsetof(KdumpSubHeader, max_mapnr_64), &huge, 8);
    auto core = VmcoreFile::open(in);
    REQUIRE_FALSE(core.ok());
    CHECK(core.error().message.find("max_mapnr is 1099511627776") != std::string::npos);
  }
  SECTION("a split dump") {
    int32_t split = 1;
    patch(in, 4096 + offsetof(KdumpSubHeader, split), &split, 4);
    auto core = VmcoreFile::open(in);
    REQUIRE_FALSE(core.ok());
    CHECK(core.error().message.find("split") != std::string::npos);
  }
  SECTION("VMCOREINFO offsets outside the notes: found by its note instead") {
    int64_t off = 1 << 30;
    patch(in, 4096 + offsetof(KdumpSubHeader, offset_vmcoreinfo), &off, 8);
    auto core = VmcoreFile::open(in);
    REQUIRE(core.ok());
    CHECK(core->problems().size() == 1);
    CHECK(core->info().get("OSRELEASE") == std::string("6.1.0-test-amd64"));
  }
}

TEST_CASE("damaged page descriptors and data: the refilter completes and records the damage",
          "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::zlib);
  auto a = KdumpFile::open(in);
  REQUIRE(a.ok());
  const uint64_t bad_desc_pfn = 1002, bad_data_pfn = 1006, good_pfn = 1005;
  REQUIRE(a->in_bitmap2(bad_desc_pfn));
  REQUIRE(a->in_bitmap2(bad_data_pfn));
  // A descriptor pointing past the end of the file.
  PageDesc d{};
  d.offset = 1LL << 40;
  d.size = 100;
  d.flags = kCompressedZlib;
  patch(in, desc_offset_of(*a, bad_desc_pfn), &d, sizeof d);
  // Garbage where a page's zlib stream should be.
  auto good = a->desc(bad_data_pfn);
  REQUIRE(good.ok());
  std::vector<uint8_t> junk((*good)->size, 0xa5);
  patch(in, static_cast<uint64_t>((*good)->offset), junk.data(), junk.size());

  auto out = f.dir.file("out");
  for (unsigned threads : {1u, 2u}) {
    auto stats = refilter(in, out, 31, Compression::lzo, DumpFormat::kdump, 64ULL << 20, threads);
    INFO((stats.ok() ? std::string() : stats.error().message));
    REQUIRE(stats.ok());
    CHECK(has_damage(*stats, bad_desc_pfn, "outside the file"));
    CHECK(has_damage(*stats, bad_data_pfn, "written as zeros"));
    auto b = KdumpFile::open(out);
    REQUIRE(b.ok());
    CHECK_FALSE(b->in_bitmap2(bad_desc_pfn));
    CHECK(b->in_bitmap2(bad_data_pfn));
    std::vector<uint8_t> page(kPs), want(kPs);
    REQUIRE(b->read_page(bad_data_pfn, page.data()).ok());
    CHECK(page == std::vector<uint8_t>(kPs, 0));
    fake_page(good_pfn, want.data());
    REQUIRE(b->read_page(good_pfn, page.data()).ok());
    CHECK(page == want);
  }
}

TEST_CASE("a truncated kdump input: pages whose bytes are gone are left out, the rest is dumped",
          "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::zstd);
  auto a = KdumpFile::open(in);
  REQUIRE(a.ok());
  auto out = f.dir.file("out");

  SECTION("cut in the page data") {
    auto d = a->desc(1500);
    REQUIRE(d.ok());
    REQUIRE(::truncate(in.c_str(), static_cast<off_t>((*d)->offset + 1)) == 0);
    auto stats = refilter(in, out, 1, Compression::none);
    INFO((stats.ok() ? std::string() : stats.error().message));
    REQUIRE(stats.ok());
    CHECK(has_damage(*stats, 1500, "outside the file"));
    auto b = KdumpFile::open(out);
    REQUIRE(b.ok());
    CHECK_FALSE(b->in_bitmap2(1500));
    CHECK_FALSE(b->in_bitmap2(100010));
    CHECK(b->in_bitmap1(1500));
    std::vector<uint8_t> page(kPs), want(kPs);
    REQUIRE(b->in_bitmap2(1497));
    REQUIRE(b->read_page(1497, page.data()).ok());
    fake_page(1497, want.data());
    CHECK(page == want);
  }
  SECTION("cut in the descriptor table") {
    REQUIRE(::truncate(in.c_str(), static_cast<off_t>(desc_offset_of(*a, 1500) + 10)) == 0);
    auto core = VmcoreFile::open(in);
    REQUIRE(core.ok());
    REQUIRE(core->problems().size() == 1);
    CHECK(core->problems()[0].find("truncated") != std::string::npos);
    auto stats = refilter(in, out, 1, Compression::none);
    INFO((stats.ok() ? std::string() : stats.error().message));
    REQUIRE(stats.ok());
    // Every page's bytes came after the descriptors: all are gone.
    CHECK(has_damage(*stats, 1500, "unusable in the input"));
    CHECK(b_dumped_none(out));
    auto b = KdumpFile::open(out);
    REQUIRE(b.ok());
    CHECK_FALSE(b->in_bitmap2(1500));
    CHECK(b->in_bitmap1(1500));
  }
}

TEST_CASE("ELF output from a kdump-compressed input: PT_LOADs from its RAM, pages it holds",
          "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::lzo);
  auto out = f.dir.file("out.elf");
  for (int level : {0, 1}) {
    CAPTURE(level);
    auto stats = refilter(in, out, level, Compression::none, DumpFormat::elf);
    INFO((stats.ok() ? std::string() : stats.error().message));
    REQUIRE(stats.ok());
    auto core = VmcoreFile::open(out);
    REQUIRE(core.ok());
    CHECK_FALSE(core->kdump());
    CHECK(core->problems().empty());
    CHECK(core->notes_blob() == fake_notes());
    CHECK(core->layout().machine == 62);
    for (const auto& seg : core->layout().loads) CHECK(seg.virt_addr == 0);
    auto mem = PhysicalMemory::create(*core, kPs);
    REQUIRE(mem.ok());
    std::vector<uint8_t> want(kPs), got(kPs), zero(kPs, 0);
    uint64_t bad = 0, checked = 0;
    for (uint64_t pfn = 0; pfn < 100016; ++pfn) {
      if (!fake_dumpable(pfn)) continue;
      fake_page(pfn, want.data());
      // Zero pages are left out of the file (level 1, bit 1 from the input's level).
      REQUIRE(mem->read_page(pfn, got.data()).ok());
      bad += got != want;
      ++checked;
    }
    CHECK(checked > 800);
    CHECK(bad == 0);
    // An excluded page in a short run is kept in the file, as zeros here.
    REQUIRE(mem->read_page(250, got.data()).ok());
    CHECK(got == zero);
    CHECK(stats->zero_pages > 0);
  }
}

TEST_CASE("a refilter carries the input's erase information over, after the pages", "[dump][refilter]") {
  FakeDump f;
  auto in = make_input(f, 1, Compression::zstd);
  // Erase information at the end of the input, as makedumpfile --config writes it.
  const std::string erase = "erase jiffies size 8\nerase init_task.comm size 16\n";
  uint64_t at = 0;
  {
    auto fd = kdk::open_fd(in, O_RDWR);
    REQUIRE(fd.ok());
    at = static_cast<uint64_t>(::lseek(fd->get(), 0, SEEK_END));
    REQUIRE(::pwrite(fd->get(), erase.data(), erase.size(), static_cast<off_t>(at)) ==
            static_cast<ssize_t>(erase.size()));
  }
  int64_t off = static_cast<int64_t>(at);
  uint64_t size = erase.size();
  patch(in, 4096 + offsetof(KdumpSubHeader, offset_eraseinfo), &off, 8);
  patch(in, 4096 + offsetof(KdumpSubHeader, size_eraseinfo), &size, 8);
  for (auto format : {DumpFormat::kdump, DumpFormat::flat}) {
    auto out = f.dir.file(format == DumpFormat::flat ? "out.flat" : "out");
    auto stats = refilter(in, out, 31, Compression::lzo, format);
    REQUIRE(stats.ok());
    std::string regular = out;
    if (format == DumpFormat::flat) {
      regular = f.dir.file("rebuilt");
      REQUIRE(run_reassemble(out, regular).ok());
    }
    auto r = KdumpFile::open(regular);
    REQUIRE(r.ok());
    const auto& k = r->sub_header();
    CHECK(k.size_eraseinfo == erase.size());
    CHECK(static_cast<uint64_t>(k.offset_eraseinfo) == stats->file_size - erase.size());
    auto bytes = slurp(regular);
    REQUIRE(bytes.size() == stats->file_size);
    CHECK(std::string(bytes.end() - static_cast<long>(erase.size()), bytes.end()) == erase);
  }
}
