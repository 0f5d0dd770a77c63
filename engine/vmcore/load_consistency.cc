#include "engine/vmcore/load_consistency.h"

#include <algorithm>
#include <cstring>

#include "util/fd.h"
#include "util/format.h"

namespace kdk::vmcore {

namespace {

using ull = unsigned long long;

// Overlapping pairs whose bytes are compared: a file of garbage headers must
// not become a file of reads.
constexpr int kComparedPairs = 16;

// The physical range a segment's file data covers.
struct DataRange {
  uint64_t first;
  uint64_t end;
  const LoadSegment* seg;
};

bool same_bytes(int fd, const LoadSegment& a, const LoadSegment& b, uint64_t phys, uint64_t page_size,
                std::vector<uint8_t>& buf) {
  buf.resize(2 * page_size);
  const auto at_a = static_cast<off_t>(a.file_offset + (phys - a.phys_addr));
  const auto at_b = static_cast<off_t>(b.file_offset + (phys - b.phys_addr));
  // A page that cannot be read is not evidence either way.
  if (!pread_exact(fd, buf.data(), page_size, at_a, "the vmcore")) return true;
  if (!pread_exact(fd, buf.data() + page_size, page_size, at_b, "the vmcore")) return true;
  return std::memcmp(buf.data(), buf.data() + page_size, page_size) == 0;
}

void check_sizes(std::vector<LoadSegment>& loads, std::vector<std::string>& out) {
  for (auto& seg : loads) {
    const uint64_t filesz = seg.file_size + seg.missing_bytes;
    if (filesz == 0 && seg.mem_size == 0) {
      out.push_back(format("empty PT_LOAD at file offset 0x%llx (physical 0x%llx): p_filesz and p_memsz are 0",
                           static_cast<ull>(seg.file_offset), static_cast<ull>(seg.phys_addr)));
    } else if (filesz > seg.mem_size) {
      out.push_back(format("implausible PT_LOAD: physical 0x%llx has 0x%llx bytes in the file but p_memsz 0x%llx; "
                           "the bytes past p_memsz are not read",
                           static_cast<ull>(seg.phys_addr), static_cast<ull>(filesz),
                           static_cast<ull>(seg.mem_size)));
      seg.file_size = std::min(seg.file_size, seg.mem_size);
      seg.missing_bytes = std::min(seg.missing_bytes, seg.mem_size - seg.file_size);
    }
  }
}

void check_alignment(const std::vector<LoadSegment>& loads, uint64_t page_size, std::vector<std::string>& out) {
  const LoadSegment* odd = nullptr;
  size_t with_data = 0, odd_count = 0;
  for (const auto& seg : loads) {
    if (seg.file_size == 0) continue;
    ++with_data;
    if ((seg.file_offset - seg.phys_addr) % page_size != 0) {
      odd = &seg;
      ++odd_count;
    }
  }
  if (with_data < 3 || odd_count != 1) return;
  out.push_back(format("implausible PT_LOAD: physical 0x%llx is at file offset 0x%llx, not page-aligned like "
                       "every other PT_LOAD's data; its pages are likely read shifted",
                       static_cast<ull>(odd->phys_addr), static_cast<ull>(odd->file_offset)));
}

void check_overlaps(const std::vector<LoadSegment>& loads, int fd, uint64_t page_size,
                    std::vector<std::string>& out) {
  std::vector<DataRange> r;
  for (const auto& seg : loads) {
    if (seg.file_size >= page_size && seg.phys_addr <= UINT64_MAX - seg.file_size)
      r.push_back({seg.phys_addr, seg.phys_addr + seg.file_size, &seg});
  }
  std::sort(r.begin(), r.end(), [](const DataRange& a, const DataRange& b) {
    return a.first != b.first ? a.first < b.first : a.end > b.end;
  });
  std::vector<uint8_t> buf;
  int compared = 0;
  const DataRange* reach = nullptr;  // of the ranges so far, the one that ends last
  for (const auto& cur : r) {
    if (reach && cur.first < reach->end) {
      if (cur.end > reach->end) {
        out.push_back(format("implausible PT_LOADs: physical 0x%llx-0x%llx and 0x%llx-0x%llx partly overlap",
                             static_cast<ull>(reach->first), static_cast<ull>(reach->end),
                             static_cast<ull>(cur.first), static_cast<ull>(cur.end)));
      } else if (compared < kComparedPairs) {
        ++compared;
        // The overlap's whole pages, sampled evenly.
        const uint64_t first = (cur.first + page_size - 1) / page_size, end = cur.end / page_size;
        const uint64_t pages = end > first ? end - first : 0;
        const uint64_t samples = std::min<uint64_t>(pages, kComparedPages);
        for (uint64_t i = 0; i < samples; ++i) {
          const uint64_t phys = (first + i * pages / samples) * page_size;
          if (same_bytes(fd, *reach->seg, *cur.seg, phys, page_size, buf)) continue;
          out.push_back(format("implausible PT_LOADs: physical 0x%llx-0x%llx and 0x%llx-0x%llx hold different "
                               "bytes for physical 0x%llx; one of their headers is wrong",
                               static_cast<ull>(reach->first), static_cast<ull>(reach->end),
                               static_cast<ull>(cur.first), static_cast<ull>(cur.end), static_cast<ull>(phys)));
          break;
        }
      }
    }
    if (!reach || cur.end > reach->end) reach = &cur;
  }
}

void check_linear_maps(const std::vector<LoadSegment>& loads, std::vector<std::string>& out) {
  // vaddr - paddr: one value per mapping (the direct map, the kernel text's).
  // Two mappings lie terabytes apart; values closer than kSameMapping are one
  // mapping with a wrong p_paddr or p_vaddr.
  constexpr uint64_t kSameMapping = 1ULL << 44;
  std::vector<std::pair<uint64_t, const LoadSegment*>> d;
  for (const auto& seg : loads) {
    if (seg.mem_size != 0 && seg.virt_addr != 0 && seg.virt_addr != ~0ULL)
      d.emplace_back(seg.virt_addr - seg.phys_addr, &seg);
  }
  std::sort(d.begin(), d.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < d.size(); ++i) {
    if (d[i].first == d[i - 1].first || d[i].first - d[i - 1].first >= kSameMapping) continue;
    out.push_back(format("implausible PT_LOADs: physical 0x%llx and 0x%llx are mapped at virtual 0x%llx and "
                         "0x%llx, offsets 0x%llx apart in one linear mapping; one of their headers is wrong",
                         static_cast<ull>(d[i - 1].second->phys_addr), static_cast<ull>(d[i].second->phys_addr),
                         static_cast<ull>(d[i - 1].second->virt_addr), static_cast<ull>(d[i].second->virt_addr),
                         static_cast<ull>(d[i].first - d[i - 1].first)));
  }
}

}  // namespace

std::vector<std::string> check_load_consistency(std::vector<LoadSegment>& loads, int fd, uint64_t page_size) {
  std::vector<std::string> out;
  if (page_size == 0 || (page_size & (page_size - 1)) != 0) page_size = 4096;  // the contract, kept cheaply
  check_sizes(loads, out);
  check_alignment(loads, page_size, out);
  check_overlaps(loads, fd, page_size, out);
  check_linear_maps(loads, out);
  return out;
}

}  // namespace kdk::vmcore
