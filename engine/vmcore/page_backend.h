// Where PhysicalMemory's page bytes come from: an ELF core's PT_LOAD file
// offsets (mmap windows, pread), or a kdump-compressed file's page
// descriptors (decompressed one page at a time). PhysicalMemory owns the
// pfn ranges (which pfns are RAM) and hands the backend the range a pfn
// lies in; the backend only fetches bytes.
#pragma once

#include <cstdint>

#include "util/result.h"

namespace kdk::vmcore {

// [start, end) pfns of RAM, and where an ELF core holds their bytes.
struct PhysRange {
  uint64_t start_pfn, end_pfn;  // [start, end) covered by memsz
  uint64_t file_offset;         // of start_pfn's first byte (ELF)
  uint64_t file_bytes;          // bytes present in the file (ELF filesz)
  uint64_t phys_start;          // exact physical start (may be unaligned)
  bool truncated = false;       // the file ends before p_filesz: bytes past file_bytes are missing
};

class PageBackend {
 public:
  virtual ~PageBackend() = default;
  // Pointer to the page's bytes, valid until the next call; nullptr when
  // the backend cannot give one cheaply or at all (read_page then copies
  // or says why).
  virtual const uint8_t* map_page(uint64_t pfn, const PhysRange& r) = 0;
  // Copies the page into `out`. What the machine had but the file lacks
  // reads as zero (ELF: past p_filesz) or is an error (kdump: excluded).
  virtual Status read_page(uint64_t pfn, const PhysRange& r, uint8_t* out) = 0;
  // For reads of kernel structures: an error when [phys, phys + len) (within
  // one page of range r) is not what the machine held but a stand-in
  // (ELF: the zeros of a truncated file).
  virtual Status check_present(uint64_t phys, size_t len, const PhysRange& r) = 0;
  // Whether the input holds the page at all (a kdump input: bitmap2), without
  // reading it. ELF inputs hold every page of their segments.
  virtual bool available(uint64_t pfn) {
    (void)pfn;
    return true;
  }
};

}  // namespace kdk::vmcore
