// The capture kernel's clock can be unset (no RTC driver) or far off; TLS
// certificates then look expired or not yet valid. The crashed kernel's
// CRASHTIME, seconds before, is the best time there is.
#pragma once

#include <cstdint>
#include <optional>

namespace kdk::agent {

// The time to set, when `now` is more than an hour away from the crash
// time plus how long the capture kernel has been up; nullopt when `now` is
// plausible or the crash time is unknown (0).
std::optional<int64_t> corrected_time(int64_t now, int64_t crash_time, double capture_uptime);

}  // namespace kdk::agent
