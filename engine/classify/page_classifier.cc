#include "engine/classify/page_classifier.h"

#include <algorithm>
#include <bit>

#include "engine/kernel/sparse_mem.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::classify {

namespace {

// Exclusions that run on past a cycle and still matter for the counts; more
// only happens with garbage orders, and then only the counts are approximate.
constexpr size_t kMaxPending = 64;
// Walk states remembered at cycle boundaries (for writers that revisit cycles).
constexpr size_t kMaxCarries = 4096;

std::vector<PfnRange> merge(std::vector<PfnRange> v) {
  std::sort(v.begin(), v.end(), [](const PfnRange& a, const PfnRange& b) { return a.first < b.first; });
  std::vector<PfnRange> out;
  for (const auto& r : v) {
    if (r.first >= r.end) continue;
    if (!out.empty() && r.first <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

void set_range(dump::PfnBitmap& b, uint64_t first, uint64_t end, bool value) {
  first = std::max(first, b.start_pfn);
  end = std::min(end, b.end_pfn);
  if (first >= end) return;
  uint64_t i = first - b.start_pfn, n = end - first;
  while (n > 0) {
    uint64_t bit = i & 63;
    uint64_t take = std::min<uint64_t>(64 - bit, n);
    uint64_t mask = take == 64 ? ~0ULL : ((1ULL << take) - 1) << bit;
    if (value) {
      b.words[i >> 6] |= mask;
    } else {
      b.words[i >> 6] &= ~mask;
    }
    i += take;
    n -= take;
  }
}

uint64_t popcount(const dump::PfnBitmap& b) {
  uint64_t n = 0;
  for (uint64_t w : b.words) n += static_cast<uint64_t>(std::popcount(w));
  return n;
}

// First range whose end is above pfn.
const PfnRange* range_after(const std::vector<PfnRange>& v, uint64_t pfn) {
  auto it =
      std::upper_bound(v.begin(), v.end(), pfn, [](uint64_t p, const PfnRange& r) { return p < r.end; });
  return it == v.end() ? nullptr : &*it;
}

}  // namespace

RamLayout RamLayout::from_loads(const std::vector<vmcore::LoadSegment>& loads, uint64_t page_size) {
  RamLayout l;
  std::vector<PfnRange> ram, classified, nodata, missing;
  for (const auto& seg : loads) {
    if (seg.mem_size == 0) continue;
    uint64_t end_paddr = seg.phys_addr + seg.mem_size;
    ram.push_back({seg.phys_addr / page_size, end_paddr / page_size});
    // A pfn is looked at when its first byte is in the file part.
    uint64_t file_end = seg.phys_addr + std::min(seg.file_size, seg.mem_size);
    classified.push_back(
        {(seg.phys_addr + page_size - 1) / page_size, (file_end + page_size - 1) / page_size});
    l.max_pfn = std::max(l.max_pfn, (end_paddr + page_size - 1) / page_size);
    uint64_t nodata_first = (file_end + page_size - 1) / page_size;
    uint64_t nodata_end = (end_paddr + page_size - 1) / page_size;
    nodata.push_back({nodata_first, nodata_end});
    if (seg.missing_bytes != 0) {
      uint64_t promised = seg.phys_addr + std::min(seg.file_size + seg.missing_bytes, seg.mem_size);
      missing.push_back({nodata_first, std::min(nodata_end, (promised + page_size - 1) / page_size)});
    }
  }
  l.ram = merge(std::move(ram));
  l.classified = merge(std::move(classified));
  // A pfn with data in any segment (overlapping headers) has data.
  for (auto& r : merge(std::move(nodata))) {
    for (uint64_t p = r.first; p < r.end;) {
      const PfnRange* c = range_after(l.classified, p);
      uint64_t stop = c ? std::min(r.end, std::max(p, c->first)) : r.end;
      if (stop > p) l.nodata.push_back({p, stop});
      if (!c || c->first >= r.end) break;
      p = c->end;
    }
  }
  // What a truncated segment lost but another PT_LOAD still holds (the
  // kernel text's copy, first in the file) is not missing.
  for (const auto& r : merge(std::move(missing))) {
    for (const PfnRange* n = range_after(l.nodata, r.first); n && n->first < r.end; n = range_after(l.nodata, n->end)) {
      l.missing.push_back({std::max(r.first, n->first), std::min(r.end, n->end)});
      if (n->end >= r.end) break;
    }
  }
  return l;
}

PageClassifier::PageClassifier(RamLayout ram, std::unique_ptr<kernel::StructPageSource> source,
                               std::string source_problem, int dump_level, uint64_t max_pfn,
                               size_t buffer_bytes)
    : ram_(std::move(ram)),
      source_(std::move(source)),
      source_problem_(std::move(source_problem)),
      level_(dump_level),
      max_pfn_(max_pfn) {
  if (source_) {
    rules_ = std::make_unique<PageRules>(source_->layout(), level_);
    buffer_pages_ = std::max<size_t>(2, buffer_bytes / source_->layout().size);
    buffer_.resize(buffer_pages_ * source_->layout().size);
    bad_.resize(buffer_pages_);
    // Unknown means keep, said once per dump and recorded over all of RAM.
    for (const auto& u : rules_->unknown()) {
      std::string what = "VMCOREINFO lacks " + u.missing + ": " + u.kept + " are kept";
      log::warn_once(what.c_str());
      if (!ram_.ram.empty()) damage_.push_back({ram_.ram.front().first, ram_.ram.back().end, what});
    }
  }
}

void PageClassifier::count(dump::FilterCounts& c, PageClass cls, uint64_t n) {
  switch (cls) {
    case PageClass::kFree:
      c.free += n;
      break;
    case PageClass::kCache:
      c.cache += n;
      break;
    case PageClass::kCachePrivate:
      c.cache_private += n;
      break;
    case PageClass::kUser:
      c.user += n;
      break;
    case PageClass::kHwpoison:
      c.hwpoison += n;
      break;
    case PageClass::kOffline:
      c.offline += n;
      break;
    default:
      break;
  }
}

void PageClassifier::note_damage(uint64_t first, uint64_t end, const std::string& what, const Output* out) {
  if (!out || first >= end) return;
  damaged_in_cycle_.push_back({first, end});
  if (!out->record_damage) return;
  // Each damaged pfn is reported once even though the writer filters every
  // cycle twice: report only what lies above everything reported so far.
  uint64_t high = damage_reported_end_;
  if (end <= high) return;
  first = std::max(first, high);
  damage_reported_end_ = end;
  if (damage_beyond_.empty() && !damage_.empty() && damage_.back().end_pfn == first &&
      damage_.back().what == what) {
    damage_.back().end_pfn = end;
    return;
  }
  record({first, end, what});
}

void PageClassifier::record(dump::Damage d) {
  if (damage_.size() < kMaxDamageRanges) {
    damage_.push_back(std::move(d));
    return;
  }
  // The cause is what comes before the first ':' (the rest names addresses).
  DamageTotal& t = damage_beyond_[d.what.substr(0, d.what.find(':'))];
  if (t.ranges == 0) t.first_pfn = d.start_pfn;
  t.first_pfn = std::min(t.first_pfn, d.start_pfn);
  t.end_pfn = std::max(t.end_pfn, d.end_pfn);
  ++t.ranges;
  t.pages += d.end_pfn - d.start_pfn;
}

const std::vector<dump::Damage>& PageClassifier::damage() const {
  if (damage_beyond_.empty()) return damage_;
  damage_report_ = damage_;
  for (const auto& [cause, t] : damage_beyond_) {
    damage_report_.push_back(
        {t.first_pfn, t.end_pfn,
         format("%s: %llu more damaged ranges (%llu pages) past the first %zu, not listed one by one",
                cause.c_str(), static_cast<unsigned long long>(t.ranges),
                static_cast<unsigned long long>(t.pages), kMaxDamageRanges)});
  }
  return damage_report_;
}

void PageClassifier::exclude(uint64_t first, uint64_t end, PageClass cls, uint64_t cycle_start,
                             uint64_t cycle_end, const Output* out) {
  if (!out) return;
  uint64_t lo = std::max(first, cycle_start), hi = std::min(end, cycle_end);
  if (lo >= hi) return;
  set_range(*out->dumpable, lo, hi, false);
  // Counted like makedumpfile: every pfn of the exclusion, RAM or not.
  count(*out->counts, cls, hi - lo);
}

void PageClassifier::walk_chunk(uint64_t from, uint64_t to, uint64_t chunk_end, uint64_t cycle_end,
                                Carry& carry, const Output* out) {
  const uint32_t size = source_->layout().size;
  uint64_t buf_first = 0, buf_end = 0;  // struct pages in buffer_
  // Reads per vmemmap page when a bulk read fails, to keep the damage small.
  const uint64_t group = std::max<uint64_t>(1, 4096 / size);
  std::string read_error;
  uint64_t bad_first = 0, bad_end = 0;
  auto flush_bad = [&] {
    note_damage(bad_first, bad_end, "struct page unreadable: " + read_error, out);
    bad_first = bad_end = 0;
  };

  uint64_t pfn = from;
  while (pfn < to) {
    const PfnRange* r = range_after(ram_.classified, pfn);
    if (!r || r->first >= to) {
      pfn = to;
      break;
    }
    pfn = std::max(pfn, r->first);
    // Need pfn and, within the chunk, pfn + 1 (a head's first tail).
    bool want_next = pfn + 1 < chunk_end;
    if (pfn < buf_first || pfn >= buf_end || (want_next && pfn + 1 >= buf_end)) {
      buf_first = pfn;
      buf_end = std::min<uint64_t>(pfn + buffer_pages_, chunk_end);
      std::fill(bad_.begin(), bad_.end(), 0);
      if (auto s = source_->read(buf_first, buf_end - buf_first, buffer_.data()); !s) {
        for (uint64_t g = buf_first; g < buf_end;) {
          uint64_t g_end = std::min(buf_end, (g / group + 1) * group);
          if (auto gs = source_->read(g, g_end - g, buffer_.data() + (g - buf_first) * size); !gs) {
            if (read_error.empty()) read_error = gs.error().message;
            std::fill(bad_.begin() + static_cast<long>(g - buf_first),
                      bad_.begin() + static_cast<long>(g_end - buf_first), 1);
          }
          g = g_end;
        }
      }
    }
    uint64_t i = pfn - buf_first;
    if (bad_[i]) {
      if (bad_end != pfn) {
        if (bad_end != 0) flush_bad();
        bad_first = pfn;
      }
      bad_end = pfn + 1;
      ++pfn;
      continue;
    }
    const uint8_t* page = buffer_.data() + i * size;
    const uint8_t* next = (pfn + 1 < buf_end && !bad_[i + 1]) ? page + size : nullptr;
    PageDecision d = rules_->decide(pfn, page, next);
    if (d.cls == PageClass::kBadFreeOrder) {
      // A buddy page of an order the kernel cannot have: garbage where a
      // struct page should be. Kept (as makedumpfile does), and recorded.
      if (bad_end != 0) flush_bad();
      note_damage(pfn, pfn + 1,
                  "implausible struct page (free page of an impossible or misaligned order): kept", out);
    }
    if (d.cls == PageClass::kBadTail) {
      if (bad_end != 0) flush_bad();
      note_damage(pfn, pfn + 1, "implausible struct page (compound_head is no struct page address): kept",
                  out);
    }
    if (!d.excluded()) {
      ++pfn;
      continue;
    }
    uint64_t end = pfn + d.pages;
    exclude(pfn, end, d.cls, pfn, cycle_end, out);
    if (end > cycle_end) {
      carry.excluded_end = std::max(carry.excluded_end, end);
      if (carry.pending.size() < kMaxPending) carry.pending.push_back({end, d.cls});
    }
    pfn = end;
  }
  if (bad_end != 0) flush_bad();
  carry.resume = pfn;
}

PageClassifier::Carry PageClassifier::walk(uint64_t start, uint64_t end, Carry carry, const Output* out) {
  // Exclusions begun before this cycle.
  if (out && carry.excluded_end > start) {
    set_range(*out->dumpable, start, std::min(carry.excluded_end, end), false);
    for (const auto& p : carry.pending) {
      if (p.end > start) count(*out->counts, p.cls, std::min(p.end, end) - start);
    }
  }
  std::vector<Pending> still;
  for (const auto& p : carry.pending) {
    if (p.end > end) still.push_back(p);
  }
  carry.pending = std::move(still);
  if (carry.excluded_end <= end) carry.excluded_end = 0;

  uint64_t chunk = source_->chunk_pages();
  uint64_t pfn = std::max(start, carry.resume);
  std::string why;
  while (pfn < end) {
    uint64_t chunk_end = std::min(max_pfn_, (pfn / chunk + 1) * chunk);
    if (chunk_end <= pfn) break;
    uint64_t to = std::min(chunk_end, end);
    if (!source_->has_mem_map(pfn, &why)) {
      if (!why.empty()) {
        // Kept; report only the part that is RAM.
        for (const PfnRange* r = range_after(ram_.classified, pfn); r && r->first < to;
             r = range_after(ram_.classified, r->end)) {
          note_damage(std::max(pfn, r->first), std::min(to, r->end), why, out);
          if (r->end >= to) break;
        }
      }
      pfn = chunk_end;
      continue;
    }
    walk_chunk(pfn, to, chunk_end, end, carry, out);
    pfn = carry.resume;
    // A jump past the chunk's end does not carry into the next chunk: its
    // walk starts at its first pfn (the pages stay excluded, though).
    if (pfn > chunk_end) pfn = chunk_end;
  }
  carry.resume = pfn;
  return carry;
}

PageClassifier::Carry PageClassifier::carry_at(uint64_t pfn) {
  if (pfn == 0) return {};
  if (auto it = carries_.find(pfn); it != carries_.end()) return it->second;
  // Out of order: walk (without output) from the closest known state below.
  uint64_t from = 0;
  Carry c;
  auto it = carries_.upper_bound(pfn);
  if (it != carries_.begin()) {
    --it;
    from = it->first;
    c = it->second;
  }
  c = walk(from, pfn, std::move(c), nullptr);
  return c;
}

Status PageClassifier::filter(uint64_t start_pfn, uint64_t end_pfn, dump::PfnBitmap& ram,
                              dump::PfnBitmap& dumpable) {
  if (start_pfn > end_pfn) {
    return Error{format("filter: empty pfn range 0x%llx..0x%llx", static_cast<unsigned long long>(start_pfn),
                        static_cast<unsigned long long>(end_pfn))};
  }
  ram.reset(start_pfn, end_pfn);
  dumpable.reset(start_pfn, end_pfn);
  for (const PfnRange* r = range_after(ram_.ram, start_pfn); r && r->first < end_pfn;
       r = range_after(ram_.ram, r->end)) {
    set_range(ram, r->first, r->end, true);
    if (r->end >= end_pfn) break;
  }
  dumpable.words = ram.words;
  counts_.ram += popcount(ram);

  damaged_in_cycle_.clear();
  Output out{&dumpable, &counts_, true};
  if (!source_) {
    if (!ram_.ram.empty()) note_damage(ram_.ram.front().first, ram_.ram.back().end, source_problem_, &out);
  } else if (rules_->needs_struct_pages()) {
    Carry c = carry_at(start_pfn);
    c = walk(start_pfn, end_pfn, std::move(c), &out);
    if (carries_.size() >= kMaxCarries) carries_.erase(carries_.begin());
    carries_[end_pfn] = std::move(c);
  }
  // What could not be read is kept, whatever a neighbour's exclusion said.
  for (const auto& d : damaged_in_cycle_) {
    uint64_t lo = std::max(d.first, start_pfn), hi = std::min(d.end, end_pfn);
    for (uint64_t p = lo; p < hi; ++p) {
      if (ram.test(p)) dumpable.set(p);
    }
  }
  // No data in the file, nothing to dump, kept or not (a truncated file's
  // lost part is recorded once, by make_page_filter).
  for (const PfnRange* r = range_after(ram_.nodata, start_pfn); r && r->first < end_pfn;
       r = range_after(ram_.nodata, r->end)) {
    set_range(dumpable, r->first, r->end, false);
    if (r->end >= end_pfn) break;
  }
  counts_.dumped += popcount(dumpable);
  return {};
}

Result<std::unique_ptr<PageClassifier>> make_page_filter(const vmcore::VmcoreFile& core,
                                                         vmcore::PhysicalMemory& phys,
                                                         kernel::KernelMemory& mem, int dump_level) {
  if (dump_level < 0 || dump_level > kMaxDumpLevel) {
    return Error{format("dump level %d is not in 0..%d", dump_level, kMaxDumpLevel)};
  }
  RamLayout ram = RamLayout::from_loads(core.layout().loads, phys.page_size());
  uint64_t max_pfn = ram.max_pfn;
  // A kdump-compressed input (refiltering) keeps its own max_mapnr, which
  // may lie past its last RAM page; makedumpfile lowers it the same way.
  if (core.kdump()) max_pfn = core.kdump()->max_mapnr();
  std::unique_ptr<kernel::StructPageSource> source;
  std::string problem;
  auto layout = kernel::PageLayout::from_vmcoreinfo(core.info());
  if (!layout) {
    problem = "struct page layout unknown, pages kept: " + layout.error().message;
  } else {
    auto map = kernel::SparseMemMap::load(mem, core.info(), max_pfn);
    if (!map) {
      problem = "memory sections unreadable, pages kept: " + map.error().message;
    } else {
      if (uint64_t end = map->mem_map_end_pfn(max_pfn); end != 0) max_pfn = end;
      for (const auto& p : map->problems()) log::warn("%s", p.c_str());
      source = std::make_unique<kernel::SparseMemPages>(mem, std::move(*map), *layout);
    }
  }
  if (!problem.empty()) log::warn("%s", problem.c_str());
  std::vector<PfnRange> missing = ram.missing;
  auto filter = std::make_unique<PageClassifier>(std::move(ram), std::move(source), std::move(problem),
                                                 dump_level, max_pfn);
  // What is wrong with the file itself (a damaged note, a truncated file)
  // goes on record even when the pages could be classified.
  for (const auto& p : core.problems()) filter->add_damage({0, 0, p});
  // Pages a truncated file lost are RAM but not dumped: a reader of the dump
  // then says "excluded" instead of showing zeros the machine never held.
  for (const auto& r : missing) {
    filter->add_damage({r.first, r.end,
                        format("missing from the vmcore (truncated: the file ends at byte %llu): not dumped",
                               static_cast<unsigned long long>(core.size()))});
  }
  return filter;
}

}  // namespace kdk::classify
