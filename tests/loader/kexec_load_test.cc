// The kexec_load path without the syscall: bzImage checks, boot_params,
// the ELF core header, /proc/kcore's headers, and whole plans over the
// QEMU guests' /proc/iomem (tests/loader/data), checked for what the kernel
// and the purgatory require: at most 16 page-aligned segments inside the
// crash reservation, the digests the purgatory will compare, the 64-bit
// entry, the command line and e820 map the capture kernel reads.
#include "loader/kexec_load.h"

#include <elf.h>
#include <glob.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "loader/kexec.h"
#include "purgatory/purgatory.h"
#include "util/fd.h"
#include "util/text.h"

using namespace kdk;
using namespace kdk::loader;

namespace {

template <class T>
void put(std::vector<uint8_t>& b, size_t at, T v) {
  for (size_t i = 0; i < sizeof(T); i++)
    b[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
}
template <class T>
T get(std::span<const uint8_t> b, size_t at) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); i++) v |= static_cast<T>(static_cast<T>(b[at + i]) << (8 * i));
  return v;
}

// A bzImage as Debian's 6.1 has it, cut down: protocol 2.15, 64-bit entry,
// loadable above 4G, relocatable, 2 MiB aligned, setup_sects 4.
std::vector<uint8_t> fake_bzimage(size_t kernel_bytes = 0x10000) {
  std::vector<uint8_t> b(0xa00 + kernel_bytes, 0);
  b[setup::kSetupSects] = 4;
  put<uint16_t>(b, setup::kBootFlag, 0xaa55);
  b[setup::kHeaderEndByte] = 0x6a;  // the header ends at 0x26c
  std::memcpy(b.data() + setup::kMagic, "HdrS", 4);
  put<uint16_t>(b, setup::kVersion, 0x020f);
  put<uint32_t>(b, setup::kInitrdAddrMax, 0x7fffffff);
  put<uint32_t>(b, setup::kKernelAlignment, 0x200000);
  b[setup::kRelocatable] = 1;
  put<uint16_t>(b, setup::kXLoadFlags, 0x7f);
  put<uint32_t>(b, setup::kCmdlineSize, 2047);
  put<uint64_t>(b, setup::kPrefAddress, 0x1000000);
  put<uint32_t>(b, setup::kInitSize, 0x2a5b000);
  for (size_t i = 0xa00; i < b.size(); i++) b[i] = static_cast<uint8_t>(i * 7);
  return b;
}

std::string guest_file(const std::string& guest, const std::string& name) {
  auto t = read_file(std::string(KDK_SOURCE_DIR) + "/tests/loader/data/" + guest + "/" + name);
  REQUIRE(t.ok());
  return *t;
}

// The facts read_machine_facts() would gather on that guest (the kcore
// values are Debian 6.1's on the SeaBIOS guest).
MachineFacts guest_facts(const std::string& guest) {
  MachineFacts f;
  auto iomem = parse_iomem(guest_file(guest, "iomem.txt"));
  REQUIRE(iomem.ok());
  f.iomem = *iomem;
  auto cpu = split_words(lines(guest_file(guest, "cpus.txt"))[1]);
  unsigned long long a = 0, n = 0;
  REQUIRE(parse_u64(cpu[1], a, 16));
  REQUIRE(parse_u64(cpu[2], n));
  f.cpu_notes = {{a, a + n}};
  auto vmci = split_words(guest_file(guest, "vmcoreinfo.txt"));
  REQUIRE(parse_u64(vmci[0], a, 0));
  REQUIRE(parse_u64(vmci[1], n, 16));
  f.vmcoreinfo = {a, a + n};
  f.kernel = {0xffffffffa5000000ULL, 0x38e00000, 0x43f0000, 0xffff9d8d00000000ULL};
  if (guest.rfind("uefi", 0) == 0) {
    EfiBootInfo e;
    std::memcpy(&e.loader_signature, "EL64", 4);
    e.systab = 0x3f5ecb18;
    e.fw_vendor = 0x3f51c818;
    e.runtime = 0x3f5ecb98;
    e.config_table = 0x3f5ecc98;
    e.smbios = 0x3f518000;
    e.runtime_map = {{6, 0x3ff58000, 0xfffffffefff58000ULL, 0x20, 0x800000000000000fULL},
                     {5, 0x3f5ed000, 0xfffffffeff5ed000ULL, 0x100, 0x800000000000000fULL}};
    f.efi = e;
    f.acpi_rsdp = 0x3f77e014;
  }
  return f;
}

bool overlaps(const PlannedSegment& a, const PlannedSegment& b) {
  return a.mem < b.mem + b.memsz && b.mem < a.mem + a.memsz;
}

}  // namespace

TEST_CASE("bzImage: what the 64-bit entry needs is checked, the kernel found", "[loader][kexec_load]") {
  auto img = fake_bzimage();
  auto z = parse_bzimage(img, "vmlinuz");
  REQUIRE(z.ok());
  CHECK(z->version == 0x020f);
  CHECK(z->kernel.data() == img.data() + 0xa00);
  CHECK(z->kernel.size() == 0x10000);
  CHECK(z->setup_header.size() == 0x26c - 0x1f1);
  CHECK(z->memory_size() == 0x2a5b000);
  CHECK(z->kernel_alignment == 0x200000);

  struct Broken {
    const char* what;
    void (*spoil)(std::vector<uint8_t>&);
  };
  const Broken broken[] = {
      {"not a bzImage", [](std::vector<uint8_t>& b) { b[setup::kMagic] = 'X'; }},
      {"boot protocol 2.11", [](std::vector<uint8_t>& b) { put<uint16_t>(b, setup::kVersion, 0x020b); }},
      {"XLF_KERNEL_64 clear", [](std::vector<uint8_t>& b) { put<uint16_t>(b, setup::kXLoadFlags, 0x7e); }},
      {"XLF_CAN_BE_LOADED_ABOVE_4G clear",
       [](std::vector<uint8_t>& b) { put<uint16_t>(b, setup::kXLoadFlags, 0x7d); }},
      {"not relocatable", [](std::vector<uint8_t>& b) { b[setup::kRelocatable] = 0; }},
      {"kernel_alignment 0x3000",
       [](std::vector<uint8_t>& b) { put<uint32_t>(b, setup::kKernelAlignment, 0x3000); }},
      {"an ELF vmlinux",
       [](std::vector<uint8_t>& b) {
         std::memcpy(b.data(),
                     "\x7f"
                     "ELF",
                     4);
       }},
      {"past the end", [](std::vector<uint8_t>& b) { b.resize(0xa00); }},
  };
  for (const auto& c : broken) {
    auto b = fake_bzimage();
    c.spoil(b);
    auto r = parse_bzimage(b, "vmlinuz");
    INFO(c.what);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(c.what) && Catch::StartsWith("vmlinuz: "));
  }
}

TEST_CASE("bzImage: the guests' Debian kernel parses", "[loader][kexec_load]") {
  const char* cache = std::getenv("KDUMPKIT_CACHE");
  std::string dir = std::string(cache ? cache
                                      : std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") +
                                            "/.cache/kdumpkit") +
                    "/guest";
  // Only when the QEMU tests have fetched it: the unit tests download nothing.
  std::string found;
  glob_t g{};
  if (::glob((dir + "/*/root/boot/vmlinuz-*").c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    found = g.gl_pathv[0];
  ::globfree(&g);
  if (found.empty()) return;
  INFO(found);
  auto bytes = read_file(found);
  REQUIRE(bytes.ok());
  std::vector<uint8_t> b(bytes->begin(), bytes->end());
  auto z = parse_bzimage(b, found);
  REQUIRE(z.ok());
  CHECK(z->version >= 0x020c);
  CHECK(z->init_size > z->kernel.size());
  CHECK(z->cmdline_size >= 2047);
}

TEST_CASE("boot_params: setup header, command line, e820, initrd, EFI and RNG setup_data",
          "[loader][kexec_load]") {
  auto img = fake_bzimage();
  auto z = parse_bzimage(img, "vmlinuz");
  REQUIRE(z.ok());
  BootParamsInputs in;
  in.setup_header = z->setup_header;
  in.cmdline = "elfcorehdr=0x28000000 console=ttyS0";
  for (int i = 0; i < 130; i++) in.e820.push_back({0x100000ULL * i, 0x1000, E820Type::kRam});
  in.ramdisk_addr = 0x1'3774'd000ULL;
  in.ramdisk_size = 0x8a2e11;
  in.acpi_rsdp = 0x3f77e014;
  in.screen_info.assign(0x40, 0x5a);
  EfiBootInfo e;
  std::memcpy(&e.loader_signature, "EL64", 4);
  e.systab = 0x1'3f5e'cb18ULL;
  e.fw_vendor = 0x3f51c818;
  e.config_table = 0x3f5ecc98;
  e.smbios = 0x3f518000;
  e.runtime_map = {{6, 0x3ff58000, 0xfffffffefff58000ULL, 0x20, 0xf}};
  in.efi = e;
  in.rng_seed.assign(32, 0xab);
  const uint64_t at = 0x28003000;
  auto built = build_boot_params(in, at, z->cmdline_size);
  REQUIRE(built.ok());
  std::span<const uint8_t> b = *built;
  CHECK(b.size() == boot_params_size(in));
  CHECK(std::memcmp(b.data() + 0x1f1, img.data() + 0x1f1, 0x202 - 0x1f1) == 0);  // the image's header
  CHECK(get<uint16_t>(b, setup::kVersion) == 0x020f);
  CHECK(b[setup::kTypeOfLoader] == 0xd0);
  uint64_t cmd = get<uint32_t>(b, setup::kCmdLinePtr) | uint64_t{get<uint32_t>(b, zero_page::kExtCmdLinePtr)}
                                                            << 32;
  REQUIRE(cmd >= at);
  CHECK(std::string(reinterpret_cast<const char*>(b.data() + (cmd - at))) == in.cmdline);
  CHECK((get<uint32_t>(b, setup::kRamdiskImage) | uint64_t{get<uint32_t>(b, zero_page::kExtRamdiskImage)}
                                                      << 32) == in.ramdisk_addr);
  CHECK(get<uint32_t>(b, setup::kRamdiskSize) == 0x8a2e11);
  CHECK(get<uint64_t>(b, zero_page::kAcpiRsdpAddr) == 0x3f77e014);
  CHECK(b[zero_page::kScreenInfo] == 0x5a);
  CHECK(b[zero_page::kE820Entries] == 128);
  CHECK(get<uint64_t>(b, zero_page::kE820Table + 127 * 20) == 0x100000ULL * 127);
  CHECK(get<uint32_t>(b, zero_page::kEfiInfo + zero_page::kEfiSystab) == 0x3f5ecb18);
  CHECK(get<uint32_t>(b, zero_page::kEfiInfo + zero_page::kEfiSystabHi) == 1);
  CHECK(get<uint32_t>(b, zero_page::kEfiInfo + zero_page::kEfiMemdescSize) == 40);
  CHECK(get<uint32_t>(b, zero_page::kEfiInfo + zero_page::kEfiMemmapSize) == 40);
  uint64_t map = get<uint32_t>(b, zero_page::kEfiInfo + zero_page::kEfiMemmap);
  CHECK(get<uint64_t>(b, map - at + 16) == 0xfffffffefff58000ULL);  // virt_addr of the one region

  // The setup_data chain: RNG seed, EFI, the e820 entries beyond 128.
  std::vector<uint32_t> types;
  for (uint64_t p = get<uint64_t>(b, setup::kSetupData); p; p = get<uint64_t>(b, p - at)) {
    REQUIRE(p >= at);
    REQUIRE(p - at + 16 <= b.size());
    uint32_t type = get<uint32_t>(b, p - at + 8);
    uint32_t len = get<uint32_t>(b, p - at + 12);
    types.push_back(type);
    if (type == kSetupEfi) {
      CHECK(len == 96);
      CHECK(get<uint64_t>(b, p - at + 16) == 0x3f51c818);
      CHECK(get<uint64_t>(b, p - at + 16 + 16) == 0x3f5ecc98);
      CHECK(get<uint64_t>(b, p - at + 16 + 24) == 0x3f518000);
    } else if (type == kSetupE820Ext) {
      CHECK(len == 2 * 20);
      CHECK(get<uint64_t>(b, p - at + 16 + 20) == 0x100000ULL * 129);
    } else if (type == kSetupRngSeed) {
      CHECK(len == 32);
      CHECK(b[p - at + 16] == 0xab);
    }
  }
  CHECK(types == std::vector<uint32_t>{kSetupRngSeed, kSetupEfi, kSetupE820Ext});

  in.cmdline.assign(2048, 'x');
  auto too_long = build_boot_params(in, at, z->cmdline_size);
  REQUIRE_FALSE(too_long.ok());
  CHECK_THAT(too_long.error().message, Catch::Contains("2048 bytes; the kernel takes at most 2047"));
}

TEST_CASE("ELF core header: notes per CPU, VMCOREINFO, kernel text, RAM in the direct map",
          "[loader][kexec_load]") {
  CoreHeaderInputs in;
  in.cpu_notes = {{0x3c63a400, 0x3c63a400 + 368}, {0x3c67a400, 0x3c67a400 + 368}};
  in.vmcoreinfo = {0x1324000, 0x1324000 + 0x1024};
  in.kernel = {0xffffffffa5000000ULL, 0x38e00000, 0x43f0000, 0xffff9d8d00000000ULL};
  in.ram = {{0x100000, 0x28000000}, {0x38000000, 0x3ffda000}};
  auto h = build_elf_core_header(in);
  REQUIRE(h.size() == 4096);
  Elf64_Ehdr eh;
  std::memcpy(&eh, h.data(), sizeof eh);
  CHECK(std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
  CHECK(eh.e_type == ET_CORE);
  CHECK(eh.e_machine == EM_X86_64);
  REQUIRE(eh.e_phnum == 6);
  std::vector<Elf64_Phdr> ph(6);
  std::memcpy(ph.data(), h.data() + eh.e_phoff, 6 * sizeof(Elf64_Phdr));
  CHECK(ph[0].p_type == PT_NOTE);
  CHECK(ph[0].p_paddr == 0x3c63a400);
  CHECK(ph[0].p_filesz == 368);
  CHECK(ph[2].p_type == PT_NOTE);
  CHECK(ph[2].p_offset == 0x1324000);
  CHECK(ph[2].p_memsz == 0x1024);
  CHECK(ph[3].p_type == PT_LOAD);
  CHECK(ph[3].p_vaddr == 0xffffffffa5000000ULL);
  CHECK(ph[3].p_paddr == 0x38e00000);
  CHECK(ph[3].p_memsz == 0x43f0000);
  CHECK(ph[4].p_vaddr == 0xffff9d8d00100000ULL);
  CHECK(ph[4].p_paddr == 0x100000);
  CHECK(ph[4].p_offset == 0x100000);
  CHECK(ph[5].p_filesz == 0x3ffda000 - 0x38000000);
  // Many ranges: the header grows by whole pages.
  in.ram.assign(100, Range{0x100000, 0x200000});
  CHECK(build_elf_core_header(in).size() == 8192);
}

TEST_CASE("/proc/kcore's headers give the kernel text mapping and the direct map's base",
          "[loader][kexec_load]") {
  std::vector<Elf64_Phdr> ph(4);
  ph[0] = {PT_NOTE, 0, 0x1000, 0, 0, 0x100, 0, 0};
  ph[1] = {PT_LOAD, 7, 0x2000, 0xffffffffa5000000ULL, 0x38e00000, 0x43f0000, 0x43f0000, 4096};  // KCORE_TEXT
  ph[2] = {PT_LOAD, 7, 0x3000, 0xffffb1e9c0000000ULL, ~0ULL, 0x1000, 0x1000, 4096};             // vmalloc
  ph[3] = {PT_LOAD, 7, 0x4000, 0xffff9d8d00100000ULL, 0x100000, 0x1000, 0x1000, 4096};          // RAM
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_type = ET_CORE;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 4;
  std::vector<uint8_t> b(sizeof eh + 4 * sizeof(Elf64_Phdr));
  std::memcpy(b.data(), &eh, sizeof eh);
  std::memcpy(b.data() + sizeof eh, ph.data(), 4 * sizeof(Elf64_Phdr));
  auto short_read = parse_kcore_headers(std::span<const uint8_t>(b.data(), 100));
  REQUIRE(short_read.ok());
  CHECK(short_read->needed == b.size());
  auto p = parse_kcore_headers(b);
  REQUIRE(p.ok());
  CHECK(p->needed == 0);
  CHECK(p->mapping.text_vaddr == 0xffffffffa5000000ULL);
  CHECK(p->mapping.text_paddr == 0x38e00000);
  CHECK(p->mapping.text_size == 0x43f0000);
  CHECK(p->mapping.page_offset == 0xffff9d8d00000000ULL);
  b[0] = 0;
  CHECK_FALSE(parse_kcore_headers(b).ok());
}

TEST_CASE("a crash plan on each guest: segments in the reservation, digests, entry, cmdline, e820",
          "[loader][kexec_load]") {
  auto img = fake_bzimage(0x800000);
  auto z = parse_bzimage(img, "vmlinuz");
  REQUIRE(z.ok());
  std::vector<uint8_t> initrd(0x8a2e11, 0x42);
  for (const char* guest : {"seabios-1g", "seabios-4g", "uefi-1g", "uefi-4g"}) {
    INFO(guest);
    MachineFacts facts = guest_facts(guest);
    KexecLoadRequest req;
    req.kind = ImageKind::kCrash;
    req.kernel = "vmlinuz";
    req.cmdline = "console=ttyS1,115200 irqpoll nr_cpus=1 reset_devices";
    req.rng_seed.assign(32, 1);
    auto plan = plan_kexec_load(req, *z, initrd, facts);
    REQUIRE(plan.ok());
    auto crash = crash_reservations(facts.iomem);
    REQUIRE(crash.size() == 1);
    REQUIRE(plan->segments.size() == 5);
    REQUIRE(plan->segments.size() <= 16);
    for (size_t i = 0; i < plan->segments.size(); i++) {
      const auto& s = plan->segments[i];
      INFO(s.name);
      CHECK(s.mem % 4096 == 0);
      CHECK(s.memsz % 4096 == 0);
      CHECK(s.bytes.size() <= s.memsz);
      CHECK(crash[0].contains(Range{s.mem, s.mem + s.memsz}));
      for (size_t j = 0; j < i; j++) CHECK_FALSE(overlaps(s, plan->segments[j]));
    }
    const auto& hdr = plan->segments[0];
    CHECK(hdr.name == "elfcorehdr");
    CHECK(hdr.mem == crash[0].start);  // lowest, as the kernel places it
    const auto& rd = plan->segments[1];
    CHECK(rd.name == "initrd");
    CHECK(rd.mem + rd.memsz == crash[0].end);  // highest
    const auto& k = plan->segments[2];
    CHECK(k.name == "kernel");
    CHECK(k.mem % 0x200000 == 0);
    CHECK(k.memsz == 0x2a5b000);
    CHECK(plan->cmdline == "elfcorehdr=0x" + [&] {
      char b[32];
      std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(hdr.mem));
      return std::string(b);
    }() + " " + req.cmdline);
    for (const auto& e : plan->e820) {
      if (e.type == E820Type::kRam) CHECK((e.addr >= hdr.mem + hdr.memsz || e.addr + e.size <= hdr.mem));
    }

    // The purgatory: entry, its parameters, the digests of the others.
    const auto& p = plan->segments.back();
    CHECK(p.name == "purgatory");
    CHECK(plan->entry == p.mem);
    kdk_purgatory_params params;
    std::memcpy(&params, p.bytes.data() + KDK_PURGATORY_PARAMS_OFFSET, sizeof params);
    CHECK(params.entry_rip == k.mem + 0x200);
    CHECK(params.entry_rsi == plan->boot_params_addr);
    CHECK(params.serial_port == 0x2f8);
    CHECK(params.flags == KDK_PURGATORY_RESET_ON_FAILURE);
    REQUIRE(params.nr_regions == 4);
    for (uint32_t i = 0; i < 4; i++) {
      const auto& s = plan->segments[i];
      CHECK(params.regions[i].start == s.mem);
      CHECK(params.regions[i].len == s.memsz);
      auto d = segment_digest(s);
      CHECK(std::memcmp(params.regions[i].sha256, d.data(), 32) == 0);
    }

    // boot_params: where the purgatory points rsi, EFI only on the UEFI guests.
    const auto& bp = plan->segments[3];
    CHECK(bp.name == "boot_params");
    CHECK(bp.mem == plan->boot_params_addr);
    CHECK(bp.bytes[zero_page::kE820Entries] == plan->e820.size());
    bool efi = get<uint32_t>(bp.bytes, zero_page::kEfiInfo + zero_page::kEfiMemmapSize) != 0;
    CHECK(efi == (std::string(guest).rfind("uefi", 0) == 0));
  }
}

TEST_CASE("the wrong-digest test switch spoils exactly the kernel's digest", "[loader][kexec_load]") {
  auto img = fake_bzimage();
  auto z = parse_bzimage(img, "vmlinuz");
  REQUIRE(z.ok());
  KexecLoadRequest req;
  req.cmdline = "console=ttyS0";
  req.wrong_digest_for_test = true;
  auto plan = plan_kexec_load(req, *z, {}, guest_facts("seabios-1g"));
  REQUIRE(plan.ok());
  REQUIRE(plan->segments.size() == 4);  // no initrd
  kdk_purgatory_params params;
  std::memcpy(&params, plan->segments.back().bytes.data() + KDK_PURGATORY_PARAMS_OFFSET, sizeof params);
  for (uint32_t i = 0; i < params.nr_regions; i++) {
    auto d = segment_digest(plan->segments[i]);
    bool same = std::memcmp(params.regions[i].sha256, d.data(), 32) == 0;
    CHECK(same == (plan->segments[i].name != "kernel"));
  }
}

TEST_CASE("a reboot plan: free RAM of the firmware map, the firmware's e820, no core header",
          "[loader][kexec_load]") {
  auto img = fake_bzimage();
  auto z = parse_bzimage(img, "vmlinuz");
  REQUIRE(z.ok());
  MachineFacts facts = guest_facts("seabios-1g");
  facts.firmware_map = {{0, 0x9fc00, E820Type::kRam},
                        {0x9fc00, 0x400, E820Type::kReserved},
                        {0x100000, 0x3fee0000 - 0x100000 + 0xfa000, E820Type::kRam}};
  KexecLoadRequest req;
  req.kind = ImageKind::kReboot;
  req.cmdline = "console=ttyS0 kdk.exec_marker=1";
  std::vector<uint8_t> initrd(5000, 1);
  auto plan = plan_kexec_load(req, *z, initrd, facts);
  REQUIRE(plan.ok());
  CHECK(plan->cmdline == req.cmdline);
  CHECK(plan->e820 == facts.firmware_map);
  REQUIRE(plan->segments.size() == 4);
  for (const auto& s : plan->segments) {
    INFO(s.name);
    CHECK(s.mem >= 0x100000);
    // Never in the crash reservation: a loaded capture kernel stays intact.
    CHECK((s.mem >= 0x38000000 || s.mem + s.memsz <= 0x28000000));
  }
  CHECK(plan->kernel_addr == 0x1000000);  // pref_address
}

TEST_CASE("the purgatory prints on the console's UART", "[loader][kexec_load]") {
  CHECK(purgatory_serial_port("root=/dev/vda") == 0x3f8);
  CHECK(purgatory_serial_port("console=tty0 console=ttyS1,115200n8") == 0x2f8);
  CHECK(purgatory_serial_port("console=ttyS3") == 0x2e8);
  CHECK(purgatory_serial_port("console=uart8250,io,0x3e8,115200") == 0x3e8);
  CHECK(purgatory_serial_port("earlycon=uart,io,0x2f8") == 0x2f8);
}

TEST_CASE("syscall choice and kexec-tools' fallback rule", "[loader][kexec_load]") {
  CHECK(*parse_syscall_choice("auto") == SyscallChoice::kAuto);
  CHECK(*parse_syscall_choice("file") == SyscallChoice::kFile);
  CHECK(*parse_syscall_choice("kexec_load") == SyscallChoice::kLoad);
  CHECK_FALSE(parse_syscall_choice("both").ok());
  for (int e : {ENOSYS, EINVAL, ENOEXEC, ENOTSUP}) CHECK(kexec_file_falls_back(e));
  // Signature problems, lockdown, memory, busy: kexec_load would not help (or must not).
  for (int e : {EKEYREJECTED, EBADMSG, ENOKEY, ENOPKG, ELIBBAD, EMSGSIZE, EPERM, ENOMEM, EBUSY, ENOENT}) {
    CHECK_FALSE(kexec_file_falls_back(e));
  }
}
