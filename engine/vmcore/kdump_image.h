// A kdump-compressed file (makedumpfile's "KDUMP   " format) opened as a
// dump input, for refiltering: what its headers say, where RAM is (bitmap1
// runs), and how to find a dumped page's descriptor (bitmap2 rank) without
// holding either bitmap in memory.
//
// Memory: the RAM runs (capped: a corrupt bitmap1 cannot make them grow
// without bound) and one 8-byte count of bitmap2 bits per bitmap block
// (block_size * 8 pfns: 64 KiB for 1 TiB of dumped RAM with 4 KiB pages).
// Bitmap bytes are read on demand, a block or a cycle at a time, by the
// callers (KdumpPages keeps a block; the refilter reads a cycle's worth).
//
// Immutable after open() and safe to share between threads: every read is
// a pread on the shared descriptor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/format/kdump_layout.h"
#include "util/result.h"

namespace kdk::vmcore {

// [first, end) pfns whose bitmap1 bits are set.
struct PfnRun {
  uint64_t first = 0, end = 0;
};

class KdumpImage {
 public:
  // `fd` stays owned by the caller and must outlive the image. Damage that
  // does not stop reading (VMCOREINFO offsets that miss the note blob, a
  // descriptor table cut short by a truncated file, bitmap2 bits outside
  // bitmap1, too many RAM runs) is appended to `problems`, one line each.
  static Result<std::shared_ptr<const KdumpImage>> open(int fd, const std::string& path, uint64_t file_size,
                                                        std::vector<std::string>& problems);

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  uint64_t file_size() const { return file_size_; }
  const dump::DiskDumpHeader& header() const { return header_; }
  const dump::KdumpSubHeader& sub_header() const { return sub_; }
  uint64_t block_size() const { return block_size_; }  // = the page size
  uint64_t max_mapnr() const { return max_mapnr_; }
  uint64_t bitmap_bytes() const { return bitmap_bytes_; }  // one bitmap, whole blocks
  uint64_t bitmap1_offset() const { return bitmap1_offset_; }
  uint64_t bitmap2_offset() const { return bitmap1_offset_ + bitmap_bytes_; }
  uint64_t desc_offset() const { return bitmap1_offset_ + 2 * bitmap_bytes_; }
  uint64_t dumpable() const { return dumpable_; }  // bitmap2 bits below max_mapnr
  // Descriptors that lie wholly inside the file (all of them unless truncated).
  uint64_t readable_descs() const { return readable_descs_; }

  // The sub header's ELF notes (NT_PRSTATUS per CPU, VMCOREINFO, ...).
  const std::vector<uint8_t>& notes() const { return notes_; }
  // The VMCOREINFO text inside notes() where the sub header places it:
  // offset and size (size 0: none, or offsets that miss the blob; then
  // VmcoreFile finds the note itself).
  uint64_t vmcoreinfo_offset() const { return vmcoreinfo_offset_; }
  uint64_t vmcoreinfo_size() const { return vmcoreinfo_size_; }
  // The compression flags of the header's status word (informational).
  uint32_t compression_status() const { return header_.status; }

  const std::vector<PfnRun>& ram_runs() const { return runs_; }

  // The erase information (version 5+: what `makedumpfile --config` erased),
  // which a refiltered dump carries over; empty when there is none.
  const std::vector<uint8_t>& eraseinfo() const { return eraseinfo_; }

  // Bits [start, end) of bitmap 1 or 2 into `words` (bit i of word i / 64
  // is pfn start + i), zero past max_mapnr. `start` must be a multiple of 8.
  Status read_bitmap(int which, uint64_t start, uint64_t end, uint64_t* words) const;

  // Number of bitmap2 bits below the first pfn of the rank block holding `pfn`
  // (blocks of rank_stride() pfns).
  uint64_t rank_stride() const { return rank_stride_; }
  uint64_t rank_before_block(uint64_t pfn) const { return rank_[pfn / rank_stride_]; }

  // Descriptors [index, index + count) into `out`; an error names the offset.
  Status read_descs(uint64_t index, size_t count, dump::PageDesc* out) const;
  // Why `d` (descriptor number `index`) cannot be a page of this file, or ""
  // when it can: data outside the file, a size the page cannot have, an
  // unknown compression flag.
  std::string check_desc(const dump::PageDesc& d, uint64_t index) const;

 private:
  KdumpImage() = default;

  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  dump::DiskDumpHeader header_{};
  dump::KdumpSubHeader sub_{};
  uint64_t block_size_ = 0;
  uint64_t max_mapnr_ = 0;
  uint64_t bitmap_bytes_ = 0;
  uint64_t bitmap1_offset_ = 0;
  uint64_t dumpable_ = 0;
  uint64_t readable_descs_ = 0;
  std::vector<uint8_t> notes_;
  uint64_t vmcoreinfo_offset_ = 0;
  uint64_t vmcoreinfo_size_ = 0;
  std::vector<PfnRun> runs_;
  std::vector<uint8_t> eraseinfo_;
  uint64_t rank_stride_ = 0;
  std::vector<uint64_t> rank_;
};

// The first bytes of a file, as the dump input kinds announce themselves.
enum class InputKind { elf, kdump, flattened, diskdump, unknown };
InputKind input_kind(const uint8_t* head, size_t n);

}  // namespace kdk::vmcore
