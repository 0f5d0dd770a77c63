#include "engine/vmcore/elf_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/format.h"

namespace kdk::vmcore {

namespace {

class ElfPages final : public PageBackend {
 public:
  ElfPages(int fd, std::string path, uint64_t file_size, uint64_t page_size, uint64_t window_bytes)
      : fd_(fd),
        path_(std::move(path)),
        file_size_(file_size),
        page_size_(page_size),
        window_bytes_(window_bytes) {}
  ~ElfPages() override { unmap(); }

  const uint8_t* map_page(uint64_t pfn, const PhysRange& r) override;
  Status read_page(uint64_t pfn, const PhysRange& r, uint8_t* out) override;
  Status check_present(uint64_t phys, size_t len, const PhysRange& r) override;

 private:
  void unmap() {
    if (window_) ::munmap(const_cast<uint8_t*>(window_), window_len_);
    window_ = nullptr;
    window_len_ = 0;
  }

  int fd_;
  std::string path_;
  uint64_t file_size_;
  uint64_t page_size_;
  uint64_t window_bytes_;
  const uint8_t* window_ = nullptr;
  uint64_t window_offset_ = 0;
  uint64_t window_len_ = 0;
  bool mmap_failed_ = false;
};

const uint8_t* ElfPages::map_page(uint64_t pfn, const PhysRange& r) {
  if (window_bytes_ == 0 || mmap_failed_) return nullptr;
  uint64_t aligned_start = r.start_pfn * page_size_;
  uint64_t in_segment = pfn * page_size_ - aligned_start;
  // The page must lie wholly in the file, and the file offset of an aligned
  // page must itself be page aligned for mmap.
  uint64_t head = r.phys_start - aligned_start;
  if (in_segment < head || in_segment - head + page_size_ > r.file_bytes) return nullptr;
  uint64_t offset = r.file_offset + (in_segment - head);
  if (offset % page_size_ != 0) return nullptr;
  if (!window_ || offset < window_offset_ || offset + page_size_ > window_offset_ + window_len_) {
    unmap();
    uint64_t start = offset / window_bytes_ * window_bytes_;
    uint64_t len = std::min(window_bytes_, file_size_ - start);
    if (offset + page_size_ > start + len) return nullptr;
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd_, static_cast<off_t>(start));
    if (p == MAP_FAILED) {
      mmap_failed_ = true;
      return nullptr;
    }
    window_ = static_cast<const uint8_t*>(p);
    window_offset_ = start;
    window_len_ = len;
  }
  return window_ + (offset - window_offset_);
}

Status ElfPages::read_page(uint64_t pfn, const PhysRange& r, uint8_t* out) {
  if (const uint8_t* p = map_page(pfn, r)) {
    std::memcpy(out, p, page_size_);
    return {};
  }
  std::memset(out, 0, page_size_);
  // Intersect the page with the segment's bytes that are in the file.
  uint64_t page_phys = pfn * page_size_;
  uint64_t seg_lo = r.phys_start, seg_hi = r.phys_start + r.file_bytes;
  uint64_t lo = std::max(page_phys, seg_lo), hi = std::min(page_phys + page_size_, seg_hi);
  if (lo >= hi) return {};
  uint64_t offset = r.file_offset + (lo - r.phys_start);
  size_t len = static_cast<size_t>(hi - lo);
  uint8_t* dst = out + (lo - page_phys);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd_, dst + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(
          errno, format("read pfn 0x%llx at offset 0x%llx of %s", static_cast<unsigned long long>(pfn),
                        static_cast<unsigned long long>(offset + done), path_.c_str()));
    }
    if (n == 0) {
      return Error{format("%s ends before pfn 0x%llx (offset 0x%llx)", path_.c_str(),
                          static_cast<unsigned long long>(pfn),
                          static_cast<unsigned long long>(offset + done))};
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Status ElfPages::check_present(uint64_t phys, size_t len, const PhysRange& r) {
  if (r.truncated && phys + len > r.phys_start + r.file_bytes) {
    return Error{format("physical address 0x%llx is missing from %s (the file is truncated)",
                        static_cast<unsigned long long>(phys), path_.c_str())};
  }
  return {};
}

}  // namespace

std::unique_ptr<PageBackend> make_elf_pages(int fd, std::string path, uint64_t file_size, uint64_t page_size,
                                            uint64_t window_bytes) {
  return std::make_unique<ElfPages>(fd, std::move(path), file_size, page_size, window_bytes);
}

}  // namespace kdk::vmcore
