// Test helper: a kdump-compressed file read through the product's one
// reader (engine/vmcore/vmcore_file.h, kdump_image.h), with both bitmaps
// held whole for pfn-by-pfn checks. The product never holds them (its
// memory is bounded); a test may, for the small files it checks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/format/compressor.h"
#include "engine/format/kdump_layout.h"
#include "engine/vmcore/kdump_image.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/result.h"

namespace kdk::dump {

class KdumpFile {
 public:
  static Result<KdumpFile> open(const std::string& path) {
    auto core = vmcore::VmcoreFile::open(path);
    if (!core) return core.error();
    if (!core->kdump()) return Error{path + ": not a kdump-compressed file"};
    KdumpFile f;
    f.core_ = std::make_shared<vmcore::VmcoreFile>(std::move(*core));
    const vmcore::KdumpImage& k = f.image();
    const uint64_t words = (k.max_mapnr() + 63) / 64;
    f.bitmap1_.assign(words, 0);
    f.bitmap2_.assign(words, 0);
    if (auto s = k.read_bitmap(1, 0, words * 64, f.bitmap1_.data()); !s) return s.error();
    if (auto s = k.read_bitmap(2, 0, words * 64, f.bitmap2_.data()); !s) return s.error();
    f.rank_.reserve(words + 1);
    uint64_t total = 0;
    for (uint64_t w : f.bitmap2_) {
      f.rank_.push_back(total);
      total += static_cast<uint64_t>(__builtin_popcountll(w));
    }
    f.dumpable_ = total;
    return f;
  }

  const vmcore::KdumpImage& image() const { return *core_->kdump(); }
  const vmcore::VmcoreFile& core() const { return *core_; }
  const DiskDumpHeader& header() const { return image().header(); }
  const KdumpSubHeader& sub_header() const { return image().sub_header(); }
  uint64_t block_size() const { return image().block_size(); }
  uint64_t max_mapnr() const { return image().max_mapnr(); }
  const std::vector<uint8_t>& notes() const { return core_->notes_blob(); }
  std::string vmcoreinfo() const {
    if (core_->vmcoreinfo_size() == 0) return {};
    return std::string(reinterpret_cast<const char*>(notes().data()) + core_->vmcoreinfo_offset(),
                       core_->vmcoreinfo_size());
  }

  bool in_bitmap1(uint64_t pfn) const { return test(bitmap1_, pfn); }
  bool in_bitmap2(uint64_t pfn) const { return test(bitmap2_, pfn); }
  uint64_t dumpable_count() const { return dumpable_; }

  // The descriptor of a dumped pfn; nullopt when bitmap2 excludes it.
  Result<std::optional<PageDesc>> desc(uint64_t pfn) const {
    if (pfn >= max_mapnr() || !in_bitmap2(pfn)) return std::optional<PageDesc>{};
    uint64_t index =
        rank_[pfn / 64] +
        static_cast<uint64_t>(__builtin_popcountll(bitmap2_[pfn / 64] & ((1ULL << (pfn % 64)) - 1)));
    PageDesc d{};
    if (auto s = image().read_descs(index, 1, &d); !s) return s.error();
    if (std::string why = image().check_desc(d, index); !why.empty()) return Error{why};
    return std::optional<PageDesc>(d);
  }

  // The page's bytes (block_size); an excluded page is an error naming the pfn.
  Status read_page(uint64_t pfn, uint8_t* out) const {
    auto d = desc(pfn);
    if (!d) return d.error();
    if (!*d) return Error{format("pfn 0x%llx is not in the dump", static_cast<unsigned long long>(pfn))};
    std::vector<uint8_t> buf((*d)->size);
    if (auto s = pread_exact(core_->fd(), buf.data(), buf.size(), (*d)->offset, core_->path()); !s) return s;
    return decompress_page((*d)->flags, buf.data(), buf.size(), out, block_size());
  }

 private:
  static bool test(const std::vector<uint64_t>& b, uint64_t pfn) {
    return pfn / 64 < b.size() && ((b[pfn / 64] >> (pfn % 64)) & 1);
  }

  std::shared_ptr<vmcore::VmcoreFile> core_;
  std::vector<uint64_t> bitmap1_, bitmap2_;
  std::vector<uint64_t> rank_;  // set bits of bitmap2 before word i
  uint64_t dumpable_ = 0;
};

}  // namespace kdk::dump
