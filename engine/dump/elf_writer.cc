#include "engine/dump/elf_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/dump/progress.h"
#include "engine/dump/ram_filter.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPtNote = 4;
constexpr uint64_t kNotPaddr = ~0ULL;
constexpr size_t kPhdrSize = 56;
constexpr uint16_t kPnXnum = 0xffff;

// Answers "is this pfn dumped" from per-cycle bitmaps, refiltering when a
// pfn leaves the current cycle; with zero-page exclusion it reads the
// cycle's dumpable pages and clears the all-zero ones.
class DumpableCursor {
 public:
  DumpableCursor(PageFilter& f, uint64_t cycle, uint64_t max_pfn, PageReader* zero_reader, uint64_t ps)
      : f_(f), cycle_(cycle), max_(max_pfn), reader_(zero_reader), scratch_(ps), ps_(ps) {}

  Result<bool> dumpable(uint64_t pfn) {
    if (pfn >= max_) return false;
    if (!loaded_ || pfn < dumpable_.start_pfn || pfn >= dumpable_.end_pfn) {
      if (auto s = load(pfn / cycle_ * cycle_); !s) return s.error();
    }
    return dumpable_.test(pfn);
  }
  uint64_t zero_pages() const { return zero_; }

 private:
  Status load(uint64_t start) {
    uint64_t end = std::min(max_, start + cycle_);
    if (auto s = f_.filter(start, end, ram_, dumpable_); !s) return s;
    loaded_ = true;
    if (!reader_) return {};
    for (uint64_t pfn = start; pfn < end; ++pfn) {
      if (!dumpable_.test(pfn)) continue;
      auto p = reader_->read(pfn, scratch_.data());
      if (!p) continue;  // unreadable: kept, the copy will report it
      const uint8_t* d = *p;
      if (std::all_of(d, d + ps_, [](uint8_t b) { return b == 0; })) {
        dumpable_.clear(pfn);
        ++zero_;
      }
    }
    return {};
  }

  PageFilter& f_;
  uint64_t cycle_, max_;
  PageReader* reader_;
  std::vector<uint8_t> scratch_;
  uint64_t ps_;
  PfnBitmap ram_, dumpable_;
  bool loaded_ = false;
  uint64_t zero_ = 0;
};

struct OutSegment {
  ElfPhdr phdr;
  uint64_t src_offset = 0;  // input file offset of the first byte
  uint64_t src_limit = 0;   // input file offset where that PT_LOAD's file bytes end
  bool no_offset = false;   // p_offset stays 0
};

void put_phdr(uint8_t* p, const ElfPhdr& h) {
  std::memcpy(p, &h.type, 4);
  std::memcpy(p + 4, &h.flags, 4);
  std::memcpy(p + 8, &h.offset, 8);
  std::memcpy(p + 16, &h.vaddr, 8);
  std::memcpy(p + 24, &h.paddr, 8);
  std::memcpy(p + 32, &h.filesz, 8);
  std::memcpy(p + 40, &h.memsz, 8);
  std::memcpy(p + 48, &h.align, 8);
}

// Lays out the output PT_LOADs for one input PT_LOAD, following
// makedumpfile's write_elf_pages_cyclic() so the program headers match.
Status layout_load(const ElfPhdr& in, uint64_t ps, DumpableCursor& cur, uint64_t& file_off,
                   std::vector<OutSegment>& out, uint64_t& dumped) {
  uint64_t pfn_start = in.paddr / ps;
  uint64_t pfn_end = (in.paddr + in.memsz) / ps;
  const uint64_t frac_tail = (in.paddr + in.memsz) % ps;
  uint64_t memsz = 0, filesz = 0, excluded = 0;
  if (in.paddr % ps != 0) {
    // The partial first page is always kept.
    memsz = filesz = ps - in.paddr % ps;
    ++pfn_start;
  }
  if (frac_tail) ++pfn_end;
  ElfPhdr seg = in;
  auto emit = [&](bool last) {
    OutSegment o;
    o.phdr = seg;
    o.phdr.memsz = memsz;
    o.phdr.filesz = filesz;
    // A segment with no bytes in the file gets offset 0, except the last
    // one of an input PT_LOAD (makedumpfile's quirk, kept for equality).
    o.no_offset = !(filesz || last);
    o.phdr.offset = o.no_offset ? 0 : file_off;
    o.src_offset = in.offset + (seg.paddr - in.paddr);
    o.src_limit = in.offset + in.filesz;
    out.push_back(o);
    file_off += filesz;
    seg.paddr += memsz;
    seg.vaddr += memsz;
  };
  for (uint64_t pfn = pfn_start; pfn < pfn_end; ++pfn) {
    const uint64_t step = (pfn == pfn_end - 1 && frac_tail) ? frac_tail : ps;
    auto d = cur.dumpable(pfn);
    if (!d) return d.error();
    if (!*d) {
      ++excluded;
      memsz += step;
      continue;
    }
    ++dumped;
    if (excluded == 0) {
      memsz += step;
      filesz += step;
    } else if (excluded < kElfExcludedRunMin) {
      memsz += step;
      filesz += ps * excluded + step;
      excluded = 0;
    } else {
      emit(false);
      excluded = 0;
      memsz = filesz = ps;
    }
  }
  emit(true);
  return {};
}

Status copy_segment(const DumpInput& in, const OutSegment& s, Sink& sink, std::vector<uint8_t>& buf) {
  uint64_t done = 0;
  while (done < s.phdr.filesz) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), s.phdr.filesz - done));
    uint64_t src = s.src_offset + done;
    // Bytes past the input segment's file data (memsz > filesz) are zero.
    size_t avail = src >= s.src_limit ? 0 : static_cast<size_t>(std::min<uint64_t>(n, s.src_limit - src));
    std::memset(buf.data() + avail, 0, n - avail);
    if (avail) {
      if (auto st = pread_exact(in.fd, buf.data(), avail, static_cast<off_t>(src), in.path); !st) return st;
    }
    if (auto st = sink.write_at(s.phdr.offset + done, buf.data(), n); !st) return st;
    done += n;
  }
  return {};
}

// The same for an input that is not an ELF core: page by page through the
// reader. A page the output excludes but keeps in the file (a short run)
// has its bytes when the input holds it, as from an ELF input; zeros when
// it does not (the input excluded it: nothing else can be written).
Status copy_segment_pages(const OutSegment& s, uint64_t ps, DumpableCursor& cur, PageReader& reader,
                          Sink& sink, std::vector<uint8_t>& buf, std::vector<uint8_t>& scratch) {
  uint64_t done = 0;
  size_t fill = 0;
  const uint64_t first_pfn = s.phdr.paddr / ps;
  while (done < s.phdr.filesz) {
    uint64_t pfn = first_pfn + done / ps;
    auto d = cur.dumpable(pfn);
    if (!d) return d.error();
    if (*d || reader.available(pfn)) {
      auto p = reader.read(pfn, scratch.data());
      if (!p) return p.error();
      std::memcpy(buf.data() + fill, *p, ps);
    } else {
      std::memset(buf.data() + fill, 0, ps);
    }
    fill += ps;
    done += ps;
    if (fill + ps > buf.size() || done >= s.phdr.filesz) {
      if (auto st = sink.write_at(s.phdr.offset + done - fill, buf.data(), fill); !st) return st;
      fill = 0;
    }
  }
  return {};
}

}  // namespace

Result<DumpStats> write_elf(const DumpInput& in, PageFilter& filter, const WriteOptions& opt, Sink& sink) {
  const uint64_t ps = in.page_size;
  DumpStats stats;
  stats.max_mapnr = filter.max_pfn();
  MemoryPlan plan = plan_memory(opt.memory_bytes, ps, 1);
  std::unique_ptr<PageReader> reader;
  if (opt.dump_level & kDumpLevelZero) {
    auto r = in.pages->open_reader();
    if (!r) return r.error();
    reader = std::move(*r);
  }
  DumpableCursor cur(filter, plan.cycle_pfns, filter.max_pfn(), reader.get(), ps);

  const ElfPhdr* note = nullptr;
  size_t loads = 0;
  for (const auto& h : in.phdrs) {
    if (h.type == kPtNote && !note) note = &h;
    if (h.type == kPtLoad) ++loads;
  }
  if (!note) return Error{in.path + ": no PT_NOTE program header to copy"};
  if (loads == 0) return Error{in.path + ": no PT_LOAD program headers"};

  // Lay out every output PT_LOAD first: their number fixes where the note
  // and the data go. File offsets are relative to the data start here.
  std::vector<OutSegment> segs;
  uint64_t rel = 0, dumped = 0;
  for (const auto& h : in.phdrs) {
    if (h.type != kPtLoad || h.paddr == kNotPaddr) continue;
    if (auto s = layout_load(h, ps, cur, rel, segs, dumped); !s) return s.error();
  }
  if (segs.size() + 1 >= kPnXnum) {
    return Error{
        format("%zu program headers need ELF extended numbering, which is not supported", segs.size() + 1)};
  }
  // Made-up program headers know no virtual addresses: 0 stays 0.
  if (in.synthetic_elf) {
    for (auto& o : segs) o.phdr.vaddr = 0;
  }
  stats.elf_segments = segs.size();
  stats.dumpable_pages = dumped;
  stats.zero_pages = cur.zero_pages();

  const uint64_t phnum = segs.size() + 1;
  const uint64_t note_off = 64 + phnum * kPhdrSize;
  const uint64_t data_off = note_off + in.notes.size();
  std::vector<uint8_t> head(static_cast<size_t>(data_off), 0);
  std::memcpy(head.data(), in.ehdr.data(), 64);
  uint64_t phoff = 64;
  uint16_t phnum16 = static_cast<uint16_t>(phnum);
  std::memcpy(head.data() + 32, &phoff, 8);
  std::memcpy(head.data() + 56, &phnum16, 2);
  ElfPhdr n = *note;
  n.offset = note_off;
  n.filesz = in.notes.size();
  put_phdr(head.data() + 64, n);
  for (size_t i = 0; i < segs.size(); ++i) {
    if (!segs[i].no_offset) segs[i].phdr.offset += data_off;
    put_phdr(head.data() + 64 + (i + 1) * kPhdrSize, segs[i].phdr);
  }
  if (!in.notes.empty()) std::memcpy(head.data() + note_off, in.notes.data(), in.notes.size());
  if (auto s = sink.write_at(0, head.data(), head.size()); !s) return s.error();

  Progress progress(opt.quiet, opt.progress_label);
  std::vector<uint8_t> buf(kDataBufferBytes);
  uint64_t copied = 0, total = rel;
  std::unique_ptr<PageReader> page_reader;
  std::vector<uint8_t> scratch;
  if (in.synthetic_elf) {
    auto r = in.pages->open_reader();
    if (!r) return r.error();
    page_reader = std::move(*r);
    scratch.resize(ps);
  }
  for (const auto& s : segs) {
    if (s.phdr.filesz == 0) continue;
    if (in.synthetic_elf) {
      if (s.phdr.paddr % ps != 0 || s.phdr.filesz % ps != 0) {
        return Error{format("%s: segment at 0x%llx is not made of whole pages", in.path.c_str(),
                            static_cast<unsigned long long>(s.phdr.paddr))};
      }
      if (auto st = copy_segment_pages(s, ps, cur, *page_reader, sink, buf, scratch); !st) return st.error();
    } else if (auto st = copy_segment(in, s, sink, buf); !st) {
      return st.error();
    }
    copied += s.phdr.filesz;
    progress.update(copied / ps, total / ps, ps);
  }
  progress.finish(total / ps, ps);
  stats.file_size = data_off + rel;
  filter.counts().zero = stats.zero_pages;
  filter.counts().dumped = dumped;
  return stats;
}

}  // namespace kdk::dump
