#include "loader/bzimage.h"

#include <cstring>

#include "util/format.h"

namespace kdk::loader {

namespace {

template <class T>
T read_le(std::span<const uint8_t> b, size_t at) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); i++) v |= static_cast<T>(static_cast<T>(b[at + i]) << (8 * i));
  return v;
}

}  // namespace

uint64_t BzImage::memory_size() const {
  uint64_t need = init_size > kernel.size() ? init_size : kernel.size();
  return (need + 4095) & ~4095ULL;
}

Result<BzImage> parse_bzimage(std::span<const uint8_t> img, const std::string& name) {
  auto bad = [&](const std::string& what) { return Error{name + ": " + what}; };
  if (img.size() >= 4 && std::memcmp(img.data(),
                                     "\x7f"
                                     "ELF",
                                     4) == 0) {
    return bad("an ELF vmlinux, not a bzImage: kexec_load here takes bzImages only (boot/vmlinuz-*)");
  }
  if (img.size() < setup::kInitSize + 4) return bad(format("%zu bytes: too short for a bzImage", img.size()));
  if (read_le<uint16_t>(img, setup::kBootFlag) != 0xaa55 ||
      std::memcmp(img.data() + setup::kMagic, "HdrS", 4) != 0) {
    return bad("not a bzImage (no 0xAA55 boot flag at 0x1fe and \"HdrS\" at 0x202)");
  }
  BzImage z;
  z.version = read_le<uint16_t>(img, setup::kVersion);
  if (z.version < 0x020c) {
    return bad(format("boot protocol %u.%02u: the 64-bit entry needs 2.12 or later", z.version >> 8,
                      z.version & 0xff));
  }
  size_t header_end = 0x202 + img[setup::kHeaderEndByte];
  if (header_end > img.size() || header_end < setup::kInitSize + 4) {
    return bad(format("setup header ends at 0x%zx, outside the image or before init_size", header_end));
  }
  z.setup_header = img.subspan(setup::kFirst, header_end - setup::kFirst);
  z.xloadflags = read_le<uint16_t>(img, setup::kXLoadFlags);
  if (!(z.xloadflags & setup::kXlfKernel64))
    return bad("the kernel has no 64-bit entry (XLF_KERNEL_64 clear)");
  if (!(z.xloadflags & setup::kXlfAbove4G)) {
    return bad("the kernel can't be loaded above 4 GiB (XLF_CAN_BE_LOADED_ABOVE_4G clear)");
  }
  if (!img[setup::kRelocatable]) return bad("the kernel is not relocatable (relocatable_kernel is 0)");
  z.kernel_alignment = read_le<uint32_t>(img, setup::kKernelAlignment);
  if (z.kernel_alignment == 0 || (z.kernel_alignment & (z.kernel_alignment - 1)) != 0 ||
      z.kernel_alignment < 4096) {
    return bad(format("kernel_alignment 0x%x is not a power of two of at least 4 KiB", z.kernel_alignment));
  }
  z.init_size = read_le<uint32_t>(img, setup::kInitSize);
  z.pref_address = read_le<uint64_t>(img, setup::kPrefAddress);
  z.cmdline_size = read_le<uint32_t>(img, setup::kCmdlineSize);
  z.initrd_addr_max = read_le<uint32_t>(img, setup::kInitrdAddrMax);
  unsigned setup_sects = img[setup::kSetupSects];
  if (setup_sects == 0) setup_sects = 4;
  size_t kernel_at = (setup_sects + 1) * 512;
  if (kernel_at >= img.size()) {
    return bad(format("setup_sects %u puts the kernel at 0x%zx, past the end (%zu bytes)", setup_sects,
                      kernel_at, img.size()));
  }
  z.kernel = img.subspan(kernel_at);
  if (z.init_size == 0) return bad("init_size is 0");
  return z;
}

}  // namespace kdk::loader
