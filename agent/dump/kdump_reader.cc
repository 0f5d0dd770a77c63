#include "agent/dump/kdump_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "agent/dump/compressor.h"
#include "util/format.h"

namespace kdk::dump {

namespace {
constexpr uint64_t kRankStride = 4096;  // pfns per rank entry (512 bitmap bytes)
}

Result<KdumpReader> KdumpReader::open(const std::string& path) {
  KdumpReader r;
  r.path_ = path;
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  r.fd_ = std::move(*fd);
  struct stat st;
  if (::fstat(r.fd_.get(), &st) != 0) return Error::from_errno(errno, "stat " + path);
  r.file_size_ = static_cast<uint64_t>(st.st_size);
  if (r.file_size_ < sizeof(DiskDumpHeader)) return Error{path + ": too small for a kdump header"};
  if (auto s = pread_exact(r.fd_.get(), &r.header_, sizeof r.header_, 0, path); !s) return s.error();
  if (std::memcmp(r.header_.signature, kKdumpSignature, sizeof kKdumpSignature) != 0) {
    return Error{path + ": no \"KDUMP   \" signature at offset 0"};
  }
  const auto& h = r.header_;
  if (h.block_size <= 0 || h.block_size > (1 << 20) || (h.block_size & (h.block_size - 1)) != 0) {
    return Error{format("%s: block_size %d at offset 428 is not a power of two up to 1 MiB", path.c_str(),
                        h.block_size)};
  }
  r.block_size_ = static_cast<uint64_t>(h.block_size);
  if (h.header_version < 1 || h.sub_hdr_size < 0) {
    return Error{format("%s: header_version %d / sub_hdr_size %d unusable", path.c_str(), h.header_version,
                        h.sub_hdr_size)};
  }
  if (auto s = pread_exact(r.fd_.get(), &r.sub_, sizeof r.sub_, static_cast<off_t>(r.block_size_), path);
      !s) {
    return s.error();
  }
  r.max_mapnr_ = h.header_version >= 6 ? r.sub_.max_mapnr_64 : h.max_mapnr;
  uint64_t bitmap_bytes = static_cast<uint64_t>(h.bitmap_blocks) * r.block_size_ / 2;
  if (bitmap_bytes * 8 < r.max_mapnr_) {
    return Error{format("%s: bitmap_blocks %u too small for max_mapnr %llu", path.c_str(), h.bitmap_blocks,
                        static_cast<unsigned long long>(r.max_mapnr_))};
  }
  uint64_t bitmap1_off = (kDiskDumpHeaderBlocks + static_cast<uint64_t>(h.sub_hdr_size)) * r.block_size_;
  r.desc_offset_ = bitmap1_off + 2 * bitmap_bytes;
  if (r.desc_offset_ > r.file_size_) return Error{path + ": file ends inside the bitmaps"};
  if (h.header_version >= 4 && r.sub_.size_note > 0) {
    if (r.sub_.offset_note < 0 || r.sub_.size_note > (64ULL << 20) ||
        static_cast<uint64_t>(r.sub_.offset_note) + r.sub_.size_note > bitmap1_off) {
      return Error{format("%s: note blob at %lld (+%llu) is outside the sub header", path.c_str(),
                          static_cast<long long>(r.sub_.offset_note),
                          static_cast<unsigned long long>(r.sub_.size_note))};
    }
    r.notes_.resize(r.sub_.size_note);
    if (auto s = pread_exact(r.fd_.get(), r.notes_.data(), r.notes_.size(), r.sub_.offset_note, path); !s) {
      return s.error();
    }
  }
  r.bitmap1_.resize(bitmap_bytes);
  r.bitmap2_.resize(bitmap_bytes);
  if (auto s =
          pread_exact(r.fd_.get(), r.bitmap1_.data(), bitmap_bytes, static_cast<off_t>(bitmap1_off), path);
      !s) {
    return s.error();
  }
  if (auto s = pread_exact(r.fd_.get(), r.bitmap2_.data(), bitmap_bytes,
                           static_cast<off_t>(bitmap1_off + bitmap_bytes), path);
      !s) {
    return s.error();
  }
  // Only pfns below max_mapnr count (crash ignores the padding too).
  uint64_t total = 0;
  r.rank_.reserve(r.max_mapnr_ / kRankStride + 1);
  for (uint64_t base = 0; base < r.max_mapnr_; base += kRankStride) {
    r.rank_.push_back(total);
    uint64_t end = std::min(r.max_mapnr_, base + kRankStride);
    for (uint64_t pfn = base; pfn < end;) {
      if ((pfn & 63) == 0 && end - pfn >= 64) {
        uint64_t w;
        std::memcpy(&w, r.bitmap2_.data() + pfn / 8, 8);
        total += static_cast<uint64_t>(__builtin_popcountll(w));
        pfn += 64;
      } else {
        total += test(r.bitmap2_, pfn);
        ++pfn;
      }
    }
  }
  r.dumpable_ = total;
  return r;
}

std::string KdumpReader::vmcoreinfo() const {
  if (sub_.size_vmcoreinfo == 0 || notes_.empty()) return {};
  if (sub_.offset_vmcoreinfo < sub_.offset_note) return {};
  const uint64_t rel = static_cast<uint64_t>(sub_.offset_vmcoreinfo) - static_cast<uint64_t>(sub_.offset_note);
  if (rel > notes_.size() || sub_.size_vmcoreinfo > notes_.size() - rel) return {};
  return std::string(reinterpret_cast<const char*>(notes_.data()) + rel, sub_.size_vmcoreinfo);
}

Result<std::optional<PageDesc>> KdumpReader::desc(uint64_t pfn) const {
  if (pfn >= max_mapnr_ || !in_bitmap2(pfn)) return std::optional<PageDesc>{};
  uint64_t base = pfn / kRankStride * kRankStride;
  uint64_t index = rank_[pfn / kRankStride];
  for (uint64_t p = base; p < pfn; ++p) index += test(bitmap2_, p);
  PageDesc d;
  uint64_t at = desc_offset_ + index * sizeof(PageDesc);
  if (auto s = pread_exact(fd_.get(), &d, sizeof d, static_cast<off_t>(at), path_); !s) return s.error();
  if (d.offset < 0 || d.size > block_size_ || static_cast<uint64_t>(d.offset) + d.size > file_size_) {
    return Error{format("%s: page_desc of pfn 0x%llx at offset %llu is bad (offset %lld, size %u)",
                        path_.c_str(), static_cast<unsigned long long>(pfn),
                        static_cast<unsigned long long>(at), static_cast<long long>(d.offset), d.size)};
  }
  return std::optional<PageDesc>(d);
}

Status KdumpReader::read_page(uint64_t pfn, uint8_t* out) const {
  auto d = desc(pfn);
  if (!d) return d.error();
  if (!*d) {
    return Error{
        format("%s: pfn 0x%llx is not in the dump", path_.c_str(), static_cast<unsigned long long>(pfn))};
  }
  std::vector<uint8_t> buf((*d)->size);
  if (auto s = pread_exact(fd_.get(), buf.data(), buf.size(), (*d)->offset, path_); !s) return s;
  if (auto s = decompress_page((*d)->flags, buf.data(), buf.size(), out, block_size_); !s) {
    return s.error().within(format("%s pfn 0x%llx", path_.c_str(), static_cast<unsigned long long>(pfn)));
  }
  return {};
}

}  // namespace kdk::dump
