// `kdumpkit estimate`'s arithmetic: the initramfs as it sits in memory, the
// kernel's footprint from the guests' /proc/iomem, the two peaks (boot,
// capture), struct page for the reservation, and the CPUs a reservation
// affords.
#include "loader/estimate.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "initramfs/cpio_writer.h"
#include "util/fd.h"

using namespace kdk;
using namespace kdk::loader;

namespace {

std::string guest_iomem(const std::string& guest) {
  auto t = read_file(std::string(KDK_SOURCE_DIR) + "/tests/loader/data/" + guest + "/iomem.txt");
  REQUIRE(t.ok());
  return *t;
}

std::vector<uint8_t> archive_bytes(const initramfs::CpioArchive& a) {
  char tmpl[] = "/tmp/kdk-estimate-XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  REQUIRE(a.write_to(fd, tmpl).ok());
  ::close(fd);
  auto t = read_file(tmpl);
  ::unlink(tmpl);
  REQUIRE(t.ok());
  return std::vector<uint8_t>(t->begin(), t->end());
}

}  // namespace

TEST_CASE("the initramfs in memory: page-rounded files, modules, the archive itself", "[loader][estimate]") {
  initramfs::CpioArchive a;
  a.add_file("/init", std::string(10000, 'x'), 0755);                               // 3 pages
  a.add_file("/etc/kdumpkit.conf", "target = disk:LABEL=x\n");                      // 1 page
  a.add_file("/lib/modules/6.1/kernel/fs/ext4/ext4.ko", std::string(5000, 'e'));    // 2 pages
  a.add_file("/lib/modules/6.1/kernel/fs/xfs/xfs.ko.zst", std::string(1000, 'z'));  // 1 page
  a.add_symlink("/bin/sh", "/init");
  a.add_char_device("/dev/console", 5, 1);
  auto bytes = archive_bytes(a);
  auto s = summarize_cpio(bytes);
  REQUIRE(s.ok());
  CHECK(s->archive_bytes == bytes.size());
  CHECK(s->files == 4);
  CHECK(s->unpacked_bytes == 7 * 4096);
  CHECK(s->modules == 2);
  CHECK(s->compressed_modules == 1);
  CHECK(s->module_bytes == 5000 + 4 * 1000);

  bytes[0] = 'x';
  CHECK_FALSE(summarize_cpio(bytes).ok());
  auto cut = archive_bytes(a);
  cut.resize(400);
  CHECK_FALSE(summarize_cpio(cut).ok());
}

TEST_CASE("the kernel's footprint from the guests' /proc/iomem", "[loader][estimate]") {
  auto k = kernel_footprint_from_iomem(guest_iomem("seabios-1g"));
  REQUIRE(k.ok());
  // 38e00000-39c01d31 code, 39e00000-3a6eafff rodata, 3a800000-3aa4897f data, 3b110000-3c1fffff bss
  CHECK(k->resident_bytes == 0xe01d32 + 0x8eb000 + 0x248980 + 0x10f0000);
  CHECK(k->span_bytes == 0x3c200000 - 0x38e00000);
  auto k4 = kernel_footprint_from_iomem(guest_iomem("uefi-4g"));
  REQUIRE(k4.ok());
  CHECK(k4->resident_bytes == k->resident_bytes);  // the same kernel, elsewhere
  CHECK_FALSE(kernel_footprint_from_iomem("00000000-00000fff : Reserved\n").ok());
}

TEST_CASE("the estimate: the larger peak, struct page on top, CPUs beyond the first", "[loader][estimate]") {
  using namespace estimate_constants;
  EstimateInputs in;
  in.kernel = {52 << 20, 42 << 20, "test"};
  in.initramfs.archive_bytes = 9 << 20;
  in.initramfs.unpacked_bytes = 9 << 20;
  in.initramfs.module_bytes = 2 << 20;
  in.initramfs.files = 40;
  in.initramfs.modules = 12;
  Estimate one = estimate_crashkernel(in);
  CHECK(one.boot_kib == (52 + 9 + 9) * 1024 + kKernelAllocKiB);
  CHECK(one.run_kib == (42 + 9 + 2) * 1024 + kDefaultCaptureRssKiB + kKernelAllocKiB);  // no RAM given
  uint64_t need = std::max(one.boot_kib, one.run_kib);
  CHECK(one.memmap_kib * 63 >= need - 63);  // 64 bytes per 4096: 1/63 of what it covers
  CHECK(one.memmap_kib * 63 <= need + 63);
  CHECK(one.crashkernel_mib * 1024 >= need + one.memmap_kib);
  CHECK(one.crashkernel_mib * 1024 < need + one.memmap_kib + 1024 + need / 10);

  // A large capture RSS makes the capture the larger peak.
  in.capture_rss_kib = 64 << 10;
  in.rss_source = "earlier";
  Estimate big = estimate_crashkernel(in);
  CHECK(big.run_kib > big.boot_kib);
  CHECK(big.crashkernel_mib > one.crashkernel_mib);
  // A small recorded RSS never goes below the benchmark figure.
  in.capture_rss_kib = 100;
  CHECK(estimate_crashkernel(in).run_kib == one.run_kib);
  in.capture_rss_kib = 0;
  // The benchmark figure grows with the memory dumped, up to the engine's budget.
  in.ram_bytes = 4ULL << 30;
  CHECK(estimate_crashkernel(in).run_kib == one.run_kib + 4 * kRssPerGiBKiB);
  in.ram_bytes = 1ULL << 40;
  in.memory_budget_kib = 64 << 10;
  CHECK(estimate_crashkernel(in).run_kib == one.run_kib + (64 << 10));
  in.ram_bytes = 0;

  // A compressed archive: the kernel's decompressor workspace while it unpacks.
  in.initramfs.archive_bytes = 3 << 20;
  in.initramfs.unpack_workspace_bytes = 640 << 10;
  Estimate zstd = estimate_crashkernel(in);
  CHECK(zstd.boot_kib == one.boot_kib - 6 * 1024 + 640);
  CHECK(zstd.boot.back().what == "unpack workspace");
  in.initramfs.archive_bytes = 9 << 20;
  in.initramfs.unpack_workspace_bytes = 0;

  in.nr_cpus = 3;
  Estimate three = estimate_crashkernel(in);
  CHECK(three.boot_kib == one.boot_kib + 2 * kPerCpuKernelKiB);
  CHECK(three.run_kib == one.run_kib + 2 * (kPerCpuKernelKiB + kPerCpuWorkerKiB));
  CHECK(three.crashkernel_mib > one.crashkernel_mib);
}

TEST_CASE("nr_cpus = auto: the most CPUs the reservation affords, capped", "[loader][estimate]") {
  using namespace estimate_constants;
  EstimateInputs in;
  in.kernel = {52 << 20, 42 << 20, "test"};
  in.initramfs.archive_bytes = 9 << 20;
  in.initramfs.unpacked_bytes = 9 << 20;
  uint64_t one = estimate_crashkernel(in).crashkernel_mib << 20;
  in.nr_cpus = 2;
  uint64_t two = estimate_crashkernel(in).crashkernel_mib << 20;
  in.nr_cpus = 1;
  CHECK(affordable_cpus(in, one - (1 << 20), 8) == 1);  // not even one fits: still one
  CHECK(affordable_cpus(in, one, 8) == 1);
  CHECK(affordable_cpus(in, two, 8) == 2);
  CHECK(affordable_cpus(in, two, 1) == 1);  // one CPU online
  CHECK(affordable_cpus(in, 1ULL << 30, 64) == kMaxAutoCpus);
}
