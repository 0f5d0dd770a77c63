// The header kdumpkit keeps in the first 4 KiB of a raw dump partition, so
// that what lies behind it is never taken for something it is not: a dump in
// progress, a committed dump not yet saved, or one savecore already saved.
//
// The capture writes it "writing" with a fresh capture id before anything
// else (which invalidates whatever the device held), then the regions, and
// rewrites it "committed" with each region's length and SHA-256 once they
// are on the device (fsync in between). savecore marks it "saved". A torn or
// damaged header fails its own checksum and is reported, never trusted.
//
// Layout (little-endian), 4096 bytes:
//     0  magic "KDKRAW01"          8  u32 version (1)     12  u32 state
//    16  capture id (16 bytes)    32  i64 crash time     40  i64 saved time
//    48  4 regions: u64 offset, u64 length, 32-byte SHA-256 (48 bytes each)
//   240  crash directory name (NUL-terminated, 256 bytes)
//   496  note (NUL-terminated, 512 bytes): why incomplete, or where it was saved
//  4064  SHA-256 of bytes 0..4063
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::targets {

constexpr uint64_t kRawHeaderSize = 4096;

enum class RawState : uint32_t {
  kWriting = 1,    // a capture started and did not finish
  kCommitted = 2,  // a capture finished; not saved yet
  kSaved = 3,      // savecore saved it (note says where)
};
const char* to_string(RawState s);

// What the partition carries besides the header, in write order.
enum RawRegionKind { kRawDmesg = 0, kRawStream = 1, kRawLog = 2, kRawMetadata = 3, kRawRegionCount = 4 };
const char* raw_region_name(int kind);  // "vmcore-dmesg.txt", "vmcore.flat", "kdumpkit.log", "metadata.json"

struct RawRegion {
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: absent
  std::string sha256;   // lower-case hex; empty when absent
  bool present() const { return length != 0; }
};

struct RawHeader {
  RawState state = RawState::kWriting;
  std::string capture_id;  // 32 lower-case hex digits
  int64_t crash_time = 0;
  int64_t saved_time = 0;
  std::array<RawRegion, kRawRegionCount> regions;
  std::string dir_name;  // "<host>-<YYYY-MM-DD-HH:MM:SS>"
  std::string note;
};

std::vector<uint8_t> encode_raw_header(const RawHeader& h);

struct RawHeaderRead {
  enum Kind {
    kNone,  // no kdumpkit header (never used, or wiped)
    kValid,
    kCorrupt,  // our magic, but a bad checksum, version or field: `problem` says which
  } kind = kNone;
  RawHeader header;
  std::string problem;
};

// Decodes the first kRawHeaderSize bytes of a device of `device_size` bytes
// (regions must lie inside it, after the header, and not overlap).
RawHeaderRead decode_raw_header(std::span<const uint8_t> block, uint64_t device_size);

// A fresh capture id from getrandom (non-blocking: the capture kernel may
// have no entropy yet) mixed with the clock and `salt`.
std::string new_capture_id(uint64_t salt);

}  // namespace kdk::targets
