#include "loader/estimate.h"

#include <algorithm>
#include <cstring>

#include "loader/memory_ranges.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::loader {

namespace estimate_constants {
// See README ("How much memory to reserve") for the measurements.
// The smallest working crashkernel= of a 1 GiB guest (98M, 96M fails: OOM
// while the initramfs unpacks) less the boot-time parts measured on it.
// Checked again with the zstd archive (2026-12-03): 96M works, 94M fails,
// and the same constant recommends 100M.
const uint64_t kKernelAllocKiB = 28 * 1024;
// 1 and 2 CPUs need the same crashkernel= to 2 MiB; the per-CPU area is
// 248 KiB ("percpu: Embedded 62 pages/cpu"), plus each CPU's kernel threads.
const uint64_t kPerCpuKernelKiB = 1024;
// Peak RSS 8592 KiB with two workers, 6388 KiB with one (1 GiB guest).
const uint64_t kPerCpuWorkerKiB = 2304;
// Peak RSS with one worker: 6388 KiB dumping 1 GiB, 6644 KiB dumping 4 GiB;
// beyond that extrapolated, and never above the engine's memory budget.
const uint64_t kDefaultCaptureRssKiB = 6300;
const uint64_t kRssPerGiBKiB = 86;
const unsigned kMaxAutoCpus = 4;
const unsigned kMarginPercent = 5;
}  // namespace estimate_constants

namespace {

using namespace estimate_constants;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kStructPage = 64;

uint64_t kib(uint64_t bytes) { return (bytes + 1023) / 1024; }
uint64_t page_round(uint64_t v) { return (v + kPage - 1) / kPage * kPage; }

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::string mib(uint64_t kib) { return format("%6.1f MiB", static_cast<double>(kib) / 1024.0); }

}  // namespace

Result<CpioSummary> summarize_cpio(std::span<const uint8_t> a) {
  CpioSummary s;
  s.archive_bytes = a.size();
  size_t at = 0;
  for (;;) {
    if (a.size() - at < 110 || std::memcmp(a.data() + at, "070701", 6) != 0) {
      return Error{format("initramfs: no cpio newc header at offset %zu", at)};
    }
    auto field = [&](int i) {
      unsigned long long v = 0;
      parse_u64(std::string_view(reinterpret_cast<const char*>(a.data() + at + 6 + 8 * i), 8), v, 16);
      return v;
    };
    uint64_t mode = field(1), filesize = field(6), namesize = field(11);
    size_t name_at = at + 110;
    if (namesize == 0 || namesize > a.size() - name_at)
      return Error{format("initramfs: bad name at offset %zu", at)};
    std::string name(reinterpret_cast<const char*>(a.data() + name_at), namesize - 1);
    size_t data_at = (name_at + namesize + 3) & ~size_t{3};
    if (data_at > a.size() || filesize > a.size() - data_at) {
      return Error{format("initramfs: entry \"%s\" runs past the end", name.c_str())};
    }
    if (name == "TRAILER!!!") break;
    if ((mode & 0170000) == 0100000) {
      s.files++;
      s.unpacked_bytes += page_round(filesize);
      if (ends_with(name, ".ko") || ends_with(name, ".ko.xz") || ends_with(name, ".ko.zst") ||
          ends_with(name, ".ko.gz")) {
        s.modules++;
        bool compressed = !ends_with(name, ".ko");
        s.compressed_modules += compressed;
        s.module_bytes += compressed ? 4 * filesize : filesize;
      }
    }
    at = (data_at + filesize + 3) & ~size_t{3};
  }
  return s;
}

Result<KernelFootprint> kernel_footprint_from_iomem(std::string_view text) {
  auto iomem = parse_iomem(text);
  if (!iomem) return iomem.error();
  KernelFootprint k;
  uint64_t first = ~0ULL, last = 0;
  for (const char* name : {"Kernel code", "Kernel rodata", "Kernel data", "Kernel bss"}) {
    for (const auto& r : outermost(*iomem, name)) {
      k.resident_bytes += r.size();
      first = std::min(first, r.start);
      last = std::max(last, r.end);
    }
  }
  if (!k.resident_bytes) return Error{"/proc/iomem names no \"Kernel code\" (read it as root)"};
  k.span_bytes = last - first;
  k.source = "the running kernel's sections in /proc/iomem";
  return k;
}

KernelFootprint kernel_footprint_from_init_size(uint64_t init_size, const std::string& image) {
  return {init_size, init_size, "init_size of " + image + " (an upper bound)"};
}

Estimate estimate_crashkernel(const EstimateInputs& in) {
  Estimate e;
  e.nr_cpus = std::max(1u, in.nr_cpus);
  uint64_t extra = e.nr_cpus - 1;
  const CpioSummary& rd = in.initramfs;
  uint64_t ram_gib = (in.ram_bytes + (1ULL << 30) - 1) >> 30;
  uint64_t typical = kDefaultCaptureRssKiB + std::min(ram_gib * kRssPerGiBKiB, in.memory_budget_kib);
  uint64_t rss = std::max(in.capture_rss_kib, typical);

  e.boot = {
      {"kernel image", kib(in.kernel.span_bytes), "_text to _end, " + in.kernel.source},
      {"initramfs archive", kib(rd.archive_bytes), "held until it is unpacked, " + in.initramfs_source},
      {"initramfs unpacked", kib(rd.unpacked_bytes), format("%zu files in tmpfs", rd.files)},
      {"kernel allocations", kKernelAllocKiB, "page tables, slab, stacks, per-CPU areas (measured)"},
  };
  if (rd.unpack_workspace_bytes) {
    e.boot.push_back({"unpack workspace", kib(rd.unpack_workspace_bytes), "the kernel's zstd window and buffers"});
  }
  e.run = {
      {"kernel image", kib(in.kernel.resident_bytes), "code, rodata, data, bss"},
      {"initramfs unpacked", kib(rd.unpacked_bytes), format("%zu files in tmpfs", rd.files)},
      {"modules loaded", kib(rd.module_bytes), format("%zu modules", rd.modules)},
      {"capture peak RSS", rss,
       in.capture_rss_kib > typical
           ? in.rss_source
           : format("benchmark figure for %llu GiB%s", static_cast<unsigned long long>(ram_gib),
                    in.capture_rss_kib ? (", more than " + in.rss_source).c_str() : "")},
      {"kernel allocations", kKernelAllocKiB, "page tables, slab, stacks, per-CPU areas (measured)"},
  };
  if (extra) {
    e.boot.push_back({"further CPUs", extra * kPerCpuKernelKiB,
                      format("%llu x kernel per-CPU memory", static_cast<unsigned long long>(extra))});
    e.run.push_back({"further CPUs", extra * (kPerCpuKernelKiB + kPerCpuWorkerKiB),
                     format("%llu x (kernel per-CPU memory + a compression worker)",
                            static_cast<unsigned long long>(extra))});
  }
  for (const auto& l : e.boot) e.boot_kib += l.kib;
  for (const auto& l : e.run) e.run_kib += l.kib;
  uint64_t need = std::max(e.boot_kib, e.run_kib);
  // struct page for every page of the reservation: X = need + X * 64 / 4096.
  uint64_t total = (need * kPage + (kPage - kStructPage) - 1) / (kPage - kStructPage);
  e.memmap_kib = total - need;
  e.margin_kib = (total * kMarginPercent + 99) / 100;
  e.crashkernel_mib = (total + e.margin_kib + 1023) / 1024;
  return e;
}

unsigned affordable_cpus(EstimateInputs in, uint64_t reserved_bytes, unsigned online) {
  unsigned best = 1;
  unsigned limit = std::max(1u, std::min(online, kMaxAutoCpus));
  for (unsigned n = 2; n <= limit; n++) {
    in.nr_cpus = n;
    if (estimate_crashkernel(in).crashkernel_mib * (1ULL << 20) <= reserved_bytes) best = n;
  }
  return best;
}

std::string describe_estimate(const Estimate& e, const EstimateInputs& in, uint64_t reserved_bytes) {
  std::string out;
  auto section = [&](const char* title, const std::vector<EstimateLine>& lines, uint64_t total,
                     bool binding) {
    out += format("%s%s\n", title, binding ? " (the larger: this sets the size)" : "");
    for (const auto& l : lines)
      out += format("  %-20s %s  %s\n", l.what.c_str(), mib(l.kib).c_str(), l.note.c_str());
    out += format("  %-20s %s\n", "total", mib(total).c_str());
  };
  out += format("capture kernel with nr_cpus=%u\n", e.nr_cpus);
  section("while it boots:", e.boot, e.boot_kib, e.boot_kib >= e.run_kib);
  section("while it captures:", e.run, e.run_kib, e.run_kib > e.boot_kib);
  out += format("struct page for the reservation: %s (64 bytes per 4 KiB page)\n", mib(e.memmap_kib).c_str());
  out += format("margin:                          %s (%u%%: run-to-run variation)\n",
                mib(e.margin_kib).c_str(), kMarginPercent);
  out += format("Recommended: crashkernel=%lluM\n", static_cast<unsigned long long>(e.crashkernel_mib));
  if (reserved_bytes) {
    out += format("Reserved now: %lluM (%s)\n", static_cast<unsigned long long>(reserved_bytes >> 20),
                  reserved_bytes >= e.crashkernel_mib << 20 ? "enough" : "TOO SMALL");
  } else {
    out += "Reserved now: none (add crashkernel= to the kernel command line)\n";
  }
  (void)in;
  return out;
}

}  // namespace kdk::loader
