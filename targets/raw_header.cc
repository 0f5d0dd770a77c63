#include "targets/raw_header.h"

#include <sys/random.h>
#include <time.h>

#include <cstring>

#include "util/format.h"
#include "util/sha256.h"

namespace kdk::targets {

namespace {

constexpr char kMagic[8] = {'K', 'D', 'K', 'R', 'A', 'W', '0', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kIdAt = 16, kIdSize = 16;
constexpr size_t kRegionsAt = 48, kRegionSize = 48;
constexpr size_t kDirAt = 240, kDirSize = 256;
constexpr size_t kNoteAt = 496, kNoteSize = 512;
constexpr size_t kChecksumAt = kRawHeaderSize - 32;

void put_le(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Hex text to bytes; false unless exactly `size` bytes of lower-case hex.
bool put_hex(uint8_t* p, const std::string& hex, size_t size) {
  if (hex.size() != 2 * size) return false;
  for (size_t i = 0; i < size; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    p[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string get_hex(const uint8_t* p, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

void put_text(uint8_t* p, const std::string& s, size_t field) {
  size_t n = std::min(s.size(), field - 1);  // always NUL-terminated
  std::memcpy(p, s.data(), n);
}

bool get_text(const uint8_t* p, size_t field, std::string& out) {
  const void* nul = std::memchr(p, 0, field);
  if (!nul) return false;
  out.assign(reinterpret_cast<const char*>(p), static_cast<const uint8_t*>(nul) - p);
  return true;
}

}  // namespace

const char* to_string(RawState s) {
  switch (s) {
    case RawState::kWriting:
      return "writing";
    case RawState::kCommitted:
      return "committed";
    case RawState::kSaved:
      return "saved";
  }
  return "unknown";
}

const char* raw_region_name(int kind) {
  static const char* const kNames[kRawRegionCount] = {"vmcore-dmesg.txt", "vmcore.flat", "kdumpkit.log",
                                                      "metadata.json"};
  return kind >= 0 && kind < kRawRegionCount ? kNames[kind] : "?";
}

std::vector<uint8_t> encode_raw_header(const RawHeader& h) {
  std::vector<uint8_t> b(kRawHeaderSize, 0);
  std::memcpy(b.data(), kMagic, sizeof kMagic);
  put_le(&b[8], kVersion, 4);
  put_le(&b[12], static_cast<uint32_t>(h.state), 4);
  put_hex(&b[kIdAt], h.capture_id, kIdSize);  // a malformed id stays zero: decode rejects it
  put_le(&b[32], static_cast<uint64_t>(h.crash_time), 8);
  put_le(&b[40], static_cast<uint64_t>(h.saved_time), 8);
  for (int i = 0; i < kRawRegionCount; ++i) {
    uint8_t* r = &b[kRegionsAt + i * kRegionSize];
    const RawRegion& reg = h.regions[i];
    put_le(r, reg.offset, 8);
    put_le(r + 8, reg.length, 8);
    if (reg.present()) put_hex(r + 16, reg.sha256, 32);
  }
  put_text(&b[kDirAt], h.dir_name, kDirSize);
  put_text(&b[kNoteAt], h.note, kNoteSize);
  Sha256 sum;
  sum.update(b.data(), kChecksumAt);
  put_hex(&b[kChecksumAt], sum.hex_digest(), 32);
  return b;
}

RawHeaderRead decode_raw_header(std::span<const uint8_t> b, uint64_t device_size) {
  RawHeaderRead out;
  if (b.size() < kRawHeaderSize || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) return out;
  out.kind = RawHeaderRead::kCorrupt;
  auto bad = [&](std::string why) {
    out.problem = std::move(why);
    return out;
  };
  if (sha256_hex(b.data(), kChecksumAt) != get_hex(&b[kChecksumAt], 32)) {
    return bad("header checksum mismatch (torn or overwritten header)");
  }
  uint32_t version = static_cast<uint32_t>(get_le(&b[8], 4));
  if (version != kVersion)
    return bad(format("header version %u, this kdumpkit reads version %u", version, kVersion));
  uint32_t state = static_cast<uint32_t>(get_le(&b[12], 4));
  if (state < 1 || state > 3) return bad(format("unknown header state %u", state));
  RawHeader& h = out.header;
  h.state = static_cast<RawState>(state);
  h.capture_id = get_hex(&b[kIdAt], kIdSize);
  if (h.capture_id == std::string(2 * kIdSize, '0')) return bad("no capture id");
  h.crash_time = static_cast<int64_t>(get_le(&b[32], 8));
  h.saved_time = static_cast<int64_t>(get_le(&b[40], 8));
  for (int i = 0; i < kRawRegionCount; ++i) {
    const uint8_t* r = &b[kRegionsAt + i * kRegionSize];
    RawRegion& reg = h.regions[i];
    reg.offset = get_le(r, 8);
    reg.length = get_le(r + 8, 8);
    if (!reg.present()) continue;
    reg.sha256 = get_hex(r + 16, 32);
    if (reg.offset < kRawHeaderSize || reg.offset > device_size || reg.length > device_size - reg.offset) {
      return bad(format("%s at offset %llu, %llu bytes, lies outside the device (%llu bytes)",
                        raw_region_name(i), static_cast<unsigned long long>(reg.offset),
                        static_cast<unsigned long long>(reg.length),
                        static_cast<unsigned long long>(device_size)));
    }
  }
  for (int i = 0; i < kRawRegionCount; ++i) {
    for (int j = i + 1; j < kRawRegionCount; ++j) {
      const RawRegion &a = h.regions[i], &c = h.regions[j];
      if (a.present() && c.present() && a.offset < c.offset + c.length && c.offset < a.offset + a.length) {
        return bad(format("%s and %s overlap", raw_region_name(i), raw_region_name(j)));
      }
    }
  }
  if (!get_text(&b[kDirAt], kDirSize, h.dir_name) || !get_text(&b[kNoteAt], kNoteSize, h.note)) {
    return bad("unterminated text field");
  }
  if (h.dir_name.empty() || h.dir_name.find('/') != std::string::npos || h.dir_name == "." ||
      h.dir_name == "..") {
    return bad("bad crash directory name '" + h.dir_name + "'");
  }
  out.kind = RawHeaderRead::kValid;
  return out;
}

std::string new_capture_id(uint64_t salt) {
  uint8_t seed[40] = {};
  (void)::getrandom(seed, 16, GRND_NONBLOCK);  // zeros when the pool is not ready
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  put_le(seed + 16, static_cast<uint64_t>(ts.tv_sec), 8);
  put_le(seed + 24, static_cast<uint64_t>(ts.tv_nsec), 8);
  put_le(seed + 32, salt, 8);
  return sha256_hex(seed, sizeof seed).substr(0, 2 * kIdSize);
}

}  // namespace kdk::targets
