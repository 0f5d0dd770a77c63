// Test helper: the two bitmaps of a kdump-compressed file (makedumpfile's
// output), read straight from the layout in REFERENCE.md, independent of the
// product's reader so that the oracle comparison does not test us with us.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace kdk::testing {

struct KdumpBitmaps {
  uint64_t max_mapnr = 0;
  std::vector<uint8_t> bitmap1, bitmap2;
  std::string error;

  bool test1(uint64_t pfn) const {
    return (pfn >> 3) < bitmap1.size() && ((bitmap1[pfn >> 3] >> (pfn & 7)) & 1);
  }
  bool test2(uint64_t pfn) const {
    return (pfn >> 3) < bitmap2.size() && ((bitmap2[pfn >> 3] >> (pfn & 7)) & 1);
  }

  static KdumpBitmaps read(const std::string& path) {
    KdumpBitmaps b;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
      b.error = "cannot open " + path;
      return b;
    }
    uint8_t hdr[464];
    auto at = [&](uint64_t off, void* out, size_t len) {
      return std::fseek(f, static_cast<long>(off), SEEK_SET) == 0 && std::fread(out, 1, len, f) == len;
    };
    int32_t block_size = 0, sub_hdr_size = 0, version = 0;
    uint32_t bitmap_blocks = 0, max32 = 0;
    if (!at(0, hdr, sizeof hdr) || std::memcmp(hdr, "KDUMP   ", 8) != 0) {
      b.error = path + ": not a kdump-compressed file";
    } else {
      std::memcpy(&version, hdr + 8, 4);
      std::memcpy(&block_size, hdr + 428, 4);
      std::memcpy(&sub_hdr_size, hdr + 432, 4);
      std::memcpy(&bitmap_blocks, hdr + 436, 4);
      std::memcpy(&max32, hdr + 440, 4);
      b.max_mapnr = max32;
      uint64_t max64 = 0;
      if (version >= 6 && at(static_cast<uint64_t>(block_size) + 96, &max64, 8)) b.max_mapnr = max64;
      uint64_t len = static_cast<uint64_t>(bitmap_blocks) / 2 * static_cast<uint64_t>(block_size);
      uint64_t off = (1 + static_cast<uint64_t>(sub_hdr_size)) * static_cast<uint64_t>(block_size);
      b.bitmap1.resize(len);
      b.bitmap2.resize(len);
      if (!at(off, b.bitmap1.data(), len) || !at(off + len, b.bitmap2.data(), len))
        b.error = path + ": short bitmaps";
    }
    std::fclose(f);
    return b;
  }
};

}  // namespace kdk::testing
