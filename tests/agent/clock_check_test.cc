#include <catch2/catch.hpp>

#include "agent/clock_check.h"

using kdk::agent::corrected_time;

TEST_CASE("the clock is set from CRASHTIME only when it is far off", "[agent][clock]") {
  const int64_t crash = 1795000000;  // 2026-11-18
  CHECK_FALSE(corrected_time(crash + 12, crash, 10.5).has_value());
  CHECK_FALSE(corrected_time(crash - 1800, crash, 3).has_value());  // a slow RTC, within the hour
  // An unset clock (1970) and one a year ahead are both replaced by the
  // crash time plus the capture kernel's uptime.
  CHECK(corrected_time(5, crash, 7.9) == crash + 7);
  CHECK(corrected_time(crash + 365 * 86400, crash, 2) == crash + 2);
  CHECK_FALSE(corrected_time(5, 0, 7).has_value());  // no CRASHTIME: nothing better to set
}
