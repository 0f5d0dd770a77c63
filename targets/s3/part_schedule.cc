#include "targets/s3/part_schedule.h"

#include <algorithm>

namespace kdk::targets::s3 {

uint64_t part_size(uint64_t first, uint32_t number) {
  uint64_t size = std::clamp(first, kMinPartSize, kMaxPartSize);
  const uint64_t cap = std::max(size, kPartBudget);
  uint32_t doublings = number == 0 ? 0 : (number - 1) / kPartsPerDoubling;
  for (uint32_t i = 0; i < doublings && size < cap; ++i) size *= 2;
  return std::min(size, cap);
}

uint64_t schedule_capacity(uint64_t first) {
  uint64_t total = 0;
  for (uint32_t block = 0; block < kMaxParts / kPartsPerDoubling; ++block) {
    total += kPartsPerDoubling * part_size(first, block * kPartsPerDoubling + 1);
  }
  return total;
}

}  // namespace kdk::targets::s3
