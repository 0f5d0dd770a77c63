#include "engine/dump/refilter.h"

#include <algorithm>
#include <bit>

#include "util/format.h"

namespace kdk::dump {

namespace {
constexpr size_t kDescWindow = 4096;
// Input bitmap2 read per piece (64 KiB), not per cycle: no third cycle-sized bitmap.
constexpr uint64_t kPiecePfns = 1 << 19;
constexpr size_t kMaxDamage = 256;
using ull = unsigned long long;
}  // namespace

int refilter_level(const vmcore::KdumpImage& image, int requested) {
  int old = image.sub_header().dump_level;
  if (old < 0 || old > kDumpLevelMax) old &= kDumpLevelMax;
  return requested | old;
}

RefilterPageFilter::RefilterPageFilter(std::unique_ptr<PageFilter> inner,
                                       std::shared_ptr<const vmcore::KdumpImage> image)
    : inner_(std::move(inner)), image_(std::move(image)) {
  descs_.resize(kDescWindow);
}

const std::vector<Damage>& RefilterPageFilter::damage() const {
  merged_ = inner_->damage();
  merged_.insert(merged_.end(), own_.begin(), own_.end());
  if (own_more_ != 0) {
    merged_.push_back({0, 0,
                       format("and %llu more pages with unusable descriptors in the input: not dumped",
                              static_cast<ull>(own_more_))});
  }
  return merged_;
}

void RefilterPageFilter::note(uint64_t pfn, const std::string& why) {
  if (pfn < checked_end_) return;  // seen in an earlier pass over this cycle
  // Bad pages with no good one between make one entry, named by the first one's reason.
  if (!own_.empty() && bad_run_) {
    own_.back().end_pfn = pfn + 1;
    return;
  }
  std::string what = "unusable in the input (first: " + why + "): not dumped";
  if (own_.size() >= kMaxDamage) {
    ++own_more_;
    return;
  }
  own_.push_back({pfn, pfn + 1, std::move(what)});
  bad_run_ = true;
}

Status RefilterPageFilter::filter(uint64_t start, uint64_t end, PfnBitmap& ram, PfnBitmap& dumpable) {
  if (auto s = inner_->filter(start, end, ram, dumpable); !s) return s;
  const vmcore::KdumpImage& k = *image_;
  // bitmap1 is the input's (copy_1st_bitmap_from_memory), bit for bit.
  if (auto s = k.read_bitmap(1, start, end, ram.words.data()); !s) return s;
  if (start >= k.max_mapnr()) {
    std::fill(dumpable.words.begin(), dumpable.words.end(), 0);
    return {};
  }
  // The descriptor number of the cycle's first page held by the input.
  uint64_t index = k.rank_before_block(start);
  const uint64_t block = start / k.rank_stride() * k.rank_stride();
  if (block < start) {
    PfnBitmap head;
    head.reset(block, start);
    if (auto s = k.read_bitmap(2, block, start, head.words.data()); !s) return s;
    for (uint64_t w : head.words) index += static_cast<uint64_t>(std::popcount(w));
  }
  // The input's bitmap2, a piece at a time: what it did not dump cannot be
  // dumped, and what it did is dumped only with a usable descriptor.
  window_count_ = 0;
  for (uint64_t piece = start; piece < end; piece += kPiecePfns) {
    const uint64_t piece_end = std::min(end, piece + kPiecePfns);
    held_.reset(piece, piece_end);
    if (auto s = k.read_bitmap(2, piece, piece_end, held_.words.data()); !s) return s;
    const size_t base = static_cast<size_t>((piece - start) / 64);
    for (size_t w = 0; w < held_.words.size(); ++w) {
      dumpable.words[base + w] &= held_.words[w] & ram.words[base + w];
    }
    if (auto s = check_descs(held_, dumpable, index); !s) return s;
  }
  checked_end_ = std::max(checked_end_, end);
  return {};
}

Status RefilterPageFilter::check_descs(const PfnBitmap& held, PfnBitmap& dumpable, uint64_t& index) {
  const vmcore::KdumpImage& k = *image_;
  for (size_t w = 0; w < held.words.size(); ++w) {
    uint64_t bits = held.words[w];
    while (bits) {
      const uint64_t pfn = held.start_pfn + w * 64 + static_cast<uint64_t>(std::countr_zero(bits));
      bits &= bits - 1;
      const uint64_t i = index++;
      if (!dumpable.test(pfn)) continue;
      if (i >= k.readable_descs()) {
        note(pfn, format("no page descriptor in the input (truncated at %llu bytes)",
                         static_cast<ull>(k.file_size())));
        dumpable.clear(pfn);
        continue;
      }
      if (i < window_first_ || i >= window_first_ + window_count_) {
        window_count_ = std::min<uint64_t>(kDescWindow, k.readable_descs() - i);
        window_first_ = i;
        if (auto s = k.read_descs(i, static_cast<size_t>(window_count_), descs_.data()); !s) return s;
      }
      if (std::string why = k.check_desc(descs_[static_cast<size_t>(i - window_first_)], i); !why.empty()) {
        note(pfn, why);
        dumpable.clear(pfn);
      } else if (pfn >= checked_end_) {
        bad_run_ = false;
      }
    }
  }
  return {};
}

}  // namespace kdk::dump
