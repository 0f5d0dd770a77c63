#include "loader/memory_ranges.h"

#include <algorithm>

#include "util/format.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

constexpr uint64_t kPage = 4096;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool name_matches(std::string_view entry, std::string_view name) {
  if (entry == name) return true;
  return entry.size() > name.size() + 1 && entry.substr(0, name.size()) == name &&
         entry.substr(name.size(), 2) == " (";
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

}  // namespace

std::string describe(const Range& r) {
  return format("0x%llx-0x%llx", static_cast<unsigned long long>(r.start),
                static_cast<unsigned long long>(r.end - 1));
}

std::string describe(const std::vector<Range>& rs) {
  std::string out;
  for (const auto& r : rs) out += (out.empty() ? "" : " ") + describe(r);
  return out.empty() ? "(none)" : out;
}

std::string describe(const std::vector<E820Entry>& map) {
  std::string out;
  for (const auto& e : map) {
    out += format("%s[mem 0x%016llx-0x%016llx] %u", out.empty() ? "" : "\n",
                  static_cast<unsigned long long>(e.addr),
                  static_cast<unsigned long long>(e.addr + e.size - 1), static_cast<unsigned>(e.type));
  }
  return out;
}

Result<std::vector<IomemEntry>> parse_iomem(std::string_view text) {
  std::vector<IomemEntry> out;
  int n = 0;
  bool any_nonzero = false;
  for (auto line : lines(text)) {
    ++n;
    if (trim(line).empty()) continue;
    size_t indent = line.find_first_not_of(' ');
    size_t dash = line.find('-', indent);
    size_t colon = line.find(" : ", indent);
    unsigned long long first = 0, last = 0;
    if (dash == std::string_view::npos || colon == std::string_view::npos || dash > colon ||
        !parse_u64(line.substr(indent, dash - indent), first, 16) ||
        !parse_u64(trim(line.substr(dash + 1, colon - dash - 1)), last, 16) || last < first) {
      return Error{format("/proc/iomem line %d: expected \"START-END : NAME\", found \"%s\"", n,
                          std::string(line).c_str())};
    }
    if (first || last) any_nonzero = true;
    IomemEntry e;
    e.range = {first, last == ~0ULL ? last : last + 1};
    e.name = std::string(trim(line.substr(colon + 3)));
    e.depth = static_cast<int>(indent / 2);
    out.push_back(std::move(e));
  }
  if (!out.empty() && !any_nonzero) {
    return Error{"/proc/iomem shows only zero addresses: it must be read as root (CAP_SYS_ADMIN)"};
  }
  return out;
}

std::vector<Range> outermost(const std::vector<IomemEntry>& iomem, std::string_view name) {
  std::vector<Range> out;
  int inside = -1;  // depth of the matching entry we are inside of, -1 when none
  for (const auto& e : iomem) {
    if (inside >= 0 && e.depth <= inside) inside = -1;
    if (inside >= 0) continue;
    if (name_matches(e.name, name)) {
      out.push_back(e.range);
      inside = e.depth;
    }
  }
  return out;
}

std::vector<Range> normalize(std::vector<Range> ranges) {
  std::erase_if(ranges, [](const Range& r) { return r.empty(); });
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
  std::vector<Range> out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.start <= out.back().end) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<Range> subtract(const std::vector<Range>& from, const Range& cut) {
  std::vector<Range> out;
  for (const auto& r : from) {
    if (cut.empty() || cut.end <= r.start || cut.start >= r.end) {
      out.push_back(r);
      continue;
    }
    if (cut.start > r.start) out.push_back({r.start, cut.start});
    if (cut.end < r.end) out.push_back({cut.end, r.end});
  }
  return out;
}

std::vector<Range> subtract(const std::vector<Range>& from, const std::vector<Range>& cut) {
  std::vector<Range> out = from;
  for (const auto& c : cut) out = subtract(out, c);
  return out;
}

std::vector<Range> intersect(const std::vector<Range>& from, const Range& window) {
  std::vector<Range> out;
  for (const auto& r : from) {
    Range i{std::max(r.start, window.start), std::min(r.end, window.end)};
    if (!i.empty()) out.push_back(i);
  }
  return out;
}

std::vector<Range> crash_reservations(const std::vector<IomemEntry>& iomem) {
  return normalize(outermost(iomem, "Crash kernel"));
}

std::vector<Range> dumpable_ram(const std::vector<IomemEntry>& iomem) {
  std::vector<Range> ram = outermost(iomem, "System RAM");
  ram = subtract(ram, Range{0, kLowMemoryEnd});
  return subtract(ram, crash_reservations(iomem));
}

std::vector<E820Entry> crash_e820(const std::vector<IomemEntry>& iomem, const std::vector<Range>& excluded) {
  std::vector<E820Entry> out;
  auto add = [&](const std::vector<Range>& ranges, E820Type type, bool whole_pages) {
    for (const auto& r : ranges) {
      if (whole_pages && r.size() < kPage) continue;
      out.push_back({r.start, r.size(), type});
    }
  };
  add(intersect(outermost(iomem, "System RAM"), Range{0, kLowMemoryEnd}), E820Type::kRam, false);
  add(outermost(iomem, "ACPI Tables"), E820Type::kAcpi, false);
  add(outermost(iomem, "ACPI Non-volatile Storage"), E820Type::kNvs, false);
  add(outermost(iomem, "Reserved"), E820Type::kReserved, false);
  add(subtract(crash_reservations(iomem), excluded), E820Type::kRam, true);
  std::stable_sort(out.begin(), out.end(),
                   [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
  return out;
}

Result<std::vector<E820Entry>> firmware_e820(const std::vector<FirmwareMapEntry>& entries) {
  std::vector<E820Entry> out;
  for (const auto& f : entries) {
    unsigned long long start = 0, end = 0;
    if (!parse_u64(trim(f.start), start, 0) || !parse_u64(trim(f.end), end, 0) || end < start) {
      return Error{"/sys/firmware/memmap: bad range \"" + f.start + "\"-\"" + f.end + "\""};
    }
    std::string type = lower(trim(f.type));
    E820Type t;
    if (type == "system ram") {
      t = E820Type::kRam;
    } else if (type == "acpi tables") {
      t = E820Type::kAcpi;
    } else if (type == "acpi non-volatile storage") {
      t = E820Type::kNvs;
    } else if (type == "unusable memory") {
      t = E820Type::kUnusable;
    } else if (type.find("persistent memory") == 0) {
      t = E820Type::kPmem;
    } else {
      t = E820Type::kReserved;  // "Reserved", "Soft Reserved", anything new: not ours to use
    }
    out.push_back({start, end - start + 1, t});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const E820Entry& a, const E820Entry& b) { return a.addr < b.addr; });
  return out;
}

std::vector<Range> ram_of(const std::vector<E820Entry>& map) {
  std::vector<Range> out;
  for (const auto& e : map) {
    if (e.type == E820Type::kRam) out.push_back({e.addr, e.addr + e.size});
  }
  return normalize(out);
}

Result<uint64_t> MemoryPool::take(uint64_t size, uint64_t align, bool top_down, Range window,
                                  std::string_view what) {
  if (align == 0 || (align & (align - 1)) != 0)
    return Error{format("%s: alignment %llu is not a power of two", std::string(what).c_str(),
                        static_cast<unsigned long long>(align))};
  std::vector<Range> candidates = intersect(free_, window);
  if (top_down) std::reverse(candidates.begin(), candidates.end());
  for (const auto& r : candidates) {
    if (r.size() < size) continue;
    uint64_t at;
    if (top_down) {
      at = align_down(r.end - size, align);
      if (at < r.start) continue;
    } else {
      at = align_up(r.start, align);
      if (at < r.start || at > r.end || r.end - at < size) continue;
    }
    free_ = subtract(free_, Range{at, at + size});
    return at;
  }
  uint64_t largest = 0;
  for (const auto& r : candidates) largest = std::max(largest, r.size());
  return Error{
      format("%s: no room for %llu KiB (aligned to %llu KiB) in %s; the largest free piece is %llu KiB",
             std::string(what).c_str(), static_cast<unsigned long long>(size >> 10),
             static_cast<unsigned long long>(align >> 10), describe(intersect(free_, window)).c_str(),
             static_cast<unsigned long long>(largest >> 10))};
}

}  // namespace kdk::loader
