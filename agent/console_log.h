// The capture's console log, kept in memory as it is printed (bounded) so
// that a copy, kdumpkit.log, can be saved next to the dump: what the capture
// did is then known without a serial console.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

namespace kdk::agent {

class ConsoleLog {
 public:
  explicit ConsoleLog(size_t max_bytes) : max_bytes_(max_bytes) {}
  // Keeps `line`; the oldest lines go when over the bound (the end of a
  // capture says more than its start about what went wrong).
  void append(const char* line, size_t size);
  // The lines kept, preceded by a note of how many were dropped.
  std::string text() const;

 private:
  size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  size_t dropped_ = 0;
};

// The process's console log: every log line from the first call on.
ConsoleLog& console_log();
void keep_console_log();

}  // namespace kdk::agent
