#include "engine/vmcore/kdump_image.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "engine/vmcore/elf_core.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::vmcore {

namespace {

using dump::DiskDumpHeader;
using dump::KdumpSubHeader;
using dump::PageDesc;

using ull = unsigned long long;

// Bitmap bytes read at once while indexing (each of the two bitmaps).
constexpr uint64_t kScanBytes = 1 << 20;
// RAM runs kept; past this a corrupt bitmap1 gets its small holes merged.
constexpr size_t kMaxRuns = 1 << 16;
// Note blobs are a few KiB per CPU.
constexpr uint64_t kMaxNoteBytes = 64ULL << 20;

constexpr uint32_t kKnownPageFlags =
    dump::kCompressedZlib | dump::kCompressedLzo | dump::kCompressedSnappy | dump::kCompressedZstd;

// Bits of `bytes` (bitmap bytes starting at pfn `first`) below `limit`.
uint64_t masked_word(const uint8_t* bytes, size_t avail, uint64_t first, uint64_t limit, size_t w) {
  uint64_t v = 0;
  size_t at = w * 8;
  if (at < avail) std::memcpy(&v, bytes + at, std::min<size_t>(8, avail - at));
  uint64_t base = first + w * 64;
  if (base >= limit) return 0;
  if (limit - base < 64) v &= (1ULL << (limit - base)) - 1;
  return v;
}

struct RunBuilder {
  std::vector<PfnRun>& runs;
  uint64_t gap = 0;  // runs this close are merged (0: only touching runs)
  bool overflowed = false;

  void add(uint64_t first, uint64_t end) {
    if (!runs.empty() && first <= runs.back().end + gap) {
      runs.back().end = std::max(runs.back().end, end);
      return;
    }
    runs.push_back({first, end});
    if (runs.size() <= kMaxRuns) return;
    overflowed = true;
    while (runs.size() > kMaxRuns / 2) {
      gap = gap == 0 ? 1 : gap * 2;
      std::vector<PfnRun> merged;
      for (const auto& r : runs) {
        if (!merged.empty() && r.first <= merged.back().end + gap) {
          merged.back().end = std::max(merged.back().end, r.end);
        } else {
          merged.push_back(r);
        }
      }
      runs.swap(merged);
    }
  }
};

}  // namespace

InputKind input_kind(const uint8_t* head, size_t n) {
  if (n >= 4 && std::memcmp(head,
                            "\x7f"
                            "ELF",
                            4) == 0)
    return InputKind::elf;
  if (n >= 8 && std::memcmp(head, dump::kKdumpSignature, 8) == 0) return InputKind::kdump;
  if (n >= 12 && std::memcmp(head, dump::kFlatSignature, 12) == 0) return InputKind::flattened;
  if (n >= 8 && std::memcmp(head, "DISKDUMP", 8) == 0) return InputKind::diskdump;
  return InputKind::unknown;
}

Result<std::shared_ptr<const KdumpImage>> KdumpImage::open(int fd, const std::string& path,
                                                           uint64_t file_size,
                                                           std::vector<std::string>& problems) {
  std::shared_ptr<KdumpImage> img(new KdumpImage());
  KdumpImage& m = *img;
  m.path_ = path;
  m.fd_ = fd;
  m.file_size_ = file_size;
  if (file_size < sizeof(DiskDumpHeader)) {
    return Error{format("%s: %llu bytes is too small for a kdump header (%zu bytes)", path.c_str(),
                        static_cast<ull>(file_size), sizeof(DiskDumpHeader))};
  }
  if (auto s = pread_exact(fd, &m.header_, sizeof m.header_, 0, path); !s) return s.error();
  const DiskDumpHeader& h = m.header_;
  if (std::memcmp(h.signature, dump::kKdumpSignature, sizeof h.signature) != 0) {
    return Error{path + ": no \"KDUMP   \" signature at offset 0"};
  }
  if (h.header_version < 1) {
    return Error{format("%s: header_version %d at offset 8: makedumpfile's versions start at 1", path.c_str(),
                        h.header_version)};
  }
  if (h.block_size < static_cast<int32_t>(sizeof(DiskDumpHeader)) || h.block_size > (1 << 20) ||
      (h.block_size & (h.block_size - 1)) != 0) {
    return Error{format("%s: block_size %d at offset %zu is not a power of two from 512 to 1 MiB",
                        path.c_str(), h.block_size, offsetof(DiskDumpHeader, block_size))};
  }
  m.block_size_ = static_cast<uint64_t>(h.block_size);
  if (h.sub_hdr_size < 0 || static_cast<uint64_t>(h.sub_hdr_size) > file_size / m.block_size_) {
    return Error{format("%s: sub_hdr_size %d blocks at offset %zu runs past the end of the file",
                        path.c_str(), h.sub_hdr_size, offsetof(DiskDumpHeader, sub_hdr_size))};
  }
  if (m.block_size_ + sizeof(KdumpSubHeader) > file_size) {
    return Error{format("%s: the file ends (at %llu bytes) inside the sub header at offset %llu",
                        path.c_str(), static_cast<ull>(file_size), static_cast<ull>(m.block_size_))};
  }
  if (auto s = pread_exact(fd, &m.sub_, sizeof m.sub_, static_cast<off_t>(m.block_size_), path); !s)
    return s.error();
  const KdumpSubHeader& k = m.sub_;
  if (k.split != 0) {
    return Error{
        format("%s: a split dump (sub header split = %d, pfns 0x%llx-0x%llx): refiltering one part "
               "of a split dump is not supported",
               path.c_str(), k.split, static_cast<ull>(k.start_pfn_64), static_cast<ull>(k.end_pfn_64))};
  }
  m.max_mapnr_ = h.header_version >= 6 ? k.max_mapnr_64 : h.max_mapnr;
  m.bitmap1_offset_ = (dump::kDiskDumpHeaderBlocks + static_cast<uint64_t>(h.sub_hdr_size)) * m.block_size_;
  m.bitmap_bytes_ = static_cast<uint64_t>(h.bitmap_blocks) / 2 * m.block_size_;
  if (m.max_mapnr_ == 0) return Error{path + ": max_mapnr is 0: no memory in the dump"};
  if (m.bitmap_bytes_ * 8 < m.max_mapnr_) {
    return Error{format("%s: bitmap_blocks %u at offset %zu holds %llu pfns per bitmap, max_mapnr is %llu",
                        path.c_str(), h.bitmap_blocks, offsetof(DiskDumpHeader, bitmap_blocks),
                        static_cast<ull>(m.bitmap_bytes_ * 8), static_cast<ull>(m.max_mapnr_))};
  }
  if (m.bitmap1_offset_ > file_size || 2 * m.bitmap_bytes_ > file_size - m.bitmap1_offset_) {
    return Error{
        format("%s: the bitmaps at offset %llu (2 x %llu bytes) run past the end of the file (%llu "
               "bytes)",
               path.c_str(), static_cast<ull>(m.bitmap1_offset_), static_cast<ull>(m.bitmap_bytes_),
               static_cast<ull>(file_size))};
  }

  // Notes (version 4+) and VMCOREINFO (version 3+, inside the notes when
  // makedumpfile wrote them).
  if (h.header_version >= 4 && k.size_note > 0) {
    if (k.offset_note < static_cast<int64_t>(m.block_size_ + sizeof(KdumpSubHeader)) ||
        k.size_note > kMaxNoteBytes ||
        static_cast<uint64_t>(k.offset_note) + k.size_note > m.bitmap1_offset_) {
      problems.push_back(
          format("note blob at offset %lld (%llu bytes) lies outside the sub header blocks "
                 "(%llu-%llu): the notes are ignored",
                 static_cast<long long>(k.offset_note), static_cast<ull>(k.size_note),
                 static_cast<ull>(m.block_size_), static_cast<ull>(m.bitmap1_offset_)));
    } else {
      m.notes_.resize(k.size_note);
      if (auto s = pread_exact(fd, m.notes_.data(), m.notes_.size(), k.offset_note, path); !s)
        return s.error();
    }
  }
  if (h.header_version >= 3 && k.size_vmcoreinfo > 0) {
    // Unsigned arithmetic: both offsets come from the file and may be anything.
    const uint64_t rel = static_cast<uint64_t>(k.offset_vmcoreinfo) - static_cast<uint64_t>(k.offset_note);
    if (!m.notes_.empty() && k.offset_vmcoreinfo >= k.offset_note && rel <= m.notes_.size() &&
        k.size_vmcoreinfo <= m.notes_.size() - rel) {
      m.vmcoreinfo_offset_ = rel;
      m.vmcoreinfo_size_ = k.size_vmcoreinfo;
    } else {
      problems.push_back(
          format("VMCOREINFO at offset %lld (%llu bytes) is not inside the note blob at "
                 "offset %lld (%llu bytes)",
                 static_cast<long long>(k.offset_vmcoreinfo), static_cast<ull>(k.size_vmcoreinfo),
                 static_cast<long long>(k.offset_note), static_cast<ull>(k.size_note)));
    }
  }
  if (h.header_version >= 5 && k.size_eraseinfo > 0) {
    if (k.offset_eraseinfo < 0 || k.size_eraseinfo > kMaxNoteBytes ||
        static_cast<uint64_t>(k.offset_eraseinfo) > file_size ||
        k.size_eraseinfo > file_size - static_cast<uint64_t>(k.offset_eraseinfo)) {
      problems.push_back(
          format("erase information at offset %lld (%llu bytes) is outside the file (%llu bytes): "
                 "not carried over",
                 static_cast<long long>(k.offset_eraseinfo), static_cast<ull>(k.size_eraseinfo),
                 static_cast<ull>(file_size)));
    } else {
      m.eraseinfo_.resize(k.size_eraseinfo);
      if (auto s = pread_exact(fd, m.eraseinfo_.data(), m.eraseinfo_.size(), k.offset_eraseinfo, path); !s)
        return s.error();
    }
  }

  // One streaming pass over both bitmaps: RAM runs, the bitmap2 rank per
  // block, the number of dumped pages.
  m.rank_stride_ = m.block_size_ * 8;
  m.rank_.reserve(static_cast<size_t>((m.max_mapnr_ + m.rank_stride_ - 1) / m.rank_stride_));
  const uint64_t chunk = std::max(m.block_size_, kScanBytes / m.block_size_ * m.block_size_);
  std::vector<uint8_t> b1(chunk), b2(chunk);
  RunBuilder runs{m.runs_};
  uint64_t total = 0, stray = 0, stray_first = 0;
  uint64_t run_first = 0;
  bool in_run = false;
  const uint64_t used_bytes = (m.max_mapnr_ + 7) / 8;
  for (uint64_t at = 0; at < used_bytes; at += chunk) {
    size_t n = static_cast<size_t>(std::min(chunk, used_bytes - at));
    if (auto s = pread_exact(fd, b1.data(), n, static_cast<off_t>(m.bitmap1_offset_ + at), path); !s)
      return s.error();
    if (auto s = pread_exact(fd, b2.data(), n, static_cast<off_t>(m.bitmap2_offset() + at), path); !s)
      return s.error();
    const uint64_t first = at * 8;
    const size_t words = (n + 7) / 8;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t base = first + w * 64;
      if (base % m.rank_stride_ == 0) m.rank_.push_back(total);
      uint64_t v1 = masked_word(b1.data(), n, first, m.max_mapnr_, w);
      uint64_t v2 = masked_word(b2.data(), n, first, m.max_mapnr_, w);
      total += static_cast<uint64_t>(std::popcount(v2));
      if (uint64_t s = v2 & ~v1) {
        if (stray == 0) stray_first = base + static_cast<uint64_t>(std::countr_zero(s));
        stray += static_cast<uint64_t>(std::popcount(s));
      }
      // Runs of set bits in v1.
      if (v1 == ~0ULL) {
        if (!in_run) {
          in_run = true;
          run_first = base;
        }
        continue;
      }
      if (v1 == 0) {
        if (in_run) {
          runs.add(run_first, base);
          in_run = false;
        }
        continue;
      }
      for (unsigned bit = 0; bit < 64; ++bit) {
        bool set = (v1 >> bit) & 1;
        if (set && !in_run) {
          in_run = true;
          run_first = base + bit;
        } else if (!set && in_run) {
          runs.add(run_first, base + bit);
          in_run = false;
        }
      }
    }
  }
  if (in_run) runs.add(run_first, std::min(m.max_mapnr_, used_bytes * 8));
  while (m.rank_.size() * m.rank_stride_ < m.max_mapnr_) m.rank_.push_back(total);
  m.dumpable_ = total;
  if (runs.overflowed) {
    problems.push_back(
        format("bitmap1 has more than %zu runs of RAM: holes of up to %llu pages are treated as "
               "RAM when classifying (the output's bitmap1 is the input's)",
               kMaxRuns, static_cast<ull>(runs.gap)));
  }
  if (stray != 0) {
    problems.push_back(
        format("bitmap2 marks %llu pages dumped that bitmap1 says are not RAM (the first: pfn "
               "0x%llx): they are not dumped again",
               static_cast<ull>(stray), static_cast<ull>(stray_first)));
  }
  const uint64_t desc_end = m.desc_offset() + total * sizeof(PageDesc);
  m.readable_descs_ = total;
  if (desc_end > file_size) {
    m.readable_descs_ = (file_size - m.desc_offset()) / sizeof(PageDesc);
    problems.push_back(
        format("truncated: the page descriptors end at byte %llu, the file at %llu: %llu of "
               "%llu dumped pages have no descriptor",
               static_cast<ull>(desc_end), static_cast<ull>(file_size),
               static_cast<ull>(total - m.readable_descs_), static_cast<ull>(total)));
  }
  return std::shared_ptr<const KdumpImage>(std::move(img));
}

Status KdumpImage::read_bitmap(int which, uint64_t start, uint64_t end, uint64_t* words) const {
  const size_t nwords = static_cast<size_t>((end - start + 63) / 64);
  std::memset(words, 0, nwords * 8);
  if (start % 8 != 0)
    return Error{format("bitmap read at pfn 0x%llx is not byte aligned", static_cast<ull>(start))};
  uint64_t stop = std::min(end, max_mapnr_);
  if (start >= stop) return {};
  size_t n = static_cast<size_t>((stop - start + 7) / 8);
  uint64_t base = (which == 1 ? bitmap1_offset() : bitmap2_offset()) + start / 8;
  if (auto s = pread_exact(fd_, words, n, static_cast<off_t>(base), path_); !s) return s;
  // Bits past max_mapnr (and past `end`) are padding, not pages.
  uint64_t valid = stop - start;
  if (valid % 64 != 0) words[valid / 64] &= (1ULL << (valid % 64)) - 1;
  for (size_t w = static_cast<size_t>((valid + 63) / 64); w < nwords; ++w) words[w] = 0;
  return {};
}

Status KdumpImage::read_descs(uint64_t index, size_t count, PageDesc* out) const {
  if (index > readable_descs_ || count > readable_descs_ - index) {
    return Error{
        format("%s: page descriptor %llu (+%zu) at offset %llu is past the end of the file (%llu "
               "bytes)",
               path_.c_str(), static_cast<ull>(index), count,
               static_cast<ull>(desc_offset() + index * sizeof(PageDesc)), static_cast<ull>(file_size_))};
  }
  return pread_exact(fd_, out, count * sizeof(PageDesc),
                     static_cast<off_t>(desc_offset() + index * sizeof(PageDesc)), path_);
}

std::string KdumpImage::check_desc(const PageDesc& d, uint64_t index) const {
  const uint64_t at = desc_offset() + index * sizeof(PageDesc);
  if (d.offset < 0 || static_cast<uint64_t>(d.offset) > file_size_ ||
      d.size > file_size_ - static_cast<uint64_t>(d.offset)) {
    return format("page descriptor at offset %llu: data at %lld (+%u bytes) is outside the file (%llu bytes)",
                  static_cast<ull>(at), static_cast<long long>(d.offset), d.size,
                  static_cast<ull>(file_size_));
  }
  if (d.size == 0 || d.size > block_size_) {
    return format("page descriptor at offset %llu: size %u for a %llu-byte page", static_cast<ull>(at),
                  d.size, static_cast<ull>(block_size_));
  }
  if ((d.flags & ~kKnownPageFlags) != 0 || std::popcount(d.flags) > 1) {
    return format("page descriptor at offset %llu: unknown compression flags 0x%x", static_cast<ull>(at),
                  d.flags);
  }
  if (d.flags == dump::kCompressedSnappy) {
    return format("page descriptor at offset %llu: snappy compression is not supported",
                  static_cast<ull>(at));
  }
  if (d.flags == 0 && d.size != block_size_) {
    return format("page descriptor at offset %llu: an uncompressed page of %u bytes, expected %llu",
                  static_cast<ull>(at), d.size, static_cast<ull>(block_size_));
  }
  return {};
}

}  // namespace kdk::vmcore
