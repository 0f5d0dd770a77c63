#include "agent/vmcore/physical_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/format.h"

namespace kdk::vmcore {

Result<PhysicalMemory> PhysicalMemory::create(const VmcoreFile& core, uint64_t page_size,
                                              uint64_t window_bytes) {
  if (page_size == 0 || (page_size & (page_size - 1)) != 0 || page_size > (1 << 20)) {
    return Error{format("page size %llu is not a power of two up to 1 MiB",
                        static_cast<unsigned long long>(page_size))};
  }
  PhysicalMemory m;
  m.fd_ = core.fd();
  m.path_ = core.path();
  m.file_size_ = core.size();
  m.page_size_ = page_size;
  m.window_bytes_ = window_bytes == 0 ? 0 : (window_bytes + page_size - 1) / page_size * page_size;
  for (const auto& seg : core.layout().loads) {
    if (seg.mem_size == 0) continue;
    Range r;
    // A segment's start need not be page aligned; the partial first page
    // still counts as RAM, read from the file at its aligned position.
    r.start_pfn = seg.phys_addr / page_size;
    r.end_pfn = (seg.phys_addr + seg.mem_size + page_size - 1) / page_size;
    r.phys_start = seg.phys_addr;
    r.file_offset = seg.file_offset;
    r.file_bytes = seg.file_size;
    r.truncated = seg.missing_bytes != 0;
    m.ranges_.push_back(r);
    m.max_pfn_ = std::max(m.max_pfn_, r.end_pfn);
  }
  std::sort(m.ranges_.begin(), m.ranges_.end(),
            [](const Range& a, const Range& b) { return a.start_pfn < b.start_pfn; });
  return m;
}

PhysicalMemory::PhysicalMemory(PhysicalMemory&& o) noexcept { *this = std::move(o); }

PhysicalMemory& PhysicalMemory::operator=(PhysicalMemory&& o) noexcept {
  if (this == &o) return *this;
  unmap();
  fd_ = o.fd_;
  path_ = std::move(o.path_);
  file_size_ = o.file_size_;
  page_size_ = o.page_size_;
  max_pfn_ = o.max_pfn_;
  ranges_ = std::move(o.ranges_);
  window_bytes_ = o.window_bytes_;
  window_ = std::exchange(o.window_, nullptr);
  window_offset_ = o.window_offset_;
  window_len_ = std::exchange(o.window_len_, 0);
  mmap_failed_ = o.mmap_failed_;
  last_range_ = 0;
  return *this;
}

PhysicalMemory::~PhysicalMemory() { unmap(); }

void PhysicalMemory::unmap() {
  if (window_) ::munmap(const_cast<uint8_t*>(window_), window_len_);
  window_ = nullptr;
  window_len_ = 0;
}

const PhysicalMemory::Range* PhysicalMemory::find(uint64_t pfn) const {
  if (last_range_ < ranges_.size()) {
    const Range& r = ranges_[last_range_];
    if (pfn >= r.start_pfn && pfn < r.end_pfn) return &r;
  }
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), pfn,
                             [](uint64_t p, const Range& r) { return p < r.start_pfn; });
  // Ranges may overlap in a damaged header; scan back over candidates.
  while (it != ranges_.begin()) {
    --it;
    if (pfn < it->end_pfn) {
      last_range_ = static_cast<size_t>(it - ranges_.begin());
      return &*it;
    }
    if (it->start_pfn + (1ULL << 40) < pfn) break;
  }
  return nullptr;
}

bool PhysicalMemory::is_ram(uint64_t pfn) const { return find(pfn) != nullptr; }

const uint8_t* PhysicalMemory::map_page(uint64_t pfn) {
  const Range* r = find(pfn);
  if (!r || window_bytes_ == 0 || mmap_failed_) return nullptr;
  uint64_t aligned_start = r->start_pfn * page_size_;
  uint64_t in_segment = pfn * page_size_ - aligned_start;
  // The page must lie wholly in the file, and the file offset of an aligned
  // page must itself be page aligned for mmap.
  uint64_t head = r->phys_start - aligned_start;
  if (in_segment < head || in_segment - head + page_size_ > r->file_bytes) return nullptr;
  uint64_t offset = r->file_offset + (in_segment - head);
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

Status PhysicalMemory::read_page(uint64_t pfn, uint8_t* out) {
  if (const uint8_t* p = map_page(pfn)) {
    std::memcpy(out, p, page_size_);
    return {};
  }
  const Range* r = find(pfn);
  if (!r) {
    return Error{format("pfn 0x%llx is not in any PT_LOAD segment of %s",
                        static_cast<unsigned long long>(pfn), path_.c_str())};
  }
  std::memset(out, 0, page_size_);
  // Intersect the page with the segment's bytes that are in the file.
  uint64_t page_phys = pfn * page_size_;
  uint64_t seg_lo = r->phys_start, seg_hi = r->phys_start + r->file_bytes;
  uint64_t lo = std::max(page_phys, seg_lo), hi = std::min(page_phys + page_size_, seg_hi);
  if (lo >= hi) return {};
  uint64_t offset = r->file_offset + (lo - r->phys_start);
  size_t len = static_cast<size_t>(hi - lo);
  uint8_t* dst = out + (lo - page_phys);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd_, dst + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, format("read pfn 0x%llx at offset 0x%llx of %s",
                                             static_cast<unsigned long long>(pfn),
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

Status PhysicalMemory::read(uint64_t phys, void* out, size_t len) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  std::vector<uint8_t> page(page_size_);
  while (len > 0) {
    uint64_t pfn = phys / page_size_;
    size_t in_page = static_cast<size_t>(phys % page_size_);
    size_t n = std::min(len, static_cast<size_t>(page_size_) - in_page);
    if (const Range* r = find(pfn); r && r->truncated && phys + n > r->phys_start + r->file_bytes) {
      return Error{format("physical address 0x%llx is missing from %s (the file is truncated)",
                          static_cast<unsigned long long>(phys), path_.c_str())};
    }
    if (const uint8_t* p = map_page(pfn)) {
      std::memcpy(dst, p + in_page, n);
    } else {
      if (auto s = read_page(pfn, page.data()); !s) {
        return Error{format("physical address 0x%llx: %s", static_cast<unsigned long long>(phys),
                            s.error().message.c_str())};
      }
      std::memcpy(dst, page.data() + in_page, n);
    }
    dst += n;
    phys += n;
    len -= n;
  }
  return {};
}

}  // namespace kdk::vmcore
