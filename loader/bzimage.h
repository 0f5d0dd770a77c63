// An x86 bzImage as the kexec_load path needs it (Documentation/arch/x86/
// boot.rst): a non-owning view over the file's bytes that checks what the
// 64-bit entry needs (boot protocol 2.12 or later, XLF_KERNEL_64 and
// XLF_CAN_BE_LOADED_ABOVE_4G, a relocatable kernel) and exposes the setup
// header and the protected-mode kernel.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/result.h"

namespace kdk::loader {

// Offsets of the setup header's fields, in the image and in boot_params alike.
namespace setup {
constexpr size_t kSetupSects = 0x1f1;
constexpr size_t kBootFlag = 0x1fe;
constexpr size_t kHeaderEndByte = 0x201;  // the header ends at 0x202 + this byte
constexpr size_t kMagic = 0x202;          // "HdrS"
constexpr size_t kVersion = 0x206;
constexpr size_t kTypeOfLoader = 0x210;
constexpr size_t kLoadFlags = 0x211;
constexpr size_t kRamdiskImage = 0x218;
constexpr size_t kRamdiskSize = 0x21c;
constexpr size_t kCmdLinePtr = 0x228;
constexpr size_t kInitrdAddrMax = 0x22c;
constexpr size_t kKernelAlignment = 0x230;
constexpr size_t kRelocatable = 0x234;
constexpr size_t kXLoadFlags = 0x236;
constexpr size_t kCmdlineSize = 0x238;
constexpr size_t kSetupData = 0x250;
constexpr size_t kPrefAddress = 0x258;
constexpr size_t kInitSize = 0x260;
constexpr size_t kFirst = kSetupSects;
constexpr uint16_t kXlfKernel64 = 0x1;
constexpr uint16_t kXlfAbove4G = 0x2;
}  // namespace setup

struct BzImage {
  std::span<const uint8_t> setup_header;  // bytes 0x1f1 up to the header's end
  uint16_t version = 0;                   // boot protocol, 0x020f = 2.15
  uint16_t xloadflags = 0;
  uint32_t kernel_alignment = 0;
  uint32_t init_size = 0;  // memory the kernel needs from its load address on
  uint64_t pref_address = 0;
  uint32_t cmdline_size = 0;        // longest command line, without the NUL
  uint32_t initrd_addr_max = 0;     // highest address of the initrd's last byte (below 4G)
  std::span<const uint8_t> kernel;  // the protected-mode kernel: after (setup_sects + 1) * 512 bytes
  // Memory the kernel's segment takes: init_size (and never less than the
  // bytes loaded), page-aligned.
  uint64_t memory_size() const;
  // The 64-bit entry: load address + 0x200.
  static constexpr uint64_t kEntry64Offset = 0x200;
};

// Checks and views `image`; `name` is the file, for the errors.
Result<BzImage> parse_bzimage(std::span<const uint8_t> image, const std::string& name);

}  // namespace kdk::loader
