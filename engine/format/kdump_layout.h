// The on-disk structures of makedumpfile's kdump-compressed format ("KDUMP   ",
// header version 6) and of its flattened stream, with their sizes pinned so
// that a layout slip fails the build rather than a reader (crash, libkdumpfile).
//
// kdumpkit only captures little-endian LP64 machines (x86-64): the format is
// in the dumped machine's byte order, so these are written as native structs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kdk::dump {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "kdump headers are written in native (little-endian) order");

inline constexpr char kKdumpSignature[8] = {'K', 'D', 'U', 'M', 'P', ' ', ' ', ' '};
inline constexpr int kKdumpHeaderVersion = 6;
// Blocks before the sub header: the disk_dump_header block.
inline constexpr uint64_t kDiskDumpHeaderBlocks = 1;

// disk_dump_header.status and page_desc.flags.
inline constexpr uint32_t kCompressedZlib = 0x1;
inline constexpr uint32_t kCompressedLzo = 0x2;
inline constexpr uint32_t kCompressedSnappy = 0x4;
inline constexpr uint32_t kStatusIncomplete = 0x8;
inline constexpr uint32_t kStatusExcludedVmemmap = 0x10;
inline constexpr uint32_t kCompressedZstd = 0x20;

// makedumpfile's -d bits.
inline constexpr int kDumpLevelZero = 1;
inline constexpr int kDumpLevelCache = 2;
inline constexpr int kDumpLevelCachePrivate = 4;
inline constexpr int kDumpLevelUser = 8;
inline constexpr int kDumpLevelFree = 16;
inline constexpr int kDumpLevelMax = 31;

inline constexpr size_t kUtsFieldLen = 65;  // struct new_utsname fields

struct UtsName {
  char sysname[kUtsFieldLen];
  char nodename[kUtsFieldLen];
  char release[kUtsFieldLen];
  char version[kUtsFieldLen];
  char machine[kUtsFieldLen];
  char domainname[kUtsFieldLen];
};
static_assert(sizeof(UtsName) == 390);

struct DiskDumpHeader {
  char signature[8];
  int32_t header_version;
  UtsName utsname;
  // struct timeval: 8-byte aligned after the 6 pad bytes the C layout has.
  int64_t timestamp_sec;
  int64_t timestamp_usec;
  uint32_t status;
  int32_t block_size;
  int32_t sub_hdr_size;    // blocks
  uint32_t bitmap_blocks;  // both bitmaps
  uint32_t max_mapnr;      // obsolete 32-bit copy of max_mapnr_64
  uint32_t total_ram_blocks;
  uint32_t device_blocks;
  uint32_t written_blocks;
  uint32_t current_cpu;
  int32_t nr_cpus;
};
static_assert(sizeof(DiskDumpHeader) == 464);
static_assert(offsetof(DiskDumpHeader, timestamp_sec) == 408);
static_assert(offsetof(DiskDumpHeader, status) == 424);
static_assert(offsetof(DiskDumpHeader, nr_cpus) == 460);

struct KdumpSubHeader {
  uint64_t phys_base;
  int32_t dump_level;
  int32_t split;
  uint64_t start_pfn;  // obsolete (split dumps only)
  uint64_t end_pfn;
  int64_t offset_vmcoreinfo;
  uint64_t size_vmcoreinfo;
  int64_t offset_note;
  uint64_t size_note;
  int64_t offset_eraseinfo;
  uint64_t size_eraseinfo;
  uint64_t start_pfn_64;
  uint64_t end_pfn_64;
  uint64_t max_mapnr_64;
};
static_assert(sizeof(KdumpSubHeader) == 104);
static_assert(offsetof(KdumpSubHeader, offset_vmcoreinfo) == 32);
static_assert(offsetof(KdumpSubHeader, max_mapnr_64) == 96);

struct PageDesc {
  int64_t offset;  // absolute file offset of the page's bytes
  uint32_t size;
  uint32_t flags;  // kCompressed*; 0 = stored raw
  uint64_t page_flags;
};
static_assert(sizeof(PageDesc) == 24);

// Flattened stream (makedumpfile -F): a 4096-byte header, then records
// {offset, size} + bytes, ended by {-1, -1}; integers big-endian.
inline constexpr char kFlatSignature[] = "makedumpfile";
inline constexpr size_t kFlatHeaderSize = 4096;
inline constexpr int64_t kFlatType = 1;
inline constexpr int64_t kFlatVersion = 1;
inline constexpr size_t kFlatRecordHeaderSize = 16;

// Where everything sits in a kdump-compressed file.
struct KdumpGeometry {
  uint64_t block_size = 0;
  uint64_t max_mapnr = 0;
  uint64_t sub_hdr_blocks = 0;
  uint64_t bitmap_bytes = 0;  // one bitmap, whole blocks
  uint64_t dumpable = 0;      // set bits in bitmap2

  uint64_t bitmap1_offset() const { return (kDiskDumpHeaderBlocks + sub_hdr_blocks) * block_size; }
  uint64_t bitmap2_offset() const { return bitmap1_offset() + bitmap_bytes; }
  uint64_t desc_offset() const { return bitmap2_offset() + bitmap_bytes; }
  uint64_t data_offset() const { return desc_offset() + dumpable * sizeof(PageDesc); }

  static KdumpGeometry make(uint64_t block_size, uint64_t max_mapnr, uint64_t note_bytes, uint64_t dumpable) {
    KdumpGeometry g;
    g.block_size = block_size;
    g.max_mapnr = max_mapnr;
    g.sub_hdr_blocks = (sizeof(KdumpSubHeader) + note_bytes + block_size - 1) / block_size;
    g.bitmap_bytes = ((max_mapnr + 7) / 8 + block_size - 1) / block_size * block_size;
    g.dumpable = dumpable;
    return g;
  }
};

}  // namespace kdk::dump
