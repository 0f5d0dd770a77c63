#include "targets/lvm_label.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "util/fd.h"

namespace kdk::targets {

namespace {

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::optional<std::string> lvm_pv_uuid(std::span<const uint8_t> head) {
  constexpr size_t kSector = 512, kUuidLen = 32;
  for (size_t s = 0; s < 4 && (s + 1) * kSector <= head.size(); ++s) {
    const uint8_t* l = head.data() + s * kSector;
    if (std::memcmp(l, "LABELONE", 8) != 0 || std::memcmp(l + 24, "LVM2 001", 8) != 0) continue;
    if (le(l + 8, 8) != s) continue;  // a label copied to another sector is not this one
    const uint64_t offset = le(l + 20, 4);
    if (offset < 32 || offset + kUuidLen > kSector) continue;
    std::string raw(reinterpret_cast<const char*>(l + offset), kUuidLen);
    bool printable = true;
    for (char c : raw) printable = printable && c > ' ' && c < 127;
    if (!printable) continue;
    // LVM's display form: 6-4-4-4-4-4-6.
    static const int kGroups[] = {6, 4, 4, 4, 4, 4, 6};
    std::string out;
    size_t at = 0;
    for (int g : kGroups) {
      if (!out.empty()) out += '-';
      out += raw.substr(at, g);
      at += g;
    }
    return out;
  }
  return std::nullopt;
}

Result<std::optional<std::string>> read_lvm_pv_uuid(const std::string& device_path) {
  auto fd = open_fd(device_path, O_RDONLY | O_CLOEXEC);
  if (!fd) return fd.error();
  std::vector<uint8_t> head(kLvmLabelScanBytes);
  ssize_t n = ::pread(fd->get(), head.data(), head.size(), 0);
  if (n < 0) return Error::from_errno(errno, "read " + device_path);
  head.resize(static_cast<size_t>(n));
  return lvm_pv_uuid(head);
}

}  // namespace kdk::targets
