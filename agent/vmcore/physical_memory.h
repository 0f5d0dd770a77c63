// The crashed machine's physical memory as the vmcore holds it: page frame
// numbers mapped to file offsets through the PT_LOAD segments, read through
// mmap windows (>= 4 MiB) with pread as the fallback when mmap fails (as it
// can on /proc/vmcore of old kernels).
#pragma once

#include <cstdint>
#include <vector>

#include "agent/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::vmcore {

class PhysicalMemory {
 public:
  // `window_bytes` is rounded up to a multiple of the page size; 0 = pread only.
  static Result<PhysicalMemory> create(const VmcoreFile& core, uint64_t page_size,
                                       uint64_t window_bytes = 4ULL << 20);
  PhysicalMemory(PhysicalMemory&&) noexcept;
  PhysicalMemory& operator=(PhysicalMemory&&) noexcept;
  PhysicalMemory(const PhysicalMemory&) = delete;
  ~PhysicalMemory();

  uint64_t page_size() const { return page_size_; }
  // One past the highest pfn any PT_LOAD covers (its memsz).
  uint64_t max_pfn() const { return max_pfn_; }

  // A pfn is RAM when a PT_LOAD segment covers it (makedumpfile's bitmap1).
  bool is_ram(uint64_t pfn) const;

  // Copies one page. Bytes a segment covers in memory but not in the file
  // (memsz > filesz) read as zero. A pfn outside every segment is an error.
  Status read_page(uint64_t pfn, uint8_t* out);

  // Reads `len` bytes of physical memory at `phys`, possibly across pages.
  // Unlike read_page, bytes a truncated file lacks are an error here: kernel
  // structures must not be read as zeros that were never in memory.
  Status read(uint64_t phys, void* out, size_t len);

  // Pointer to page `pfn` inside the current mmap window, valid until the
  // next call; nullptr when not mappable (then use read_page).
  const uint8_t* map_page(uint64_t pfn);

  struct Range {
    uint64_t start_pfn, end_pfn;  // [start, end) covered by memsz
    uint64_t file_offset;         // of start_pfn's first byte
    uint64_t file_bytes;          // bytes present in the file (filesz)
    uint64_t phys_start;          // exact physical start (may be unaligned)
    bool truncated = false;       // the file ends before p_filesz: bytes past file_bytes are missing
  };
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  PhysicalMemory() = default;
  const Range* find(uint64_t pfn) const;
  void unmap();

  int fd_ = -1;  // not owned: the VmcoreFile outlives this
  std::string path_;
  uint64_t file_size_ = 0;
  uint64_t page_size_ = 4096;
  uint64_t max_pfn_ = 0;
  std::vector<Range> ranges_;  // sorted by start_pfn
  uint64_t window_bytes_ = 0;
  const uint8_t* window_ = nullptr;
  uint64_t window_offset_ = 0;
  uint64_t window_len_ = 0;
  bool mmap_failed_ = false;
  mutable size_t last_range_ = 0;
};

}  // namespace kdk::vmcore
