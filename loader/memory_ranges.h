// Physical memory-range arithmetic for the kexec_load path, pure (no I/O):
// /proc/iomem and /sys/firmware/memmap parsed into ranges, the ranges the
// ELF core header describes, the e820 map the capture kernel gets, and the
// placement of segments in free memory. The rules follow what the kernel's
// own kexec_file_load does (arch/x86/kernel/crash.c), so that both loaders
// describe the same machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::loader {

// [start, end): half-open. /proc/iomem's inclusive ends become end = last + 1
// (an end of 2^64 - 1 is kept as 2^64 - 1: the last byte of the address space
// is never RAM).
struct Range {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t size() const { return end > start ? end - start : 0; }
  bool empty() const { return end <= start; }
  bool contains(const Range& r) const { return r.start >= start && r.end <= end; }
  bool operator==(const Range&) const = default;
};

std::string describe(const Range& r);  // "0x1000-0x9fbff" (inclusive, like /proc/iomem)
std::string describe(const std::vector<Range>& rs);

// One line of /proc/iomem: "  00100000-3ffdffff : System RAM" (depth 1).
struct IomemEntry {
  Range range;
  std::string name;
  int depth = 0;  // indentation / 2
};

// Parses /proc/iomem. Errors name the line. All-zero addresses (a reader
// without CAP_SYS_ADMIN sees those) are refused: they describe nothing.
Result<std::vector<IomemEntry>> parse_iomem(std::string_view text);

// The outermost entries whose name is `name` (or starts with it followed by
// " (", as "System RAM (kmem)"), at any depth but never inside another such
// entry: what the kernel's walk_iomem_res_desc visits.
std::vector<Range> outermost(const std::vector<IomemEntry>& iomem, std::string_view name);

// Sorted, merged (touching or overlapping ranges become one), empty removed.
std::vector<Range> normalize(std::vector<Range> ranges);
// `from` without `cut`.
std::vector<Range> subtract(const std::vector<Range>& from, const Range& cut);
std::vector<Range> subtract(const std::vector<Range>& from, const std::vector<Range>& cut);
std::vector<Range> intersect(const std::vector<Range>& from, const Range& window);

constexpr uint64_t kLowMemoryEnd = 1ULL << 20;  // the low 1 MiB

// The "Crash kernel" reservations (one, or a high and a low one with
// crashkernel=X,high). Empty when nothing is reserved.
std::vector<Range> crash_reservations(const std::vector<IomemEntry>& iomem);

// The System RAM the ELF core header describes (one PT_LOAD each): the
// outermost System RAM ranges without the low 1 MiB (always reserved by
// the kernel since 5.13, so not dumped: no backup region needed) and
// without the crash reservations.
std::vector<Range> dumpable_ram(const std::vector<IomemEntry>& iomem);

// e820 types.
enum class E820Type : uint32_t { kRam = 1, kReserved = 2, kAcpi = 3, kNvs = 4, kUnusable = 5, kPmem = 7 };
struct E820Entry {
  uint64_t addr = 0;
  uint64_t size = 0;
  E820Type type = E820Type::kRam;
  bool operator==(const E820Entry&) const = default;
};
std::string describe(const std::vector<E820Entry>& map);

// The capture kernel's memory map, as the kernel's crash_setup_memmap_entries
// builds it: System RAM below 1 MiB as RAM, "ACPI Tables", "ACPI
// Non-volatile Storage" and "Reserved" as such, and the crash reservations
// as RAM without `excluded` (the ELF core header's segment: the capture
// kernel must not use it as memory). Pieces under a page are dropped.
// Sorted by address.
std::vector<E820Entry> crash_e820(const std::vector<IomemEntry>& iomem, const std::vector<Range>& excluded);

// /sys/firmware/memmap/N/{start,end,type} (inclusive end, type as text):
// the firmware's map, what a kernel started by kexec (not for a crash) gets.
struct FirmwareMapEntry {
  std::string start, end, type;
};
Result<std::vector<E820Entry>> firmware_e820(const std::vector<FirmwareMapEntry>& entries);
// The RAM of such a map.
std::vector<Range> ram_of(const std::vector<E820Entry>& map);

// Free memory, handed out piece by piece.
class MemoryPool {
 public:
  explicit MemoryPool(std::vector<Range> free) : free_(normalize(std::move(free))) {}
  // Takes `size` bytes aligned to `align` (a power of two) inside `window`:
  // the lowest such place, or the highest when `top_down`. The error says
  // what did not fit where.
  Result<uint64_t> take(uint64_t size, uint64_t align, bool top_down, Range window, std::string_view what);
  const std::vector<Range>& free() const { return free_; }

 private:
  std::vector<Range> free_;
};

}  // namespace kdk::loader
