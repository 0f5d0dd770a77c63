#include "engine/dump/kdump_writer.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "engine/dump/page_pipeline.h"
#include "engine/dump/progress.h"
#include "engine/dump/ram_filter.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

// Bytes of a cycle's bitmap at its place in the file; the last cycle also
// writes the zero tail that pads the bitmap to whole blocks.
Status write_bitmap_chunk(Sink& sink, uint64_t base, const PfnBitmap& b, const KdumpGeometry& g) {
  uint64_t first = b.start_pfn / 8;
  size_t n = static_cast<size_t>((b.end_pfn - b.start_pfn + 7) / 8);
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(b.words.data());
  if (b.end_pfn < g.max_mapnr) return sink.write_at(base + first, bytes, n);
  std::vector<uint8_t> tail(static_cast<size_t>(g.bitmap_bytes - first), 0);
  std::memcpy(tail.data(), bytes, n);
  return sink.write_at(base + first, tail.data(), tail.size());
}

class DescWriter {
 public:
  DescWriter(Sink& sink, const KdumpGeometry& g) : sink_(sink), g_(g), data_end_(g.data_offset()) {
    descs_.reserve(kDescBufferEntries);
    data_.reserve(kDataBufferBytes);
    data_start_ = data_end_;
  }

  // Appends a page's bytes to the data area; returns its descriptor.
  Result<PageDesc> append_data(const uint8_t* p, uint32_t size, uint32_t flags) {
    PageDesc d{static_cast<int64_t>(data_end_), size, flags, 0};
    if (data_.size() + size > kDataBufferBytes) {
      if (auto s = flush_data(); !s) return s.error();
    }
    data_.insert(data_.end(), p, p + size);
    data_end_ += size;
    return d;
  }

  Status add_desc(const PageDesc& d) {
    if (written_ + descs_.size() >= g_.dumpable) {
      return Error{
          format("more pages to dump than the %llu counted in the first pass (the page filter is not "
                 "deterministic)",
                 static_cast<unsigned long long>(g_.dumpable))};
    }
    descs_.push_back(d);
    if (descs_.size() == kDescBufferEntries) return flush_descs();
    return {};
  }

  Status flush() {
    if (auto s = flush_descs(); !s) return s;
    return flush_data();
  }

  uint64_t descs_written() const { return written_; }
  uint64_t data_end() const { return data_end_; }

 private:
  Status flush_descs() {
    if (descs_.empty()) return {};
    auto s = sink_.write_at(g_.desc_offset() + written_ * sizeof(PageDesc), descs_.data(),
                            descs_.size() * sizeof(PageDesc));
    written_ += descs_.size();
    descs_.clear();
    return s;
  }
  Status flush_data() {
    if (data_.empty()) return {};
    auto s = sink_.write_at(data_start_, data_.data(), data_.size());
    data_start_ += data_.size();
    data_.clear();
    return s;
  }

  Sink& sink_;
  const KdumpGeometry& g_;
  std::vector<PageDesc> descs_;
  std::vector<uint8_t> data_;
  uint64_t written_ = 0;
  uint64_t data_start_;
  uint64_t data_end_;
};

}  // namespace

DiskDumpHeader make_disk_dump_header(const DumpInput& in, const KdumpGeometry& g, Compression c) {
  DiskDumpHeader h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.signature, kKdumpSignature, sizeof h.signature);
  h.header_version = kKdumpHeaderVersion;
  h.utsname = in.utsname;
  // makedumpfile takes the crash time from VMCOREINFO CRASHTIME (seconds only).
  h.timestamp_sec = in.timestamp_sec;
  h.timestamp_usec = in.timestamp_usec;
  h.status = compression_flag(c);
  h.block_size = static_cast<int32_t>(g.block_size);
  h.sub_hdr_size = static_cast<int32_t>(g.sub_hdr_blocks);
  h.bitmap_blocks = static_cast<uint32_t>(2 * g.bitmap_bytes / g.block_size);
  h.max_mapnr = static_cast<uint32_t>(std::min<uint64_t>(g.max_mapnr, UINT_MAX));
  h.nr_cpus = in.nr_cpus;
  return h;
}

KdumpSubHeader make_sub_header(const DumpInput& in, const KdumpGeometry& g, int dump_level) {
  KdumpSubHeader k;
  std::memset(&k, 0, sizeof k);
  k.phys_base = in.phys_base;
  k.dump_level = dump_level;
  k.max_mapnr_64 = g.max_mapnr;
  if (!in.notes.empty()) {
    k.offset_note = static_cast<int64_t>(kDiskDumpHeaderBlocks * g.block_size + sizeof(KdumpSubHeader));
    k.size_note = in.notes.size();
    if (in.vmcoreinfo_size != 0) {
      k.offset_vmcoreinfo = k.offset_note + static_cast<int64_t>(in.vmcoreinfo_offset);
      k.size_vmcoreinfo = in.vmcoreinfo_size;
    }
  }
  return k;
}

Result<DumpStats> write_kdump(const DumpInput& in, PageFilter& filter, const WriteOptions& opt, Sink& sink) {
  const uint64_t ps = in.page_size;
  if (ps < sizeof(DiskDumpHeader) || ps > (1 << 20)) {
    return Error{
        format("page size %llu is unusable as the kdump block size", static_cast<unsigned long long>(ps))};
  }
  const uint64_t max_mapnr = filter.max_pfn();
  if (max_mapnr == 0) return Error{in.path + ": no RAM to dump (no PT_LOAD segments)"};
  MemoryPlan plan = plan_memory(opt.memory_bytes, ps, opt.threads);
  DumpStats stats;
  stats.max_mapnr = max_mapnr;

  KdumpGeometry g = KdumpGeometry::make(ps, max_mapnr, in.notes.size(), 0);
  // Header block and sub header + notes blocks, written whole (zero padded).
  {
    std::vector<uint8_t> head(static_cast<size_t>((kDiskDumpHeaderBlocks + g.sub_hdr_blocks) * ps), 0);
    DiskDumpHeader h = make_disk_dump_header(in, g, opt.compression);
    KdumpSubHeader k = make_sub_header(in, g, opt.dump_level);
    std::memcpy(head.data(), &h, sizeof h);
    std::memcpy(head.data() + ps, &k, sizeof k);
    if (!in.notes.empty()) std::memcpy(head.data() + k.offset_note, in.notes.data(), in.notes.size());
    if (auto s = sink.write_at(0, head.data(), head.size()); !s) return s.error();
  }

  PfnBitmap ram, dumpable;
  // When the whole machine fits in one cycle, the bitmaps of the first pass
  // serve the other two: the filter (the struct page walk) runs once.
  const bool one_cycle = max_mapnr <= plan.cycle_pfns;
  bool filtered = false;
  auto each_cycle = [&](auto&& body) -> Status {
    for (uint64_t c = 0; c < max_mapnr; c += plan.cycle_pfns) {
      uint64_t end = std::min(max_mapnr, c + plan.cycle_pfns);
      if (one_cycle && filtered) {
        if (auto s = body(c, end); !s) return s;
        continue;
      }
      filtered = true;
      if (auto s = filter.filter(c, end, ram, dumpable); !s) {
        return Error{format("page filter for pfns 0x%llx-0x%llx: %s", static_cast<unsigned long long>(c),
                            static_cast<unsigned long long>(end), s.error().message.c_str())};
      }
      if (ram.start_pfn != c || ram.end_pfn != end || dumpable.start_pfn != c || dumpable.end_pfn != end) {
        return Error{"page filter returned bitmaps for the wrong pfn range"};
      }
      if (auto s = body(c, end); !s) return s;
    }
    return {};
  };

  // Pass 1: count, bitmap1.
  uint64_t count = 0;
  if (auto s = each_cycle([&](uint64_t, uint64_t) -> Status {
        count += count_bits(dumpable);
        stats.ram_pages += count_bits(ram);
        return write_bitmap_chunk(sink, g.bitmap1_offset(), ram, g);
      });
      !s) {
    return s.error();
  }
  g.dumpable = count;
  stats.dumpable_pages = count;

  // Pass 2: bitmap2. Zero pages keep their bit (they point at the shared page).
  if (auto s = each_cycle(
          [&](uint64_t, uint64_t) { return write_bitmap_chunk(sink, g.bitmap2_offset(), dumpable, g); });
      !s) {
    return s.error();
  }

  // Pass 3: pages. Its filter calls count the classes again (not with one cycle).
  if (!one_cycle) filter.counts() = FilterCounts{};
  DescWriter out(sink, g);
  const bool exclude_zero = (opt.dump_level & kDumpLevelZero) != 0;
  PageDesc zero_desc{};
  if (exclude_zero) {
    std::vector<uint8_t> zero(ps, 0);
    auto d = out.append_data(zero.data(), static_cast<uint32_t>(ps), 0);
    if (!d) return d.error();
    zero_desc = *d;
  }
  Progress progress(opt.quiet, opt.progress_label);
  uint64_t done = 0;
  auto consume = [&](const PageResult& r) -> Status {
    PageDesc d;
    if (r.zero) {
      d = zero_desc;
      ++stats.zero_pages;
    } else {
      auto a = out.append_data(r.data, r.size, r.flags);
      if (!a) return a.error();
      d = *a;
      ++(r.flags ? stats.compressed_pages : stats.raw_pages);
    }
    if ((++done & 1023) == 0) progress.update(done, count, ps);
    return out.add_desc(d);
  };
  PipelineConfig pc;
  pc.threads = opt.threads;
  pc.batch_pages = plan.batch_pages;
  pc.batches = plan.batches;
  pc.detect_zero = exclude_zero;
  pc.compression = opt.compression;
  auto pipeline = PagePipeline::start(pc, *in.pages, consume);
  if (!pipeline) return pipeline.error();
  auto& pipe = **pipeline;
  if (auto s = each_cycle([&](uint64_t c, uint64_t end) -> Status {
        for (uint64_t w = 0; w < dumpable.words.size(); ++w) {
          uint64_t bits = dumpable.words[w];
          while (bits) {
            uint64_t pfn = c + w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits));
            bits &= bits - 1;
            if (pfn >= end) break;
            if (auto s = pipe.push(pfn); !s) return s;
          }
        }
        return {};
      });
      !s) {
    (void)pipe.finish();
    return s.error();
  }
  if (auto s = pipe.finish(); !s) return s.error();
  if (auto s = out.flush(); !s) return s.error();
  if (out.descs_written() != count) {
    return Error{format("wrote %llu page descriptors, counted %llu (the page filter is not deterministic)",
                        static_cast<unsigned long long>(out.descs_written()),
                        static_cast<unsigned long long>(count))};
  }
  filter.counts().zero = stats.zero_pages;
  filter.counts().dumped = count;
  progress.finish(count, ps);
  stats.file_size = out.data_end();
  if (!in.eraseinfo.empty()) {
    // After the pages, and the sub header pointed at it (written again).
    const uint64_t at = stats.file_size;
    if (auto s = sink.write_at(at, in.eraseinfo.data(), in.eraseinfo.size()); !s) return s.error();
    KdumpSubHeader k = make_sub_header(in, g, opt.dump_level);
    k.offset_eraseinfo = static_cast<int64_t>(at);
    k.size_eraseinfo = in.eraseinfo.size();
    if (auto s = sink.write_at(ps, &k, sizeof k); !s) return s.error();
    stats.file_size += in.eraseinfo.size();
  }
  return stats;
}

}  // namespace kdk::dump
