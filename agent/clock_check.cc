#include "agent/clock_check.h"

namespace kdk::agent {

std::optional<int64_t> corrected_time(int64_t now, int64_t crash_time, double capture_uptime) {
  constexpr int64_t kTolerance = 3600;
  if (crash_time <= 0) return std::nullopt;
  const int64_t expected = crash_time + static_cast<int64_t>(capture_uptime < 0 ? 0 : capture_uptime);
  const int64_t off = now > expected ? now - expected : expected - now;
  if (off <= kTolerance) return std::nullopt;
  return expected;
}

}  // namespace kdk::agent
