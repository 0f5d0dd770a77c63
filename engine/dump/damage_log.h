// Damage found while pages are being written (by several reader threads):
// collected under a lock, bounded in size, handed back sorted by pfn so the
// report does not depend on which thread saw what first.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "engine/format/page_filter.h"

namespace kdk::dump {

class DamageLog {
 public:
  static constexpr size_t kMaxEntries = 256;

  void add(uint64_t pfn, std::string what);
  // Sorted by pfn; past kMaxEntries one last entry counts the rest.
  std::vector<Damage> take();

 private:
  std::mutex mu_;
  std::vector<Damage> list_;
  uint64_t more_ = 0;
};

}  // namespace kdk::dump
