#include "engine/dump/damage_log.h"

#include <algorithm>

#include "util/format.h"

namespace kdk::dump {

void DamageLog::add(uint64_t pfn, std::string what) {
  std::lock_guard lock(mu_);
  if (list_.size() >= kMaxEntries) {
    ++more_;
    return;
  }
  list_.push_back({pfn, pfn + 1, std::move(what)});
}

std::vector<Damage> DamageLog::take() {
  std::lock_guard lock(mu_);
  std::vector<Damage> out = std::move(list_);
  list_.clear();
  std::sort(out.begin(), out.end(),
            [](const Damage& a, const Damage& b) { return a.start_pfn < b.start_pfn; });
  if (more_ != 0) {
    out.push_back(
        {0, 0, format("and %llu more pages that could not be read", static_cast<unsigned long long>(more_))});
    more_ = 0;
  }
  return out;
}

}  // namespace kdk::dump
