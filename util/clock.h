// Time, injected: whatever waits, retries or keeps a deadline takes a Clock,
// so that it can be tested without sleeping (a fake clock advances when
// asked to sleep).
#pragma once

#include <chrono>
#include <functional>

namespace kdk {

struct Clock {
  std::function<std::chrono::milliseconds()> now;  // monotonic
  std::function<void(std::chrono::milliseconds)> sleep;
  // CLOCK_MONOTONIC and nanosleep.
  static Clock system();
};

}  // namespace kdk
