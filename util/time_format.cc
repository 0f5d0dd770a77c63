#include "util/time_format.h"

#include <time.h>

namespace kdk {

std::string format_utc(int64_t seconds, const char* fmt) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}

}  // namespace kdk
