// Where the printk structures' fields are, from VMCOREINFO, checked so that
// every field lies inside its structure and every size is one the kernel
// can have. Two layouts: the lockless printk_ringbuffer (5.10+) and the
// variable-length printk_log records in log_buf (3.5-5.9).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::dmesg {

// A field: its offset and width inside a structure read as bytes.
struct Field {
  uint64_t offset = 0;
  unsigned width = 0;  // 2, 4 or 8
};

struct RingbufferLayout {
  uint64_t prb = 0;   // SYMBOL(prb): the address of the `prb` pointer
  unsigned word = 8;  // SIZE(atomic_long_t): the width of long and of pointers
  // struct printk_ringbuffer
  uint64_t ringbuffer_size = 0;
  uint64_t desc_ring = 0, text_data_ring = 0;  // embedded structures' offsets
  // struct prb_desc_ring (offsets relative to it)
  Field count_bits, descs, infos, head_id, tail_id;
  // struct prb_data_ring
  Field size_bits, data;
  // struct prb_desc
  uint64_t desc_size = 0;
  Field state_var, lpos_begin, lpos_next;  // begin/next within prb_desc
  // struct printk_info
  uint64_t info_size = 0;
  Field ts_nsec, text_len;
  std::optional<Field> caller_id;
};

struct LogBufLayout {
  uint64_t log_buf = 0, log_buf_len = 0, log_first_idx = 0, log_next_idx = 0;  // symbols
  // struct printk_log (named "log" before 3.11)
  uint64_t record_size = 0;
  Field ts_nsec, len, text_len;
  std::optional<Field> caller_id;
};

// Errors name the missing or inconsistent VMCOREINFO entry.
Result<RingbufferLayout> ringbuffer_layout(const vmcore::VmcoreInfo& info);
Result<LogBufLayout> log_buf_layout(const vmcore::VmcoreInfo& info);

// The value of `f` in a structure read into `bytes`, which the layout has
// checked to be large enough. Little-endian, as the targets we read are.
inline uint64_t field_value(std::span<const uint8_t> bytes, Field f) {
  if (f.offset > bytes.size() || bytes.size() - f.offset < f.width) return 0;
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + f.offset, f.width);
  return v;
}

// Largest structure we accept from VMCOREINFO; real ones are < 128 bytes.
inline constexpr uint64_t kMaxStructSize = 4096;

}  // namespace kdk::dmesg
