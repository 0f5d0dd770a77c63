#include "loader/boot_params.h"

#include <cstring>

#include "loader/bzimage.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

constexpr size_t kSetupDataHeader = 16;   // u64 next, u32 type, u32 len
constexpr size_t kEfiSetupDataSize = 96;  // fw_vendor, __unused, tables, smbios, reserved[8]
constexpr size_t kEfiMemdescSize = 40;    // efi_memory_desc_t
constexpr size_t kE820EntrySize = 20;

size_t align8(size_t v) { return (v + 7) & ~size_t{7}; }

template <class T>
void put(std::vector<uint8_t>& b, size_t at, T v) {
  for (size_t i = 0; i < sizeof(T); i++)
    b[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
}

struct Layout {
  size_t cmdline = zero_page::kSize;
  size_t e820_ext = 0, e820_ext_count = 0;
  size_t efi_setup = 0;
  size_t efi_memmap = 0;
  size_t rng = 0;
  size_t total = 0;
};

Layout layout_of(const BootParamsInputs& in) {
  Layout l;
  size_t at = align8(l.cmdline + in.cmdline.size() + 1);
  if (in.e820.size() > zero_page::kE820Max) {
    l.e820_ext = at;
    l.e820_ext_count = in.e820.size() - zero_page::kE820Max;
    at = align8(at + kSetupDataHeader + l.e820_ext_count * kE820EntrySize);
  }
  if (in.efi) {
    l.efi_setup = at;
    at = align8(at + kSetupDataHeader + kEfiSetupDataSize);
    l.efi_memmap = at;
    at = align8(at + in.efi->runtime_map.size() * kEfiMemdescSize);
  }
  if (!in.rng_seed.empty()) {
    l.rng = at;
    at = align8(at + kSetupDataHeader + in.rng_seed.size());
  }
  l.total = at;
  return l;
}

void put_e820(std::vector<uint8_t>& b, size_t at, const E820Entry& e) {
  put<uint64_t>(b, at, e.addr);
  put<uint64_t>(b, at + 8, e.size);
  put<uint32_t>(b, at + 16, static_cast<uint32_t>(e.type));
}

}  // namespace

size_t boot_params_size(const BootParamsInputs& in) { return layout_of(in).total; }

Result<std::vector<uint8_t>> build_boot_params(const BootParamsInputs& in, uint64_t load_addr,
                                               uint32_t cmdline_max) {
  if (in.cmdline.size() > cmdline_max) {
    return Error{
        format("the command line is %zu bytes; the kernel takes at most %u", in.cmdline.size(), cmdline_max)};
  }
  if (in.setup_header.size() + setup::kFirst > zero_page::kSize) return Error{"setup header too long"};
  Layout l = layout_of(in);
  std::vector<uint8_t> b(l.total, 0);

  // The setup header as the image has it, then what the loader sets.
  std::memcpy(b.data() + setup::kFirst, in.setup_header.data(), in.setup_header.size());
  b[setup::kTypeOfLoader] = 0xd0;  // kexec-tools' id (0x0D), as the kernel's own loader writes it
  b[setup::kLoadFlags] = 0;
  uint64_t cmd = load_addr + l.cmdline;
  put<uint32_t>(b, setup::kCmdLinePtr, static_cast<uint32_t>(cmd));
  put<uint32_t>(b, zero_page::kExtCmdLinePtr, static_cast<uint32_t>(cmd >> 32));
  put<uint32_t>(b, setup::kRamdiskImage, static_cast<uint32_t>(in.ramdisk_addr));
  put<uint32_t>(b, setup::kRamdiskSize, static_cast<uint32_t>(in.ramdisk_size));
  put<uint32_t>(b, zero_page::kExtRamdiskImage, static_cast<uint32_t>(in.ramdisk_addr >> 32));
  put<uint32_t>(b, zero_page::kExtRamdiskSize, static_cast<uint32_t>(in.ramdisk_size >> 32));
  put<uint64_t>(b, setup::kSetupData, 0);
  std::memcpy(b.data() + l.cmdline, in.cmdline.data(), in.cmdline.size());

  if (in.screen_info.size() == zero_page::kScreenInfoSize) {
    std::memcpy(b.data() + zero_page::kScreenInfo, in.screen_info.data(), in.screen_info.size());
  }
  put<uint64_t>(b, zero_page::kAcpiRsdpAddr, in.acpi_rsdp);
  b[zero_page::kSecureBoot] = in.secure_boot;

  size_t n = std::min(in.e820.size(), zero_page::kE820Max);
  b[zero_page::kE820Entries] = static_cast<uint8_t>(n);
  for (size_t i = 0; i < n; i++) put_e820(b, zero_page::kE820Table + i * kE820EntrySize, in.e820[i]);

  // setup_data entries are chained from the header, newest first.
  uint64_t chain = 0;
  auto link = [&](size_t at, uint32_t type, size_t len) {
    put<uint64_t>(b, at, chain);
    put<uint32_t>(b, at + 8, type);
    put<uint32_t>(b, at + 12, static_cast<uint32_t>(len));
    chain = load_addr + at;
  };
  if (l.e820_ext) {
    for (size_t i = 0; i < l.e820_ext_count; i++) {
      put_e820(b, l.e820_ext + kSetupDataHeader + i * kE820EntrySize, in.e820[zero_page::kE820Max + i]);
    }
    link(l.e820_ext, kSetupE820Ext, l.e820_ext_count * kE820EntrySize);
  }
  if (in.efi) {
    const EfiBootInfo& e = *in.efi;
    size_t ei = zero_page::kEfiInfo;
    put<uint32_t>(b, ei + zero_page::kEfiLoaderSignature, e.loader_signature);
    put<uint32_t>(b, ei + zero_page::kEfiSystab, static_cast<uint32_t>(e.systab));
    put<uint32_t>(b, ei + zero_page::kEfiSystabHi, static_cast<uint32_t>(e.systab >> 32));
    put<uint32_t>(b, ei + zero_page::kEfiMemdescSize, kEfiMemdescSize);
    put<uint32_t>(b, ei + zero_page::kEfiMemdescVersion, e.memdesc_version);
    uint64_t map = load_addr + l.efi_memmap;
    put<uint32_t>(b, ei + zero_page::kEfiMemmap, static_cast<uint32_t>(map));
    put<uint32_t>(b, ei + zero_page::kEfiMemmapHi, static_cast<uint32_t>(map >> 32));
    put<uint32_t>(b, ei + zero_page::kEfiMemmapSize,
                  static_cast<uint32_t>(e.runtime_map.size() * kEfiMemdescSize));
    for (size_t i = 0; i < e.runtime_map.size(); i++) {
      const EfiRuntimeRegion& r = e.runtime_map[i];
      size_t at = l.efi_memmap + i * kEfiMemdescSize;
      put<uint32_t>(b, at, r.type);
      put<uint64_t>(b, at + 8, r.phys_addr);
      put<uint64_t>(b, at + 16, r.virt_addr);
      put<uint64_t>(b, at + 24, r.num_pages);
      put<uint64_t>(b, at + 32, r.attribute);
    }
    size_t d = l.efi_setup + kSetupDataHeader;
    put<uint64_t>(b, d, e.fw_vendor);
    put<uint64_t>(b, d + 8, e.runtime);
    put<uint64_t>(b, d + 16, e.config_table);
    put<uint64_t>(b, d + 24, e.smbios);
    link(l.efi_setup, kSetupEfi, kEfiSetupDataSize);
  }
  if (l.rng) {
    std::memcpy(b.data() + l.rng + kSetupDataHeader, in.rng_seed.data(), in.rng_seed.size());
    link(l.rng, kSetupRngSeed, in.rng_seed.size());
  }
  put<uint64_t>(b, setup::kSetupData, chain);
  b[zero_page::kSentinel] = 0;
  return b;
}

Result<EfiRuntimeRegion> parse_efi_runtime_region(const std::array<std::string, 5>& f,
                                                  const std::string& name) {
  unsigned long long v[5];
  static const char* kNames[5] = {"type", "phys_addr", "virt_addr", "num_pages", "attribute"};
  for (int i = 0; i < 5; i++) {
    if (!parse_u64(trim(f[i]), v[i], 0)) {
      return Error{
          format("%s/%s: not a number: \"%s\"", name.c_str(), kNames[i], std::string(trim(f[i])).c_str())};
    }
  }
  return EfiRuntimeRegion{static_cast<uint32_t>(v[0]), v[1], v[2], v[3], v[4]};
}

std::optional<uint64_t> efi_systab_value(const std::string& systab, const std::string& key) {
  for (auto line : lines(systab)) {
    line = trim(line);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == '=') {
      unsigned long long v = 0;
      if (parse_u64(line.substr(key.size() + 1), v, 0)) return v;
    }
  }
  return std::nullopt;
}

}  // namespace kdk::loader
