// Fuzz target: kdump-compressed files on arbitrary bytes, as when reading
// back a damaged or foreign dump and when refiltering one.
//  1. The product's reader as the tests use it (tests/engine/dump/kdump_file.h):
//     headers, bitmaps, page descriptors, decompression; reads the first
//     dumped pages.
//  2. The same bytes as a dump input: VmcoreFile::open (KdumpImage: header
//     checks, bitmap1 runs, bitmap2 rank), PhysicalMemory over its page
//     descriptors, and a whole refilter (dump_vmcore, level 31, zlib) into
//     a memory file: it must finish or fail with an error, never crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/dump/dump.h"
#include "engine/vmcore/physical_memory.h"
#include "tests/engine/dump/kdump_file.h"

namespace {

void read_back(const std::string& path) {
  auto r = kdk::dump::KdumpFile::open(path);
  if (!r) return;
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

void refilter(const std::string& path) {
  auto core = kdk::vmcore::VmcoreFile::open(path);
  if (!core || !core->kdump()) return;
  // Pages through the descriptors, as the kernel model reads them.
  auto mem = kdk::vmcore::PhysicalMemory::create(*core, kdk::dump::vmcore_page_size(*core));
  if (mem) {
    std::vector<uint8_t> page(mem->page_size());
    int read = 0;
    for (const auto& r : mem->ranges()) {
      for (uint64_t pfn = r.start_pfn; pfn < r.end_pfn && read < 16; ++pfn, ++read) {
        (void)mem->read_page(pfn, page.data());
        (void)mem->map_page(pfn);
      }
    }
    uint8_t across[16];
    (void)mem->read(mem->page_size() - 8, across, sizeof across);
  }
  // Keep the whole dump small: a huge max_mapnr costs time, not memory.
  if (core->kdump()->max_mapnr() > (1ULL << 24)) return;
  int out = memfd_create("out", 0);
  if (out < 0) __builtin_trap();
  kdk::dump::DumpOptions o;
  o.dump_level = 31;
  o.compression = kdk::dump::Compression::zlib;
  o.threads = 1;
  o.memory_bytes = 1 << 20;
  o.quiet = true;
  kdk::dump::FileSink sink(out, "out");
  (void)kdk::dump::dump_vmcore(*core, o, sink);
  close(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd_create("kdump", 0);
  if (fd < 0) __builtin_trap();
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  read_back(path);
  refilter(path);
  close(fd);
  return 0;
}
