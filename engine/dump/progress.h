// Progress of a dump on stderr: percent, MB/s of memory processed, ETA,
// about once a second. On a terminal the line is rewritten in place; on a
// console or log (not a tty) each update is its own line.
#pragma once

#include <cstdint>

namespace kdk::dump {

class Progress {
 public:
  // `quiet` silences everything; `label` names the phase ("writing vmcore").
  Progress(bool quiet, const char* label);
  // `done` of `total` pages; prints when a second has passed since the last line.
  void update(uint64_t done, uint64_t total, uint64_t page_size);
  // Prints the final 100% line (with the elapsed time).
  void finish(uint64_t total, uint64_t page_size);

  // The formatting, separate for tests: elapsed seconds as given.
  static int render(char* buf, int cap, const char* label, uint64_t done, uint64_t total, uint64_t page_size,
                    double elapsed);

 private:
  void print(uint64_t done, uint64_t total, uint64_t page_size, bool last);

  bool quiet_;
  bool tty_;
  const char* label_;
  double start_ = 0;
  double last_ = 0;
};

}  // namespace kdk::dump
