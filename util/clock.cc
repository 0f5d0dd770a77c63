#include "util/clock.h"

#include <time.h>

#include <cerrno>

namespace kdk {

Clock Clock::system() {
  return Clock{
      [] {
        struct timespec ts {};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return std::chrono::milliseconds(static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000);
      },
      [](std::chrono::milliseconds d) {
        if (d.count() <= 0) return;
        struct timespec ts {};
        ts.tv_sec = static_cast<time_t>(d.count() / 1000);
        ts.tv_nsec = static_cast<long>((d.count() % 1000) * 1000000);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
      }};
}

}  // namespace kdk
