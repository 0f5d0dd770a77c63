#include "engine/dmesg/printk_log_buffer.h"

#include <string>
#include <vector>

#include "util/format.h"

namespace kdk::dmesg {
namespace {

using ull = unsigned long long;

Result<uint32_t> read_u32(kernel::KernelMemory& mem, uint64_t addr, const char* name) {
  auto v = mem.read_value<uint32_t>(addr);
  if (!v) return v.error().within(name);
  return *v;
}

}  // namespace

Status read_printk_log_buffer(kernel::KernelMemory& mem, const LogBufLayout& l, KernelLog& log) {
  auto buf = mem.read_value<uint64_t>(l.log_buf);
  if (!buf) return buf.error().within("log_buf");
  auto len = read_u32(mem, l.log_buf_len, "log_buf_len");
  if (!len) return len.error();
  auto first = read_u32(mem, l.log_first_idx, "log_first_idx");
  if (!first) return first.error();
  auto next = read_u32(mem, l.log_next_idx, "log_next_idx");
  if (!next) return next.error();

  const uint64_t size = *len, hdr = l.record_size;
  if (size == 0 || size > kMaxLogBufLen || size < hdr)
    return Error{format("log_buf_len %llu is impossible", (ull)size)};
  if (*first > size - hdr || *next > size - hdr)
    return Error{format("log_first_idx %u or log_next_idx %u is outside the %llu-byte log_buf", *first, *next,
                        (ull)size)};

  std::vector<uint8_t> header(hdr);
  std::string text;
  uint64_t pos = *first;
  bool wrapped = false;
  // Before the wrap the walk may run to the end of the buffer; after it,
  // only up to log_next_idx. When first < next there is no wrap.
  const bool expect_wrap = *first > *next;
  while (pos != *next) {
    if (pos > size - hdr) {
      log.note_damage(format("log_buf: record index %llu leaves no room for a record header", (ull)pos));
      break;
    }
    if (auto s = mem.read(*buf + pos, header.data(), hdr); !s) {
      log.note_damage(
          format("log_buf: record at index %llu unreadable: %s", (ull)pos, s.error().message.c_str()));
      break;
    }
    uint64_t rec_len = field_value(header, l.len);
    if (rec_len == 0) {  // end of the used part: continue at the start
      if (wrapped || !expect_wrap) {
        log.note_damage(format("log_buf: unexpected end marker at index %llu", (ull)pos));
        break;
      }
      wrapped = true;
      pos = 0;
      continue;
    }
    uint64_t limit = wrapped || !expect_wrap ? *next : size;
    if (rec_len < hdr || rec_len > limit - pos) {
      log.note_damage(format("log_buf: record at index %llu has length %llu (header %llu, must end by %llu)",
                             (ull)pos, (ull)rec_len, (ull)hdr, (ull)limit));
      break;
    }
    uint64_t text_len = field_value(header, l.text_len);
    if (text_len > rec_len - hdr) {
      log.note_damage(format("log_buf: record at index %llu has text_len %llu in a %llu-byte record",
                             (ull)pos, (ull)text_len, (ull)rec_len));
      text_len = rec_len - hdr;
    }
    text.resize(text_len);
    if (text_len > 0) {
      if (auto s = mem.read(*buf + pos + hdr, text.data(), text_len); !s) {
        log.note_damage(format("log_buf: text at index %llu unreadable: %s", (ull)(pos + hdr),
                               s.error().message.c_str()));
        break;
      }
    }
    LogRecord rec;
    rec.ts_nsec = field_value(header, l.ts_nsec);
    if (l.caller_id) rec.caller_id = static_cast<uint32_t>(field_value(header, *l.caller_id));
    rec.text = text;
    log.append(rec);
    pos += rec_len;
  }
  return {};
}

}  // namespace kdk::dmesg
