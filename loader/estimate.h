// `kdumpkit estimate`: the crashkernel= this machine and configuration need,
// built from measured figures, and the capture kernel's CPUs that a
// reservation affords (`nr_cpus = auto`, the default). Pure: the figures
// are gathered by the caller (loader/load.cc).
//
// The capture kernel needs the most memory at one of two moments:
//   boot: the kernel's whole image (_text to _end: init code and section
//         gaps are freed only later) + the initramfs archive + its unpacked
//         copy in tmpfs (the archive is freed only after unpacking)
//   run:  the kernel's resident image + the unpacked initramfs + the loaded
//         modules + the capture's peak RSS
// Both add the kernel's own allocations (page tables, slab, stacks, per-CPU
// areas, hash tables; measured) and, per CPU beyond the first, that CPU's
// kernel allocations and a compression worker. struct page for the whole
// reservation (64 bytes per 4 KiB) comes on top.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::loader {

// The capture initramfs as it will sit in memory: a cpio newc archive
// (summarize_cpio reads it uncompressed; the caller fills in the compressed
// size and the decompressor's workspace).
struct CpioSummary {
  uint64_t archive_bytes = 0;           // as the kernel receives it (compressed or not)
  uint64_t unpack_workspace_bytes = 0;  // the kernel's decompressor while it unpacks (0: uncompressed)
  uint64_t unpacked_bytes = 0;          // file data rounded up to pages, as tmpfs holds it
  uint64_t module_bytes = 0;            // the .ko files (what loading them costs again)
  size_t files = 0;
  size_t modules = 0;
  size_t compressed_modules = 0;  // .ko.xz/.ko.zst: counted at 4 times their size when loaded
};
Result<CpioSummary> summarize_cpio(std::span<const uint8_t> archive);

struct KernelFootprint {
  uint64_t span_bytes = 0;      // _text to _end: what boot reserves
  uint64_t resident_bytes = 0;  // code, rodata, data, bss: what stays
  std::string source;           // where the figures come from, for the breakdown
};
// From /proc/iomem's "Kernel code/rodata/data/bss" (the running kernel, when
// it is also the capture kernel).
Result<KernelFootprint> kernel_footprint_from_iomem(std::string_view iomem);
// From a bzImage's init_size, when the capture kernel is another one: an
// upper bound (init_size also covers the decompressor's work area).
KernelFootprint kernel_footprint_from_init_size(uint64_t init_size, const std::string& image);

struct EstimateInputs {
  KernelFootprint kernel;
  CpioSummary initramfs;
  std::string initramfs_source;
  uint64_t capture_rss_kib = 0;  // peak RSS of earlier captures; 0: none known, the benchmark default is used
  std::string rss_source;
  uint64_t ram_bytes = 0;                 // the machine's RAM (what is dumped)
  uint64_t memory_budget_kib = 64 << 10;  // the dump engine's bound (memory_budget)
  unsigned nr_cpus = 1;
};

struct EstimateLine {
  std::string what;
  uint64_t kib = 0;
  std::string note;
};

struct Estimate {
  std::vector<EstimateLine> boot, run;  // the two moments' parts
  uint64_t boot_kib = 0, run_kib = 0;
  uint64_t memmap_kib = 0;  // struct page of the reservation
  uint64_t margin_kib = 0;
  uint64_t crashkernel_mib = 0;  // the recommendation, whole MiB
  unsigned nr_cpus = 1;
};

// Measured constants (Debian 6.1 in QEMU, qemu/bench-capture.sh; README).
namespace estimate_constants {
extern const uint64_t kKernelAllocKiB;        // the kernel's own allocations with one CPU
extern const uint64_t kPerCpuKernelKiB;       // each further CPU's kernel allocations
extern const uint64_t kPerCpuWorkerKiB;       // each further compression worker's memory
extern const uint64_t kDefaultCaptureRssKiB;  // the capture's peak RSS with one worker
extern const uint64_t kRssPerGiBKiB;          // its growth per GiB dumped
extern const unsigned kMaxAutoCpus;           // nr_cpus = auto goes no higher
extern const unsigned kMarginPercent;         // added to the total
}  // namespace estimate_constants

Estimate estimate_crashkernel(const EstimateInputs& in);

// The most CPUs (1 .. min(online, kMaxAutoCpus)) whose estimate fits
// `reserved_bytes`; 1 when even one does not fit.
unsigned affordable_cpus(EstimateInputs in, uint64_t reserved_bytes, unsigned online);

// The printed breakdown.
std::string describe_estimate(const Estimate& e, const EstimateInputs& in, uint64_t reserved_bytes);

}  // namespace kdk::loader
