#include "agent/space_estimate.h"

#include <algorithm>
#include <bit>

#include "engine/dump/dump.h"
#include "engine/dump/dump_input.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/format.h"

namespace kdk::agent {

namespace {

constexpr uint64_t kCyclePfns = uint64_t{1} << 20;
// Filesystem overhead, alignment and the headers not counted exactly.
constexpr uint64_t kSlackBytes = 1 << 20;

uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

std::string mib(uint64_t bytes) { return format("%.1f MiB", static_cast<double>(bytes) / (1 << 20)); }

}  // namespace

DumpSize dump_size(const DumpShape& s, int level) {
  DumpSize out;
  out.level = level;
  out.dumpable_pages = s.dumpable_pages;
  const uint64_t data = s.dumpable_pages * s.page_size;
  if (s.format == config::DumpFormat::kRaw) {
    out.upper_bytes = out.expected_bytes = s.vmcore_bytes;
    return out;
  }
  uint64_t overhead = kSlackBytes + round_up(s.notes_bytes, s.page_size);
  if (s.format == config::DumpFormat::kElf) {
    overhead += 64 + 56 * (s.runs + 2);
    out.upper_bytes = out.expected_bytes = data + overhead;
    return out;
  }
  // kdump: two header blocks, two bitmaps of max_pfn bits, a 24-byte
  // descriptor per dumped page, and the pages.
  overhead += 2 * s.page_size + 2 * round_up((s.max_pfn + 7) / 8, s.page_size) + 24 * s.dumpable_pages;
  out.upper_bytes = data + overhead;
  out.expected_bytes = (s.compressed ? data / kExpectedRatio : data) + overhead;
  return out;
}

Result<DumpSize> estimate_dump_size(const vmcore::VmcoreFile& core, config::DumpFormat format, int level,
                                    bool compressed) {
  DumpShape shape;
  shape.format = format;
  shape.compressed = compressed;
  shape.vmcore_bytes = core.size();
  if (format == config::DumpFormat::kRaw) return dump_size(shape, level);
  dump::VmcorePageSource pages(core, dump::vmcore_page_size(core));
  auto in = dump::dump_input_from_vmcore(core, pages);
  if (!in) return in.error();
  dump::KernelModel model;
  auto filter = dump::make_dump_filter(core, *in, level, model);
  if (!filter) return filter.error();
  shape.page_size = in->page_size;
  shape.max_pfn = (*filter)->max_pfn();
  shape.notes_bytes = in->notes.size();
  dump::PfnBitmap ram, dumpable;
  for (uint64_t start = 0; start < shape.max_pfn; start += kCyclePfns) {
    uint64_t end = std::min(shape.max_pfn, start + kCyclePfns);
    if (auto s = (*filter)->filter(start, end, ram, dumpable); !s) return s.error();
    uint64_t carry = 0;  // the previous word's top bit: a run continuing across words
    for (uint64_t w : dumpable.words) {
      shape.dumpable_pages += static_cast<uint64_t>(std::popcount(w));
      shape.runs += static_cast<uint64_t>(std::popcount(w & ~((w << 1) | carry)));
      carry = w >> 63;
    }
  }
  return dump_size(shape, level);
}

std::vector<int> fallback_levels(int level) {
  std::vector<int> out;
  for (int l : {level, level | 16, level | 24, 31}) {
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

SpaceDecision decide_dump_level(uint64_t available, int level,
                                const std::function<Result<DumpSize>(int)>& estimate) {
  SpaceDecision d;
  std::string tried;
  for (int l : fallback_levels(level)) {
    auto size = estimate(l);
    if (!size) {
      // Not knowing is no reason to save nothing: try to write, ENOSPC is handled.
      d.write_dump = true;
      d.size.level = l;
      d.reason = format("no size estimate at dump level %d (%s); writing it anyway", l,
                        size.error().message.c_str());
      return d;
    }
    d.size = *size;
    if (size->expected_bytes <= available) {
      d.write_dump = true;
      d.reason =
          format("dump level %d: expected %s (at most %s) of %s available", l,
                 mib(size->expected_bytes).c_str(), mib(size->upper_bytes).c_str(), mib(available).c_str());
      if (l != level)
        d.reason =
            "too little space for dump level " + std::to_string(level) + " (" + tried + "); " + d.reason;
      return d;
    }
    if (!tried.empty()) tried += ", ";
    tried += format("level %d needs about %s", l, mib(size->expected_bytes).c_str());
  }
  d.reason = "no dump: " + tried + "; " + mib(available) + " available";
  return d;
}

}  // namespace kdk::agent
