// Fuzz target: the flattened-stream reassembler (`kdumpkit reassemble`,
// makedumpfile -F input) on arbitrary bytes: a stream cut short, records
// with absurd offsets or sizes, a missing end marker. Must fail cleanly.
//
// Input and output are memfds. Records may name any offset below 2^40
// bytes; the output is sparse, so that costs no memory, but a record's
// data is read from the input, so the work is bounded by the input size.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "engine/dump/sink.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int in = memfd_create("flat-in", 0);
  int out = memfd_create("flat-out", 0);
  if (in < 0 || out < 0) __builtin_trap();
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(in, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }
  lseek(in, 0, SEEK_SET);
  (void)kdk::dump::reassemble_flat(in, "fuzz-in", out, "fuzz-out");
  close(in);
  close(out);
  return 0;
}
