// The boot_params segment of a kexec_load: the zero page (struct
// boot_params, arch/x86/include/uapi/asm/bootparam.h), then the command
// line, the setup_data entries and the EFI memory map, all in one segment.
// Pure: the caller supplies everything read from the system.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loader/memory_ranges.h"
#include "util/result.h"

namespace kdk::loader {

namespace zero_page {
constexpr size_t kSize = 4096;
constexpr size_t kScreenInfo = 0x000;  // 0x40 bytes
constexpr size_t kScreenInfoSize = 0x40;
constexpr size_t kAcpiRsdpAddr = 0x070;
constexpr size_t kExtRamdiskImage = 0x0c0;
constexpr size_t kExtRamdiskSize = 0x0c4;
constexpr size_t kExtCmdLinePtr = 0x0c8;
constexpr size_t kEfiInfo = 0x1c0;  // 0x20 bytes
constexpr size_t kE820Entries = 0x1e8;
constexpr size_t kSecureBoot = 0x1ec;
constexpr size_t kSentinel = 0x1ef;
constexpr size_t kE820Table = 0x2d0;  // 128 entries of 20 bytes
constexpr size_t kE820Max = 128;
// efi_info's fields, from kEfiInfo.
constexpr size_t kEfiLoaderSignature = 0x00;
constexpr size_t kEfiSystab = 0x04;
constexpr size_t kEfiMemdescSize = 0x08;
constexpr size_t kEfiMemdescVersion = 0x0c;
constexpr size_t kEfiMemmap = 0x10;
constexpr size_t kEfiMemmapSize = 0x14;
constexpr size_t kEfiSystabHi = 0x18;
constexpr size_t kEfiMemmapHi = 0x1c;
}  // namespace zero_page

// setup_data types.
constexpr uint32_t kSetupE820Ext = 1;
constexpr uint32_t kSetupEfi = 4;
constexpr uint32_t kSetupRngSeed = 9;

// One EFI runtime region (/sys/firmware/efi/runtime-map/N).
struct EfiRuntimeRegion {
  uint32_t type = 0;
  uint64_t phys_addr = 0, virt_addr = 0, num_pages = 0, attribute = 0;
};

// What a kernel needs to keep using EFI runtime services after kexec:
// efi_info as the running kernel was given it (from
// /sys/kernel/boot_params/data), the SETUP_EFI data
// (/sys/firmware/efi/{fw_vendor,config_table,systab}) and the runtime map
// (/sys/firmware/efi/runtime-map), which becomes the new efi memory map.
struct EfiBootInfo {
  uint32_t loader_signature = 0;  // "EL64"
  uint64_t systab = 0;
  uint32_t memdesc_version = 1;
  uint64_t fw_vendor = 0;
  uint64_t runtime = 0;
  uint64_t config_table = 0;
  uint64_t smbios = ~0ULL;  // EFI_INVALID_TABLE_ADDR when absent
  std::vector<EfiRuntimeRegion> runtime_map;
};

struct BootParamsInputs {
  std::span<const uint8_t> setup_header;  // from the bzImage, 0x1f1 on
  std::string cmdline;                    // without the NUL
  std::vector<E820Entry> e820;
  uint64_t ramdisk_addr = 0, ramdisk_size = 0;
  uint64_t acpi_rsdp = 0;  // 0: the kernel looks for it itself
  // From the running kernel's boot_params, copied as the kernel's own
  // kexec_file_load does; empty when unknown.
  std::vector<uint8_t> screen_info;
  uint8_t secure_boot = 0;
  std::optional<EfiBootInfo> efi;
  std::vector<uint8_t> rng_seed;  // SETUP_RNG_SEED's bytes; none when empty
};

// Bytes the segment takes (known before its address, so it can be placed).
size_t boot_params_size(const BootParamsInputs& in);

// The segment's bytes for loading at `load_addr` (its internal pointers:
// cmd_line_ptr, setup_data, efi memmap, are physical addresses inside it).
// Errors: a command line longer than the kernel takes.
Result<std::vector<uint8_t>> build_boot_params(const BootParamsInputs& in, uint64_t load_addr,
                                               uint32_t cmdline_max);

// Parses the runtime map's files: each region's {type, phys_addr, virt_addr,
// num_pages, attribute} texts, as sysfs prints them ("0x..."). The name is
// for errors.
Result<EfiRuntimeRegion> parse_efi_runtime_region(const std::array<std::string, 5>& fields,
                                                  const std::string& name);

// "SMBIOS=0x..." and the ACPI lines of /sys/firmware/efi/systab.
std::optional<uint64_t> efi_systab_value(const std::string& systab, const std::string& key);

}  // namespace kdk::loader
