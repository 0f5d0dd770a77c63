// A partition's PARTUUID without blkid: the unique partition GUID from the
// parent disk's GPT (header at LBA 1, "EFI PART"), or for an MBR disk the
// disk signature and partition number, formatted as blkid prints them.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "util/result.h"

namespace kdk::targets {

// A GUID as stored on disk: the first three fields little-endian, the rest
// as bytes ("mixed-endian"), printed lower case 8-4-4-4-12.
std::string format_guid(const uint8_t bytes[16]);

// The fields of a GPT header (`header`: LBA 1, at least 92 bytes) that say
// where partition entry `partno` (1-based) is.
struct GptEntryLocation {
  uint64_t entries_lba = 0;
  uint32_t entry_count = 0;
  uint32_t entry_size = 0;
};
Result<GptEntryLocation> parse_gpt_header(std::span<const uint8_t> header);

// The unique partition GUID in one entry; an error for an unused entry.
Result<std::string> gpt_entry_guid(std::span<const uint8_t> entry);

// "<disk signature, 8 hex>-<partno, 2 hex>", as blkid names MBR partitions;
// `sector0` is the disk's first 512 bytes.
Result<std::string> mbr_partuuid(std::span<const uint8_t> sector0, unsigned partno);

// Reads the PARTUUID of partition `partno` of `disk_path`, whose logical
// sectors are `sector_size` bytes.
Result<std::string> read_partuuid(const std::string& disk_path, unsigned partno, unsigned sector_size);

}  // namespace kdk::targets
