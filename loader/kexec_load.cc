#include "loader/kexec_load.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "loader/capture_cmdline.h"
#include "purgatory/image.h"
#include "purgatory/purgatory.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

constexpr uint64_t kPage = 4096;
constexpr unsigned long kKexecOnCrash = 0x1;
constexpr unsigned long kKexecArchX86_64 = 62UL << 16;
constexpr uint64_t kMinPurgatory = 0x3000;        // as the kernel's own loader
constexpr uint64_t kMinKernel = 0x100000;         // 1 MiB
constexpr uint64_t kMinRebootKernel = 0x1000000;  // 16 MiB: the kernel's usual pref_address

uint64_t page_align(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

template <class T>
T read_le(const std::vector<uint8_t>& b, size_t at) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); i++) v |= static_cast<T>(static_cast<T>(b[at + i]) << (8 * i));
  return v;
}

Result<uint64_t> read_hex_file(const std::string& path) {
  auto t = read_file(path);
  if (!t) return t.error();
  unsigned long long v = 0;
  if (!parse_u64(trim(*t), v, 0)) return Error{path + ": not a number: \"" + std::string(trim(*t)) + "\""};
  return v;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return out;
}

Result<std::vector<Range>> read_cpu_notes(const std::string& sys) {
  std::vector<Range> out;
  std::string base = sys + "/devices/system/cpu";
  for (const auto& name : list_dir(base)) {
    unsigned long long n = 0;
    if (name.size() < 4 || name.compare(0, 3, "cpu") != 0 || !parse_u64(name.substr(3), n)) continue;
    std::string dir = base + "/" + name;
    if (!path_exists(dir + "/crash_notes")) continue;
    auto addr = read_file(dir + "/crash_notes");
    auto size = read_file(dir + "/crash_notes_size");
    unsigned long long a = 0, s = 0;
    if (!addr || !size || !parse_u64(trim(*addr), a, 16) || !parse_u64(trim(*size), s, 10) || !a || !s) {
      return Error{dir + "/crash_notes: unreadable (need root, and a kernel with CONFIG_CRASH_DUMP)"};
    }
    out.push_back({a, a + s});
  }
  if (out.empty()) return Error{base + ": no CPU has crash_notes (a kernel without CONFIG_CRASH_DUMP?)"};
  return out;
}

Result<Range> read_vmcoreinfo(const std::string& sys) {
  std::string path = sys + "/kernel/vmcoreinfo";
  auto t = read_file(path);
  if (!t) return t.error();
  auto words = split_words(*t);  // "%pa %x": a 0x-prefixed address and a hex size
  unsigned long long a = 0, s = 0;
  if (words.size() != 2 || !parse_u64(words[0], a, 0) || !parse_u64(words[1], s, 16) || !a || !s) {
    return Error{path + ": expected \"ADDRESS SIZE\", found \"" + std::string(trim(*t)) + "\""};
  }
  return Range{a, a + s};
}

Result<KernelMapping> read_kcore(const std::string& proc) {
  std::string path = proc + "/kcore";
  auto fd = open_fd(path, O_RDONLY);
  if (!fd) return fd.error();
  std::vector<uint8_t> buf(4096);
  for (int tries = 0; tries < 3; tries++) {
    ssize_t n = ::pread(fd->get(), buf.data(), buf.size(), 0);
    if (n < 0) return Error::from_errno(errno, "read " + path);
    auto p = parse_kcore_headers(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
    if (!p) return p.error();
    if (p->needed == 0) return p->mapping;
    if (static_cast<size_t>(n) < buf.size()) return Error{path + ": program headers cut short"};
    buf.resize(p->needed);
  }
  return Error{path + ": program headers keep growing"};
}

Result<std::optional<EfiBootInfo>> read_efi(const std::string& sys, const std::vector<uint8_t>& boot_params,
                                            std::vector<std::string>& notes) {
  std::string efi = sys + "/firmware/efi";
  if (!path_exists(efi)) return std::optional<EfiBootInfo>{};
  std::string map = efi + "/runtime-map";
  if (!path_exists(map)) {
    notes.push_back(
        "booted by EFI, but " + map +
        " is missing (CONFIG_EFI_RUNTIME_MAP): the new kernel starts without EFI runtime services");
    return std::optional<EfiBootInfo>{};
  }
  EfiBootInfo e;
  auto vendor = read_hex_file(efi + "/fw_vendor");
  auto runtime = read_hex_file(efi + "/runtime");
  auto tables = read_hex_file(efi + "/config_table");
  if (!vendor) return vendor.error();
  if (!runtime) return runtime.error();
  if (!tables) return tables.error();
  e.fw_vendor = *vendor;
  e.runtime = *runtime;
  e.config_table = *tables;
  if (auto systab = read_file(efi + "/systab")) {
    if (auto smbios = efi_systab_value(*systab, "SMBIOS")) e.smbios = *smbios;
  }
  for (const auto& n : list_dir(map)) {
    std::array<std::string, 5> f;
    const char* names[5] = {"type", "phys_addr", "virt_addr", "num_pages", "attribute"};
    for (int i = 0; i < 5; i++) {
      auto t = read_file(map + "/" + n + "/" + names[i]);
      if (!t) return t.error();
      f[i] = *t;
    }
    auto r = parse_efi_runtime_region(f, map + "/" + n);
    if (!r) return r.error();
    e.runtime_map.push_back(*r);
  }
  if (boot_params.size() >= zero_page::kSize) {
    size_t ei = zero_page::kEfiInfo;
    e.loader_signature = read_le<uint32_t>(boot_params, ei + zero_page::kEfiLoaderSignature);
    e.systab = read_le<uint32_t>(boot_params, ei + zero_page::kEfiSystab) |
               static_cast<uint64_t>(read_le<uint32_t>(boot_params, ei + zero_page::kEfiSystabHi)) << 32;
    e.memdesc_version = read_le<uint32_t>(boot_params, ei + zero_page::kEfiMemdescVersion);
  } else {
    notes.push_back(
        "no /sys/kernel/boot_params/data: the EFI system table is taken from /sys/firmware/efi/systab");
    std::memcpy(&e.loader_signature, "EL64", 4);
  }
  if (e.systab == 0) {
    return Error{
        "booted by EFI, but the EFI system table's address is unknown (boot_params efi_info is empty)"};
  }
  return std::optional<EfiBootInfo>{e};
}

}  // namespace

Result<MachineFacts> read_machine_facts(ImageKind kind, const SystemPaths& p) {
  MachineFacts f;
  auto iomem_text = read_file(p.proc + "/iomem");
  if (!iomem_text) return iomem_text.error();
  auto iomem = parse_iomem(*iomem_text);
  if (!iomem) return iomem.error();
  f.iomem = std::move(*iomem);

  if (auto bp = read_file(p.sys + "/kernel/boot_params/data"); bp && bp->size() >= zero_page::kSize) {
    f.boot_params.assign(bp->begin(), bp->begin() + zero_page::kSize);
  } else {
    f.notes.push_back("no /sys/kernel/boot_params/data: screen_info and the ACPI RSDP are not handed on");
  }
  auto efi = read_efi(p.sys, f.boot_params, f.notes);
  if (!efi) return efi.error();
  f.efi = std::move(*efi);

  // The ACPI RSDP: as the running kernel was given it, else from EFI.
  if (f.boot_params.size() >= zero_page::kSize)
    f.acpi_rsdp = read_le<uint64_t>(f.boot_params, zero_page::kAcpiRsdpAddr);
  if (!f.acpi_rsdp) {
    if (auto systab = read_file(p.sys + "/firmware/efi/systab")) {
      if (auto v = efi_systab_value(*systab, "ACPI20")) {
        f.acpi_rsdp = *v;
      } else if (auto v1 = efi_systab_value(*systab, "ACPI")) {
        f.acpi_rsdp = *v1;
      }
    }
  }

  if (kind == ImageKind::kCrash) {
    auto notes = read_cpu_notes(p.sys);
    if (!notes) return notes.error();
    f.cpu_notes = std::move(*notes);
    auto vmci = read_vmcoreinfo(p.sys);
    if (!vmci) return vmci.error();
    f.vmcoreinfo = *vmci;
    auto kernel = read_kcore(p.proc);
    if (!kernel) return kernel.error().within("the kernel text mapping (needed in the ELF core header)");
    f.kernel = *kernel;
  } else {
    std::vector<FirmwareMapEntry> entries;
    std::string base = p.sys + "/firmware/memmap";
    for (const auto& n : list_dir(base)) {
      FirmwareMapEntry e;
      auto s = read_file(base + "/" + n + "/start");
      auto en = read_file(base + "/" + n + "/end");
      auto t = read_file(base + "/" + n + "/type");
      if (!s || !en || !t) return Error{base + "/" + n + ": unreadable"};
      entries.push_back({*s, *en, *t});
    }
    if (entries.empty()) return Error{base + " is empty or missing (CONFIG_FIRMWARE_MEMMAP)"};
    auto map = firmware_e820(entries);
    if (!map) return map.error();
    f.firmware_map = std::move(*map);
  }
  return f;
}

uint16_t purgatory_serial_port(const std::string& cmdline) {
  static const uint16_t kPorts[4] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
  uint16_t port = kPorts[0];
  for (const auto& w : split_kernel_cmdline(cmdline)) {
    if (w.rfind("console=ttyS", 0) == 0 && w.size() > 12 && w[12] >= '0' && w[12] <= '3') {
      port = kPorts[w[12] - '0'];
    } else if (w.rfind("console=uart", 0) == 0 || w.rfind("earlycon=uart", 0) == 0) {
      // console=uart[8250],io,0x3f8[,options]
      auto parts = split(w.substr(w.find('=') + 1), ',');
      unsigned long long v = 0;
      if (parts.size() >= 3 && parts[1] == "io" && parse_u64(parts[2], v, 0) && v < 0x10000) {
        port = static_cast<uint16_t>(v);
      }
    }
  }
  return port;
}

std::array<uint8_t, 32> segment_digest(const PlannedSegment& s) {
  Sha256 h;
  h.update(s.bytes.data(), s.bytes.size());
  static const std::vector<uint8_t> zeros(1 << 16, 0);
  for (uint64_t left = s.memsz - s.bytes.size(); left;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
    h.update(zeros.data(), n);
    left -= n;
  }
  std::string hex = h.hex_digest();
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < 32; i++)
    out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

Result<KexecPlan> plan_kexec_load(const KexecLoadRequest& req, const BzImage& image,
                                  std::span<const uint8_t> initrd, const MachineFacts& facts) {
  const bool crash = req.kind == ImageKind::kCrash;
  KexecPlan plan;
  std::vector<Range> free;
  if (crash) {
    free = crash_reservations(facts.iomem);
    if (free.empty()) {
      return Error{
          "no \"Crash kernel\" range in /proc/iomem: reserve memory with crashkernel= on the kernel "
          "command line and reboot"};
    }
  } else {
    free = subtract(intersect(ram_of(facts.firmware_map), Range{kMinKernel, ~0ULL}),
                    crash_reservations(facts.iomem));
  }
  MemoryPool pool(free);
  const Range anywhere{0, ~0ULL};

  // 1. The ELF core header, lowest in the reservation (as the kernel puts it).
  if (crash) {
    CoreHeaderInputs in;
    in.cpu_notes = facts.cpu_notes;
    in.vmcoreinfo = facts.vmcoreinfo;
    in.kernel = facts.kernel;
    in.ram = dumpable_ram(facts.iomem);
    PlannedSegment s;
    s.name = "elfcorehdr";
    s.owned = build_elf_core_header(in);
    s.memsz = s.owned.size();
    auto at = pool.take(s.memsz, kPage, false, anywhere, "the ELF core header");
    if (!at) return at.error();
    s.mem = plan.elfcorehdr = *at;
    plan.segments.push_back(std::move(s));
  }

  // 2. The initramfs, placed high.
  uint64_t initrd_addr = 0;
  if (!initrd.empty()) {
    PlannedSegment s;
    s.name = "initrd";
    s.bytes = initrd;
    s.memsz = page_align(initrd.size());
    auto at = pool.take(s.memsz, kPage, true, anywhere, "the initramfs");
    if (!at) return at.error();
    s.mem = initrd_addr = *at;
    plan.segments.push_back(std::move(s));
  }

  // 3. The kernel, aligned as it asks.
  {
    PlannedSegment s;
    s.name = "kernel";
    s.bytes = image.kernel;
    s.memsz = image.memory_size();
    Range window{crash ? kMinKernel : std::max<uint64_t>(kMinRebootKernel, image.pref_address), ~0ULL};
    auto at = pool.take(s.memsz, image.kernel_alignment, false, window, "the kernel");
    if (!at && !crash)
      at = pool.take(s.memsz, image.kernel_alignment, false, Range{kMinKernel, ~0ULL}, "the kernel");
    if (!at) return at.error();
    s.mem = plan.kernel_addr = *at;
    plan.segments.push_back(std::move(s));
  }

  // 4. The purgatory.
  auto img = purgatory::image();
  kdk_purgatory_params params;
  std::memcpy(&params, img.data() + KDK_PURGATORY_PARAMS_OFFSET, sizeof params);
  uint64_t purgatory_memsz = page_align(params.mem_size);
  auto purgatory_at = pool.take(purgatory_memsz, kPage, false, Range{kMinPurgatory, ~0ULL}, "the purgatory");
  if (!purgatory_at) return purgatory_at.error();

  // 5. boot_params with the command line; the e820 map leaves out the core header.
  plan.cmdline = crash ? format("elfcorehdr=0x%llx %s", static_cast<unsigned long long>(plan.elfcorehdr),
                                req.cmdline.c_str())
                       : req.cmdline;
  BootParamsInputs bp;
  bp.setup_header = image.setup_header;
  bp.cmdline = plan.cmdline;
  bp.e820 = crash
                ? crash_e820(facts.iomem, {Range{plan.elfcorehdr, plan.elfcorehdr + plan.segments[0].memsz}})
                : facts.firmware_map;
  plan.e820 = bp.e820;
  bp.ramdisk_addr = initrd_addr;
  bp.ramdisk_size = initrd.size();
  bp.acpi_rsdp = facts.acpi_rsdp;
  if (facts.boot_params.size() >= zero_page::kSize) {
    bp.screen_info.assign(facts.boot_params.begin() + zero_page::kScreenInfo,
                          facts.boot_params.begin() + zero_page::kScreenInfo + zero_page::kScreenInfoSize);
    bp.secure_boot = facts.boot_params[zero_page::kSecureBoot];
  }
  bp.efi = facts.efi;
  bp.rng_seed = req.rng_seed;
  {
    PlannedSegment s;
    s.name = "boot_params";
    s.memsz = page_align(boot_params_size(bp));
    auto at = pool.take(s.memsz, kPage, false, Range{0x1000, ~0ULL}, "boot_params");
    if (!at) return at.error();
    auto bytes = build_boot_params(bp, *at, image.cmdline_size);
    if (!bytes) return bytes.error();
    s.owned = std::move(*bytes);
    s.mem = plan.boot_params_addr = *at;
    plan.segments.push_back(std::move(s));
  }
  for (auto& s : plan.segments) {
    if (!s.owned.empty()) s.bytes = s.owned;
  }

  // The purgatory last: it carries every other segment's digest.
  PlannedSegment ps;
  ps.name = "purgatory";
  ps.owned.assign(img.begin(), img.end());
  ps.memsz = purgatory_memsz;
  ps.mem = *purgatory_at;
  params.entry_rip = plan.kernel_addr + BzImage::kEntry64Offset;
  params.entry_rsi = plan.boot_params_addr;
  params.serial_port = purgatory_serial_port(plan.cmdline);
  params.flags = KDK_PURGATORY_RESET_ON_FAILURE;
  params.nr_regions = 0;
  for (const auto& s : plan.segments) {
    auto& r = params.regions[params.nr_regions++];
    r.start = s.mem;
    r.len = s.memsz;
    auto d = segment_digest(s);
    std::memcpy(r.sha256, d.data(), d.size());
    if (req.wrong_digest_for_test && s.name == "kernel") r.sha256[0] ^= 0xff;
  }
  std::memcpy(ps.owned.data() + KDK_PURGATORY_PARAMS_OFFSET, &params, sizeof params);
  ps.bytes = ps.owned;
  plan.entry = ps.mem;
  plan.segments.push_back(std::move(ps));
  // The owned bytes moved with their segments: point the views at them again.
  for (auto& s : plan.segments) {
    if (!s.owned.empty()) s.bytes = s.owned;
  }
  return plan;
}

std::string explain_kexec_load_errno(int err) {
  std::string base = std::string("kexec_load: ") + std::strerror(err);
  switch (err) {
    case EPERM:
      return base +
             " — run as root; if you are root, the kernel is locked down (Secure Boot) or "
             "kernel.kexec_load_disabled is 1: only kexec_file_load with a signed kernel works there";
    case ENOSYS:
      return base + " — this kernel was built without CONFIG_KEXEC";
    case EBUSY:
      return base + " — a kernel is being loaded or is in use: run `kdumpkit unload` and retry";
    case EADDRNOTAVAIL:
      return base + " — a segment lies outside the crash reservation";
    case ENOMEM:
      return base + " — the segments do not fit: raise crashkernel= and reboot";
    default:
      return base;
  }
}

namespace {

struct KexecSegment {
  const void* buf;
  size_t bufsz;
  const void* mem;
  size_t memsz;
};

long kexec_load_syscall(unsigned long entry, unsigned long nr, KexecSegment* segs, unsigned long flags) {
  return ::syscall(SYS_kexec_load, entry, nr, segs, flags);
}

Result<std::vector<uint8_t>> read_bytes(const std::string& path) {
  auto t = read_file(path);
  if (!t) return t.error();
  return std::vector<uint8_t>(t->begin(), t->end());
}

}  // namespace

Status load_with_kexec_load(KexecLoadRequest req, const std::string& initrd_path, const SystemPaths& paths) {
  auto kernel = read_bytes(req.kernel);
  if (!kernel) return kernel.error();
  auto image = parse_bzimage(*kernel, req.kernel);
  if (!image) return image.error();
  std::vector<uint8_t> initrd;
  if (!initrd_path.empty()) {
    auto i = read_bytes(initrd_path);
    if (!i) return i.error();
    initrd = std::move(*i);
  }
  auto facts = read_machine_facts(req.kind, paths);
  if (!facts) return facts.error();
  for (const auto& n : facts->notes) log::warn("%s", n.c_str());
  if (req.rng_seed.empty()) {
    req.rng_seed.resize(32);
    if (::getrandom(req.rng_seed.data(), req.rng_seed.size(), GRND_NONBLOCK) != 32) req.rng_seed.clear();
  }
  if (req.wrong_digest_for_test) {
    log::warn(
        "test switch KDUMPKIT_TEST_WRONG_DIGEST: the kernel segment's digest is wrong on purpose; the "
        "purgatory must refuse to start it");
  }
  auto plan = plan_kexec_load(req, *image, initrd, *facts);
  if (!plan) return plan.error();

  std::vector<KexecSegment> segs;
  for (const auto& s : plan->segments) {
    segs.push_back({s.bytes.data(), s.bytes.size(), reinterpret_cast<const void*>(s.mem), s.memsz});
    log::info("kexec_load segment %-11s 0x%llx-0x%llx (%llu KiB)", s.name.c_str(),
              static_cast<unsigned long long>(s.mem), static_cast<unsigned long long>(s.mem + s.memsz - 1),
              static_cast<unsigned long long>(s.memsz >> 10));
  }
  if (facts->efi) {
    log::info("EFI: system table 0x%llx, %zu runtime regions handed on",
              static_cast<unsigned long long>(facts->efi->systab), facts->efi->runtime_map.size());
  }
  unsigned long flags = kKexecArchX86_64 | (req.kind == ImageKind::kCrash ? kKexecOnCrash : 0);
  if (kexec_load_syscall(plan->entry, segs.size(), segs.data(), flags) != 0) {
    int err = errno;
    return Error{explain_kexec_load_errno(err), err};
  }
  return {};
}

Status unload_with_kexec_load(ImageKind kind) {
  unsigned long flags = kKexecArchX86_64 | (kind == ImageKind::kCrash ? kKexecOnCrash : 0);
  if (kexec_load_syscall(0, 0, nullptr, flags) != 0) {
    int err = errno;
    return Error{explain_kexec_load_errno(err), err};
  }
  return {};
}

}  // namespace kdk::loader
