// The hardware watchdog (/dev/watchdog), when the capture kernel has one: fed
// by PID 1 while the capture job makes progress, so that a job stuck in the
// kernel (a disk that never answers, a driver wedged in D state) resets the
// machine even if PID 1 itself could not end it. Closed with the magic 'V'
// on a clean finish, so that it does not fire during the final action.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "util/fd.h"
#include "util/result.h"

namespace kdk::agent {

// Whether to keep feeding: progress (any change of a monotonic measure of
// the job's work) seen within the last `stall` — time comes in as a
// parameter so this is testable without sleeping.
class ProgressMonitor {
 public:
  explicit ProgressMonitor(std::chrono::seconds stall) : stall_(stall) {}
  // Records the current measure at `now`; returns whether the job counts as alive.
  bool alive(std::chrono::milliseconds now, uint64_t measure);

 private:
  std::chrono::seconds stall_;
  bool seen_ = false;
  uint64_t last_measure_ = 0;
  std::chrono::milliseconds last_change_{0};
};

class Watchdog {
 public:
  // Opens `path` (which starts the watchdog) and asks for `timeout_s`;
  // an error when it is absent or cannot be opened.
  static Result<Watchdog> open(const std::string& path, int timeout_s);
  int timeout_s() const { return timeout_s_; }
  void feed();
  // The magic close: 'V', then close, which stops the watchdog (unless the
  // driver was built with nowayout, which no magic close can stop).
  Status stop();

 private:
  UniqueFd fd_;
  int timeout_s_ = 0;
};

// The job's I/O so far (rchar + wchar of /proc/<pid>/io, all its threads), or 0.
uint64_t process_io_bytes(int pid);

}  // namespace kdk::agent
