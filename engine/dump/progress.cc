#include "engine/dump/progress.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace kdk::dump {

namespace {

double now_seconds() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

Progress::Progress(bool quiet, const char* label)
    : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1), label_(label), start_(now_seconds()), last_(start_) {}

int Progress::render(char* buf, int cap, const char* label, uint64_t done, uint64_t total, uint64_t page_size,
                     double elapsed) {
  double pct = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  double mb = static_cast<double>(done) * static_cast<double>(page_size) / 1e6;
  double rate = elapsed > 0 ? mb / elapsed : 0;
  if (done >= total) {
    return std::snprintf(buf, static_cast<size_t>(cap), "kdumpkit: %s: 100.0%% %.0f MB in %.1fs (%.0f MB/s)",
                         label, mb, elapsed, rate);
  }
  double eta = done ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0;
  return std::snprintf(buf, static_cast<size_t>(cap), "kdumpkit: %s: %5.1f%% %.0f MB/s eta %.0fs", label, pct,
                       rate, eta);
}

void Progress::print(uint64_t done, uint64_t total, uint64_t page_size, bool last) {
  char line[256];
  int n = render(line, sizeof line - 2, label_, done, total, page_size, now_seconds() - start_);
  if (n < 0) return;
  if (n > static_cast<int>(sizeof line) - 3) n = sizeof line - 3;
  char out[260];
  int m = tty_ ? std::snprintf(out, sizeof out, "\r%s\033[K%s", line, last ? "\n" : "")
               : std::snprintf(out, sizeof out, "%s\n", line);
  if (m > 0) {
    ssize_t ignored = ::write(STDERR_FILENO, out, static_cast<size_t>(m));
    (void)ignored;
  }
}

void Progress::update(uint64_t done, uint64_t total, uint64_t page_size) {
  if (quiet_) return;
  double t = now_seconds();
  if (t - last_ < 1.0) return;
  last_ = t;
  print(done, total, page_size, false);
}

void Progress::finish(uint64_t total, uint64_t page_size) {
  if (quiet_) return;
  print(total, total, page_size, true);
}

}  // namespace kdk::dump
