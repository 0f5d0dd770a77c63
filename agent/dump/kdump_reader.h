// Reads kdump-compressed files (ours or makedumpfile's): headers, both
// bitmaps, page lookup through bitmap2 and page_desc, decompression. Used
// to check what we wrote, by tests, and as a dump input when refiltering.
//
// The bitmaps are held in memory (max_mapnr / 4 bytes: 64 KiB per 2 GiB of
// dumped RAM... 32 MiB for 1 TiB) together with a rank index (one count per
// 4096 pfns) so a lookup is O(1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/dump/kdump_layout.h"
#include "util/fd.h"
#include "util/result.h"

namespace kdk::dump {

class KdumpReader {
 public:
  static Result<KdumpReader> open(const std::string& path);

  const DiskDumpHeader& header() const { return header_; }
  const KdumpSubHeader& sub_header() const { return sub_; }
  uint64_t block_size() const { return block_size_; }
  uint64_t max_mapnr() const { return max_mapnr_; }
  const std::vector<uint8_t>& notes() const { return notes_; }  // sub header's note blob
  std::string vmcoreinfo() const;

  bool in_bitmap1(uint64_t pfn) const { return test(bitmap1_, pfn); }
  bool in_bitmap2(uint64_t pfn) const { return test(bitmap2_, pfn); }
  uint64_t dumpable_count() const { return dumpable_; }

  // The descriptor of a dumped pfn; nullopt when bitmap2 excludes it.
  Result<std::optional<PageDesc>> desc(uint64_t pfn) const;
  // The page's bytes (page_size); an excluded page is an error naming the pfn.
  Status read_page(uint64_t pfn, uint8_t* out) const;

 private:
  static bool test(const std::vector<uint8_t>& b, uint64_t pfn) {
    return (pfn >> 3) < b.size() && ((b[pfn >> 3] >> (pfn & 7)) & 1);
  }

  std::string path_;
  UniqueFd fd_;
  uint64_t file_size_ = 0;
  DiskDumpHeader header_{};
  KdumpSubHeader sub_{};
  uint64_t block_size_ = 0;
  uint64_t max_mapnr_ = 0;
  std::vector<uint8_t> notes_;
  std::vector<uint8_t> bitmap1_, bitmap2_;
  std::vector<uint64_t> rank_;  // set bits of bitmap2 before pfn i * 4096
  uint64_t dumpable_ = 0;
  uint64_t desc_offset_ = 0;
};

}  // namespace kdk::dump
