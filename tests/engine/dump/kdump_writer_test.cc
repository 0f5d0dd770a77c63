#include <catch2/catch.hpp>
#include <cstring>

#include "engine/dump/page_pipeline.h"
#include "fake_vmcore.h"
#include "tests/engine/dump/kdump_file.h"

using namespace kdk::dump;
using namespace kdk::dump::test;

TEST_CASE("kdump header and sub header fields", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 1;
  o.compression = Compression::lzo;
  auto path = f.write(FakeDump::Kind::kdump, o, "out.kdump");
  auto r = KdumpFile::open(path);
  REQUIRE(r.ok());
  const auto& h = r->header();
  CHECK(std::memcmp(h.signature, "KDUMP   ", 8) == 0);
  CHECK(h.header_version == 6);
  CHECK(std::string(h.utsname.sysname) == "Linux");
  CHECK(std::string(h.utsname.release) == "6.1.0-test-amd64");
  CHECK(std::string(h.utsname.machine) == "x86_64");
  CHECK(h.timestamp_sec == 1700000000);
  CHECK(h.timestamp_usec == 0);
  CHECK(h.status == kCompressedLzo);
  CHECK(h.block_size == 4096);
  // 104 + notes (2 * (12+8+336) + 12+12+len) fits one block.
  CHECK(h.sub_hdr_size == 1);
  CHECK(h.max_mapnr == 100016);
  // ceil(ceil(100016/8)/4096) = 4 blocks per bitmap.
  CHECK(h.bitmap_blocks == 8);
  CHECK(h.nr_cpus == 2);
  CHECK(h.total_ram_blocks == 0);

  const auto& k = r->sub_header();
  CHECK(k.phys_base == 123456);
  CHECK(k.dump_level == 1);
  CHECK(k.split == 0);
  CHECK(k.max_mapnr_64 == 100016);
  CHECK(k.offset_note == 4096 + 104);
  CHECK(k.size_note == fake_notes().size());
  CHECK(r->notes() == fake_notes());
  CHECK(r->vmcoreinfo() == vmcoreinfo_text());
  CHECK(k.offset_eraseinfo == 0);
  CHECK(k.size_eraseinfo == 0);
}

TEST_CASE("kdump bitmaps follow the layout and the filter", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 1;
  auto r = KdumpFile::open(f.write(FakeDump::Kind::kdump, o, "out.kdump"));
  REQUIRE(r.ok());
  uint64_t bad1 = 0, bad2 = 0, dumped = 0;
  for (uint64_t pfn = 0; pfn < r->max_mapnr(); ++pfn) {
    bad1 += r->in_bitmap1(pfn) != fake_ram(pfn);
    // Zero pages keep their bitmap2 bit in the kdump format.
    bad2 += r->in_bitmap2(pfn) != fake_dumpable(pfn);
    dumped += fake_dumpable(pfn);
  }
  CHECK(bad1 == 0);
  CHECK(bad2 == 0);
  CHECK(r->dumpable_count() == dumped);
  // The partial last page of LOAD0 (pfn 600) is not RAM, as in makedumpfile.
  CHECK_FALSE(r->in_bitmap1(600));
  // The no-data tail of LOAD1 is RAM but not dumped.
  CHECK(r->in_bitmap1(1850));
  CHECK_FALSE(r->in_bitmap2(1850));
}

TEST_CASE("kdump descriptors: shared zero page, raw fallback, compressed pages", "[dump]") {
  for (auto c : {Compression::zstd, Compression::zlib, Compression::lzo, Compression::none}) {
    for (int level : {0, 1}) {
      CAPTURE(compression_name(c), level);
      FakeDump f;
      WriteOptions o;
      o.dump_level = level;
      o.compression = c;
      o.threads = 2;
      DumpStats stats;
      auto path = f.write(FakeDump::Kind::kdump, o, "out.kdump", false, &stats);
      auto r = KdumpFile::open(path);
      REQUIRE(r.ok());
      KdumpGeometry g = KdumpGeometry::make(kPs, 100016, fake_notes().size(), r->dumpable_count());
      std::vector<uint8_t> want(kPs), got(kPs);
      uint64_t zero = 0, raw = 0, packed = 0, mismatched = 0;
      for (uint64_t pfn = 0; pfn < r->max_mapnr(); ++pfn) {
        if (!fake_dumpable(pfn)) continue;
        auto d = r->desc(pfn);
        REQUIRE(d.ok());
        REQUIRE(d->has_value());
        const PageDesc& pd = **d;
        CHECK(pd.page_flags == 0);
        if (level == 1 && pfn % 7 == 0) {
          ++zero;
          CHECK(pd.offset == static_cast<int64_t>(g.data_offset()));
          CHECK(pd.size == kPs);
          CHECK(pd.flags == 0);
        } else if (pd.flags == 0) {
          ++raw;
          CHECK(pd.size == kPs);
          CHECK(pd.offset > static_cast<int64_t>(g.data_offset()) - (level == 0));
        } else {
          ++packed;
          CHECK(pd.flags == compression_flag(c));
          CHECK(pd.size < kPs);
        }
        fake_page(pfn, want.data());
        REQUIRE(r->read_page(pfn, got.data()).ok());
        mismatched += want != got;
      }
      CHECK(mismatched == 0);
      CHECK(zero == stats.zero_pages);
      CHECK(raw == stats.raw_pages);
      CHECK(packed == stats.compressed_pages);
      if (c == Compression::none) {
        CHECK(packed == 0);
      } else {
        // Random pages do not shrink and are stored raw; text pages compress.
        CHECK(raw > 0);
        CHECK(packed > 0);
      }
      // Pages are back to back after the descriptors (and the zero page).
      uint64_t expect_size = g.data_offset() + (level == 1 ? kPs : 0);
      expect_size += raw * kPs;
      CHECK(stats.file_size >= expect_size);
      CHECK(slurp(path).size() == stats.file_size);
    }
  }
}

TEST_CASE("kdump output is the same at any thread count and memory budget", "[dump]") {
  FakeDump f;
  for (auto c : {Compression::zstd, Compression::lzo}) {
    WriteOptions o;
    o.dump_level = 1;
    o.compression = c;
    o.threads = 1;
    auto base = slurp(f.write(FakeDump::Kind::kdump, o, "base"));
    auto base_flat = slurp(f.write(FakeDump::Kind::kdump, o, "base.flat", true));
    for (unsigned threads : {2u, 4u}) {
      for (uint64_t budget : {uint64_t{1}, uint64_t{64} << 20}) {
        CAPTURE(compression_name(c), threads, budget);
        o.threads = threads;
        o.memory_bytes = budget;
        CHECK(slurp(f.write(FakeDump::Kind::kdump, o, "other")) == base);
        CHECK(slurp(f.write(FakeDump::Kind::kdump, o, "other.flat", true)) == base_flat);
      }
    }
  }
}

TEST_CASE("a tiny budget works in several cycles", "[dump]") {
  FakeDump f;
  FakeFilter filter(f.in.phdrs, f.in.max_mapnr);
  WriteOptions o;
  o.memory_bytes = 1;  // the floor: one bitmap block (32768 pfns) per cycle
  o.dump_level = 0;
  o.threads = 3;
  auto fd = kdk::open_fd(f.dir.file("tiny"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  FileSink sink(fd->get(), "tiny");
  auto r = write_kdump(f.in, filter, o, sink);
  REQUIRE(r.ok());
  // 100016 pfns in 32768-pfn cycles: 4 cycles, 3 passes.
  CHECK(filter.calls == 12);
}

namespace {

// Pages by pfn % 5: uniform 0xcc, uniform 0xff, zero, text, 0xcc but one byte.
class PatternPages final : public PageSource {
 public:
  uint64_t page_size() const override { return 4096; }
  kdk::Result<std::unique_ptr<PageReader>> open_reader() override {
    return std::unique_ptr<PageReader>(new Reader);
  }
  static void fill(uint64_t pfn, uint8_t* out) {
    static const uint8_t fills[] = {0xcc, 0xff, 0x00};
    if (pfn % 5 < 3) {
      std::memset(out, fills[pfn % 5], 4096);
    } else if (pfn % 5 == 3) {
      for (size_t i = 0; i < 4096; ++i) out[i] = static_cast<uint8_t>("struct page "[i % 12] + pfn % 3);
    } else {
      std::memset(out, 0xcc, 4096);
      out[4095 - pfn % 4096] = 0xcd;
    }
  }

 private:
  struct Reader final : PageReader {
    kdk::Result<const uint8_t*> read(uint64_t pfn, uint8_t* scratch) override {
      fill(pfn, scratch);
      return static_cast<const uint8_t*>(scratch);
    }
  };
};

}  // namespace

TEST_CASE("the pipeline stores uniform pages as the compressor does, at any thread count", "[dump]") {
  PatternPages pages;
  for (auto c : {Compression::zstd, Compression::zlib, Compression::lzo, Compression::none}) {
    for (bool detect_zero : {false, true}) {
      for (unsigned threads : {1u, 3u}) {
        CAPTURE(compression_name(c), detect_zero, threads);
        auto compressor = make_compressor(c);
        REQUIRE(compressor.ok());
        std::vector<uint8_t> page(4096), out((*compressor)->max_output(4096) + 4096);
        uint64_t next = 0;
        size_t mismatches = 0;
        PipelineConfig pc;
        pc.threads = threads;
        pc.batch_pages = 4;
        pc.batches = 3;
        pc.detect_zero = detect_zero;
        pc.compression = c;
        auto pipe = PagePipeline::start(pc, pages, [&](const PageResult& r) -> kdk::Status {
          // Results come in push order, each as compressing the page alone gives.
          PatternPages::fill(next, page.data());
          bool zero = detect_zero && next % 5 == 2;
          size_t n = zero ? 0 : (*compressor)->compress(page.data(), 4096, out.data());
          const uint8_t* want = n ? out.data() : page.data();
          size_t want_size = zero ? 0 : n ? n : 4096;
          if (r.pfn != next || r.zero != zero || r.size != want_size ||
              r.flags != (n ? compression_flag(c) : 0) ||
              (want_size && std::memcmp(r.data, want, want_size) != 0)) {
            ++mismatches;
          }
          ++next;
          return {};
        });
        REQUIRE(pipe.ok());
        for (uint64_t pfn = 0; pfn < 200; ++pfn) REQUIRE((*pipe)->push(pfn).ok());
        REQUIRE((*pipe)->finish().ok());
        CHECK(next == 200);
        CHECK(mismatches == 0);
      }
    }
  }
}
