// Multipart part sizes. S3 allows at most 10,000 parts of 5 MiB to 5 GiB
// (the last may be smaller), and the stream's length is unknown when the
// upload starts; the capture holds one part in memory at a time, so the
// first parts stay small and the size doubles every 1,000 parts, up to
// kPartBudget (64 MiB: the capture kernel has little memory), or the first
// size when the configuration asks for more (part_size): from the default
// 16 MiB, 10,000 parts hold 560 GiB; a dump of a few GiB never holds more
// than the first size.
#pragma once

#include <cstdint>

namespace kdk::targets::s3 {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kMinPartSize = 5 * kMiB;
inline constexpr uint64_t kMaxPartSize = 5 * 1024 * kMiB;
inline constexpr uint32_t kMaxParts = 10000;
inline constexpr uint32_t kPartsPerDoubling = 1000;
inline constexpr uint64_t kPartBudget =
    64 * kMiB;  // the most one part may buffer, unless the first is larger

// The size of part `number` (1-based) when the first is `first` bytes
// (clamped to 5 MiB..5 GiB).
uint64_t part_size(uint64_t first, uint32_t number);

// The bytes 10,000 parts hold with that schedule.
uint64_t schedule_capacity(uint64_t first);

}  // namespace kdk::targets::s3
