// Fuzz target: the kdump-compressed reader (KdumpReader: headers, bitmaps,
// page descriptors, decompression) on arbitrary bytes, as when reading back
// a damaged or foreign dump. Opens the input, then looks up and reads the
// first dumped pages and the VMCOREINFO of the sub header.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/dump/kdump_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("kdump", 0);
  if (fd < 0) __builtin_trap();
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }
  auto r = kdk::dump::KdumpReader::open("/proc/self/fd/" + std::to_string(fd));
  if (r) {
    (void)r->vmcoreinfo();
    std::vector<uint8_t> page(r->block_size());
    int read = 0;
    // The first few dumped pfns (bounded: max_mapnr can be huge).
    for (uint64_t pfn = 0; pfn < r->max_mapnr() && pfn < (1 << 16) && read < 16; ++pfn) {
      if (!r->in_bitmap2(pfn)) continue;
      (void)r->in_bitmap1(pfn);
      (void)r->read_page(pfn, page.data());
      ++read;
    }
    // And past the end.
    (void)r->desc(r->max_mapnr());
  }
  close(fd);
  return 0;
}
