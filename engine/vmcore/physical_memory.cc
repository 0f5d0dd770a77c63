#include "engine/vmcore/physical_memory.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/vmcore/elf_pages.h"
#include "engine/vmcore/kdump_pages.h"
#include "util/format.h"

namespace kdk::vmcore {

Result<PhysicalMemory> PhysicalMemory::create(const VmcoreFile& core, uint64_t page_size,
                                              uint64_t window_bytes) {
  if (page_size == 0 || (page_size & (page_size - 1)) != 0 || page_size > (1 << 20)) {
    return Error{format("page size %llu is not a power of two up to 1 MiB",
                        static_cast<unsigned long long>(page_size))};
  }
  PhysicalMemory m;
  m.path_ = core.path();
  m.page_size_ = page_size;
  if (core.kdump()) {
    auto b = make_kdump_pages(core.kdump(), page_size);
    if (!b) return b.error();
    m.backend_ = std::move(*b);
  } else {
    uint64_t window = window_bytes == 0 ? 0 : (window_bytes + page_size - 1) / page_size * page_size;
    m.backend_ = make_elf_pages(core.fd(), core.path(), core.size(), page_size, window);
  }
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

bool PhysicalMemory::available(uint64_t pfn) { return find(pfn) != nullptr && backend_->available(pfn); }

const uint8_t* PhysicalMemory::map_page(uint64_t pfn) {
  const Range* r = find(pfn);
  if (!r) return nullptr;
  return backend_->map_page(pfn, *r);
}

Status PhysicalMemory::read_page(uint64_t pfn, uint8_t* out) {
  const Range* r = find(pfn);
  if (!r) {
    return Error{format("pfn 0x%llx is not RAM in %s", static_cast<unsigned long long>(pfn), path_.c_str())};
  }
  return backend_->read_page(pfn, *r, out);
}

Status PhysicalMemory::read(uint64_t phys, void* out, size_t len) {
  uint8_t* dst = static_cast<uint8_t*>(out);
  std::vector<uint8_t> page;
  while (len > 0) {
    uint64_t pfn = phys / page_size_;
    size_t in_page = static_cast<size_t>(phys % page_size_);
    size_t n = std::min(len, static_cast<size_t>(page_size_) - in_page);
    const Range* r = find(pfn);
    if (r) {
      if (auto s = backend_->check_present(phys, n, *r); !s) return s;
    }
    if (const uint8_t* p = r ? backend_->map_page(pfn, *r) : nullptr) {
      std::memcpy(dst, p + in_page, n);
    } else {
      if (page.empty()) page.resize(page_size_);
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
