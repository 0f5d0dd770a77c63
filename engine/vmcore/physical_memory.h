// The crashed machine's physical memory as the dump input holds it: page
// frame numbers of RAM, and their bytes through a PageBackend — an ELF
// core's PT_LOAD segments (mmap windows >= 4 MiB, pread when mmap fails, as
// it can on /proc/vmcore of old kernels), or a kdump-compressed file's page
// descriptors (engine/vmcore/kdump_pages.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/vmcore/page_backend.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::vmcore {

class PhysicalMemory {
 public:
  // `window_bytes` is rounded up to a multiple of the page size; 0 = pread
  // only (ELF input; a kdump input ignores it).
  static Result<PhysicalMemory> create(const VmcoreFile& core, uint64_t page_size,
                                       uint64_t window_bytes = 4ULL << 20);
  PhysicalMemory(PhysicalMemory&&) noexcept = default;
  PhysicalMemory& operator=(PhysicalMemory&&) noexcept = default;
  PhysicalMemory(const PhysicalMemory&) = delete;
  ~PhysicalMemory() = default;

  uint64_t page_size() const { return page_size_; }
  // One past the highest pfn any PT_LOAD covers (its memsz); for a kdump
  // input, one past the last RAM pfn of its bitmap1.
  uint64_t max_pfn() const { return max_pfn_; }

  // A pfn is RAM when a PT_LOAD segment covers it (makedumpfile's bitmap1).
  bool is_ram(uint64_t pfn) const;
  // RAM the input holds the bytes of (a kdump input dumped only some).
  bool available(uint64_t pfn);

  // Copies one page. Bytes a segment covers in memory but not in the file
  // (memsz > filesz) read as zero. A pfn outside every segment is an error;
  // so is a pfn a kdump input did not dump.
  Status read_page(uint64_t pfn, uint8_t* out);

  // Reads `len` bytes of physical memory at `phys`, possibly across pages.
  // Unlike read_page, bytes a truncated file lacks are an error here: kernel
  // structures must not be read as zeros that were never in memory.
  Status read(uint64_t phys, void* out, size_t len);

  // Pointer to page `pfn` inside the current mmap window (or the backend's
  // decompressed page), valid until the next call; nullptr when not
  // available that way (then use read_page).
  const uint8_t* map_page(uint64_t pfn);

  using Range = PhysRange;
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  PhysicalMemory() = default;
  const Range* find(uint64_t pfn) const;

  std::string path_;
  uint64_t page_size_ = 4096;
  uint64_t max_pfn_ = 0;
  std::vector<Range> ranges_;  // sorted by start_pfn
  std::unique_ptr<PageBackend> backend_;
  mutable size_t last_range_ = 0;
};

}  // namespace kdk::vmcore
