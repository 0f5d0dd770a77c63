#include "engine/vmcore/kdump_pages.h"

#include <bit>
#include <cstring>
#include <vector>

#include "engine/format/compressor.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::vmcore {

namespace {

using ull = unsigned long long;
// Descriptors read at once: dumps are read mostly in pfn order.
constexpr size_t kDescWindow = 512;

class KdumpPages final : public PageBackend {
 public:
  KdumpPages(std::shared_ptr<const KdumpImage> image, uint64_t page_size)
      : image_(std::move(image)),
        ps_(page_size),
        block_(static_cast<size_t>(image_->rank_stride() / 64)),
        descs_(kDescWindow),
        page_(page_size),
        raw_(page_size) {}

  const uint8_t* map_page(uint64_t pfn, const PhysRange&) override {
    if (pfn == page_pfn_) return page_.data();
    if (!decode(pfn, page_.data())) {
      page_pfn_ = kNone;
      return nullptr;
    }
    page_pfn_ = pfn;
    return page_.data();
  }

  Status read_page(uint64_t pfn, const PhysRange& r, uint8_t* out) override {
    if (const uint8_t* p = map_page(pfn, r)) {
      std::memcpy(out, p, ps_);
      return {};
    }
    return decode(pfn, out);
  }

  Status check_present(uint64_t, size_t, const PhysRange&) override { return {}; }

  bool available(uint64_t pfn) override {
    const KdumpImage& m = *image_;
    if (pfn >= m.max_mapnr()) return false;
    const uint64_t stride = m.rank_stride();
    const uint64_t first = pfn / stride * stride;
    if (first != block_first_) {
      block_first_ = kNone;
      if (!m.read_bitmap(2, first, first + stride, block_.data())) return false;
      block_first_ = first;
    }
    const uint64_t i = pfn - first;
    return (block_[i / 64] >> (i % 64)) & 1;
  }

 private:
  static constexpr uint64_t kNone = ~0ULL;

  // The descriptor number of `pfn` in the file, or an error when bitmap2
  // says the page was not dumped.
  Result<uint64_t> desc_index(uint64_t pfn) {
    const KdumpImage& m = *image_;
    if (pfn >= m.max_mapnr()) {
      return Error{format("pfn 0x%llx is beyond max_mapnr 0x%llx of %s", static_cast<ull>(pfn),
                          static_cast<ull>(m.max_mapnr()), m.path().c_str())};
    }
    const uint64_t stride = m.rank_stride();
    const uint64_t first = pfn / stride * stride;
    if (first != block_first_) {
      block_first_ = kNone;
      if (auto s = m.read_bitmap(2, first, first + stride, block_.data()); !s) return s.error();
      block_first_ = first;
    }
    const uint64_t i = pfn - first;
    if (!((block_[i / 64] >> (i % 64)) & 1)) {
      return Error{format("pfn 0x%llx was not dumped into %s (excluded there)", static_cast<ull>(pfn),
                          m.path().c_str())};
    }
    uint64_t index = m.rank_before_block(pfn);
    for (uint64_t w = 0; w < i / 64; ++w) index += static_cast<uint64_t>(std::popcount(block_[w]));
    if (i % 64) index += static_cast<uint64_t>(std::popcount(block_[i / 64] & ((1ULL << (i % 64)) - 1)));
    return index;
  }

  Result<dump::PageDesc> desc(uint64_t index) {
    if (index < descs_first_ || index >= descs_first_ + descs_count_) {
      descs_count_ = 0;
      uint64_t avail = image_->readable_descs();
      if (index >= avail) {
        return Error{format("%s is truncated: page descriptor %llu (offset %llu) is past its end",
                            image_->path().c_str(), static_cast<ull>(index),
                            static_cast<ull>(image_->desc_offset() + index * sizeof(dump::PageDesc)))};
      }
      size_t n = static_cast<size_t>(std::min<uint64_t>(kDescWindow, avail - index));
      if (auto s = image_->read_descs(index, n, descs_.data()); !s) return s.error();
      descs_first_ = index;
      descs_count_ = n;
    }
    return descs_[static_cast<size_t>(index - descs_first_)];
  }

  Status decode(uint64_t pfn, uint8_t* out) {
    auto index = desc_index(pfn);
    if (!index) return index.error();
    auto d = desc(*index);
    if (!d) return d.error();
    if (std::string why = image_->check_desc(*d, *index); !why.empty()) {
      return Error{
          format("pfn 0x%llx in %s: %s", static_cast<ull>(pfn), image_->path().c_str(), why.c_str())};
    }
    if (auto s = pread_exact(image_->fd(), raw_.data(), d->size, d->offset, image_->path()); !s) return s;
    if (auto s = dump::decompress_page(d->flags, raw_.data(), d->size, out, ps_); !s) {
      return s.error().within(format("pfn 0x%llx (data at offset %lld, %u bytes, flags 0x%x) of %s",
                                     static_cast<ull>(pfn), static_cast<long long>(d->offset), d->size,
                                     d->flags, image_->path().c_str()));
    }
    return {};
  }

  std::shared_ptr<const KdumpImage> image_;
  uint64_t ps_;
  std::vector<uint64_t> block_;  // bitmap2 bits of one rank block
  uint64_t block_first_ = kNone;
  std::vector<dump::PageDesc> descs_;
  uint64_t descs_first_ = 0;
  size_t descs_count_ = 0;
  std::vector<uint8_t> page_;  // the last page decoded by map_page
  uint64_t page_pfn_ = kNone;
  std::vector<uint8_t> raw_;  // compressed bytes
};

}  // namespace

Result<std::unique_ptr<PageBackend>> make_kdump_pages(std::shared_ptr<const KdumpImage> image,
                                                      uint64_t page_size) {
  if (page_size != image->block_size()) {
    return Error{format("%s: page size %llu differs from the dump's block size %llu", image->path().c_str(),
                        static_cast<ull>(page_size), static_cast<ull>(image->block_size()))};
  }
  return std::unique_ptr<PageBackend>(new KdumpPages(std::move(image), page_size));
}

}  // namespace kdk::vmcore
