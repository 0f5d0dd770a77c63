#include "targets/superblock_probe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/fd.h"

namespace kdk::targets {

namespace {

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// A label field is NUL-padded (or filled completely).
std::string fixed_string(const uint8_t* p, size_t max) {
  size_t n = 0;
  while (n < max && p[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(p), n);
}

std::optional<FilesystemInfo> probe_ext(std::span<const uint8_t> head) {
  constexpr size_t kSuper = 1024;
  if (head.size() < kSuper + 136) return std::nullopt;
  const uint8_t* sb = head.data() + kSuper;
  if (le16(sb + 56) != 0xEF53) return std::nullopt;
  return FilesystemInfo{"ext4", fixed_string(sb + 120, 16), format_uuid(sb + 104)};
}

std::optional<FilesystemInfo> probe_xfs(std::span<const uint8_t> head) {
  if (head.size() < 120 || std::memcmp(head.data(), "XFSB", 4) != 0) return std::nullopt;
  return FilesystemInfo{"xfs", fixed_string(head.data() + 108, 12), format_uuid(head.data() + 32)};
}

std::optional<FilesystemInfo> probe_btrfs(std::span<const uint8_t> head) {
  constexpr size_t kSuper = 0x10000;
  if (head.size() < kSuper + 0x12b + 256) return std::nullopt;
  const uint8_t* sb = head.data() + kSuper;
  if (std::memcmp(sb + 0x40, "_BHRfS_M", 8) != 0) return std::nullopt;
  return FilesystemInfo{"btrfs", fixed_string(sb + 0x12b, 256), format_uuid(sb + 0x20)};
}

}  // namespace

std::string format_uuid(const uint8_t b[16]) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::optional<FilesystemInfo> probe_superblock(std::span<const uint8_t> head) {
  if (auto fs = probe_xfs(head)) return fs;
  if (auto fs = probe_ext(head)) return fs;
  if (auto fs = probe_btrfs(head)) return fs;
  return std::nullopt;
}

Result<std::optional<FilesystemInfo>> probe_device(const std::string& device_path) {
  auto fd = open_fd(device_path, O_RDONLY);
  if (!fd) return fd.error();
  std::vector<uint8_t> head(kProbeBytes);
  size_t got = 0;
  while (got < head.size()) {
    ssize_t n = ::pread(fd->get(), head.data() + got, head.size() - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read superblock of " + device_path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  return probe_superblock(head);
}

}  // namespace kdk::targets
