// Refiltering a kdump-compressed file (makedumpfile given one as its
// input): the new level's classification of the crashed kernel's pages,
// read through the input's own pages, intersected with what the input
// holds. As makedumpfile does, the output's bitmap1 is the input's, its
// bitmap2 starts from the input's bitmap2 (a page the input did not dump
// cannot be dumped), and the dump level is the old one OR the new one.
//
// Beyond makedumpfile: a page whose descriptor in the input is unusable
// (data outside the file, an impossible size, an unknown compression, a
// descriptor table cut short) is left out of the output and recorded as
// damage instead of failing the dump.
#pragma once

#include <memory>
#include <vector>

#include "engine/format/page_filter.h"
#include "engine/vmcore/kdump_image.h"

namespace kdk::dump {

class RefilterPageFilter final : public PageFilter {
 public:
  // `inner` classifies at the new level (the struct-page classifier, or the
  // keep-everything filter when the kernel could not be understood).
  RefilterPageFilter(std::unique_ptr<PageFilter> inner, std::shared_ptr<const vmcore::KdumpImage> image);

  Status filter(uint64_t start_pfn, uint64_t end_pfn, PfnBitmap& ram, PfnBitmap& dumpable) override;
  uint64_t max_pfn() const override { return inner_->max_pfn(); }
  FilterCounts& counts() override { return inner_->counts(); }
  const std::vector<Damage>& damage() const override;

 private:
  // Clears dumpable pfns whose input descriptor is unusable.
  // `index` is the descriptor number of held's first set bit; advanced past its last.
  Status check_descs(const PfnBitmap& held, PfnBitmap& dumpable, uint64_t& index);
  void note(uint64_t pfn, const std::string& why);

  std::unique_ptr<PageFilter> inner_;
  std::shared_ptr<const vmcore::KdumpImage> image_;
  PfnBitmap held_;               // the input's bitmap2, one piece of a cycle
  std::vector<PageDesc> descs_;  // a window of input descriptors
  uint64_t window_first_ = 0, window_count_ = 0;
  uint64_t checked_end_ = 0;  // damage is reported once per pfn
  std::vector<Damage> own_;   // bad descriptors
  uint64_t own_more_ = 0;     // ... past the cap
  bool bad_run_ = false;      // the last page checked was bad
  mutable std::vector<Damage> merged_;
};

// The level a refilter writes at: the input's OR the requested one.
int refilter_level(const vmcore::KdumpImage& image, int requested);

}  // namespace kdk::dump
