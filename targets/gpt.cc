#include "targets/gpt.h"

#include <fcntl.h>

#include <cstring>
#include <vector>

#include "util/fd.h"
#include "util/format.h"

namespace kdk::targets {

namespace {

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

uint64_t le64(const uint8_t* p) { return le32(p) | static_cast<uint64_t>(le32(p + 4)) << 32; }

// GPT allows up to thousands of entries; anything beyond this is corrupt.
constexpr uint32_t kMaxEntries = 1 << 16;
constexpr uint32_t kMaxEntrySize = 4096;

}  // namespace

std::string format_guid(const uint8_t b[16]) {
  const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[order[i]] >> 4];
    out += hex[b[order[i]] & 15];
  }
  return out;
}

Result<GptEntryLocation> parse_gpt_header(std::span<const uint8_t> h) {
  if (h.size() < 92) return Error{format("GPT header: %zu bytes, need 92", h.size())};
  if (std::memcmp(h.data(), "EFI PART", 8) != 0) return Error{"no GPT header (\"EFI PART\") at LBA 1"};
  GptEntryLocation loc;
  loc.entries_lba = le64(h.data() + 72);
  loc.entry_count = le32(h.data() + 80);
  loc.entry_size = le32(h.data() + 84);
  if (loc.entry_size < 128 || loc.entry_size > kMaxEntrySize || loc.entry_size % 8 != 0) {
    return Error{format("GPT header: partition entry size %u (expected a multiple of 8, 128..%u)",
                        loc.entry_size, kMaxEntrySize)};
  }
  if (loc.entry_count > kMaxEntries) {
    return Error{format("GPT header: %u partition entries (more than %u)", loc.entry_count, kMaxEntries)};
  }
  if (loc.entries_lba < 2)
    return Error{format("GPT header: entries at LBA %llu (expected 2 or more)",
                        static_cast<unsigned long long>(loc.entries_lba))};
  return loc;
}

Result<std::string> gpt_entry_guid(std::span<const uint8_t> e) {
  if (e.size() < 32) return Error{"GPT entry shorter than 32 bytes"};
  static const uint8_t zero[16] = {};
  if (std::memcmp(e.data(), zero, 16) == 0) return Error{"GPT entry unused (type GUID zero)"};
  return format_guid(e.data() + 16);
}

Result<std::string> mbr_partuuid(std::span<const uint8_t> s, unsigned partno) {
  if (s.size() < 512 || s[510] != 0x55 || s[511] != 0xaa) return Error{"no MBR boot signature"};
  uint32_t sig = le32(s.data() + 440);
  if (sig == 0) return Error{"MBR disk signature is zero"};
  return format("%08x-%02x", sig, partno);
}

Result<std::string> read_partuuid(const std::string& disk_path, unsigned partno, unsigned sector_size) {
  if (partno == 0) return Error{"partition number 0"};
  if (sector_size < 512 || sector_size > 65536) sector_size = 512;
  auto fd = open_fd(disk_path, O_RDONLY);
  if (!fd) return fd.error();
  std::vector<uint8_t> header(sector_size);
  if (auto s = pread_exact(fd->get(), header.data(), header.size(), sector_size, disk_path + " GPT header");
      !s) {
    return s.error();
  }
  auto loc = parse_gpt_header(header);
  if (!loc) {
    std::vector<uint8_t> sector0(512);
    if (auto s = pread_exact(fd->get(), sector0.data(), sector0.size(), 0, disk_path + " MBR"); !s)
      return s.error();
    // A protective MBR (type 0xee) means GPT: then the GPT error is the one to report.
    if (sector0[450] == 0xee) return Error{disk_path + ": " + loc.error().message};
    auto mbr = mbr_partuuid(sector0, partno);
    if (!mbr) return Error{disk_path + ": " + loc.error().message + "; " + mbr.error().message};
    return mbr;
  }
  if (partno > loc->entry_count) {
    return Error{
        format("%s: partition %u beyond the GPT's %u entries", disk_path.c_str(), partno, loc->entry_count)};
  }
  std::vector<uint8_t> entry(loc->entry_size);
  off_t at = static_cast<off_t>(loc->entries_lba * sector_size + uint64_t{partno - 1} * loc->entry_size);
  if (auto s = pread_exact(fd->get(), entry.data(), entry.size(), at, disk_path + " GPT entry"); !s)
    return s.error();
  auto guid = gpt_entry_guid(entry);
  if (!guid)
    return Error{format("%s partition %u: %s", disk_path.c_str(), partno, guid.error().message.c_str())};
  return guid;
}

}  // namespace kdk::targets
