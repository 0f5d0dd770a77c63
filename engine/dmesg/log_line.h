// How one kernel log record becomes text, byte for byte as
// `makedumpfile --dump-dmesg` writes it: "[%5llu.%06llu] " (seconds and
// microseconds), optionally the caller "[%8s] " (T<pid> or C<cpu>, as
// makedumpfile 1.7.5+ prints when asked), then the text, where
//  - '\n' inside a record starts a new line indented to the text column;
//  - bytes that are printable or white space in the C locale pass through;
//  - other bytes are escaped as "\xNN". makedumpfile formats a plain `char`,
//    which is signed on x86-64, so bytes >= 0x80 come out sign-extended as
//    "\xffffffNN"; we reproduce that so the files compare equal.
// Dictionaries (3.5-5.9) and dev_printk_info (5.10+) are not printed, as
// makedumpfile does not print them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kdk::dmesg {

struct LogRecord {
  uint64_t ts_nsec = 0;
  uint32_t caller_id = 0;  // bit 31 set: CPU number, else task id
  std::string_view text;   // raw bytes, not NUL-terminated
};

// Appends the record's line(s), ending in '\n', to `out`.
void append_log_line(std::string& out, const LogRecord& record, bool with_caller_id);

// The escaping alone, without indentation: what `out` gets for `text` when
// it holds no '\n'.
void append_escaped(std::string& out, std::string_view text);

}  // namespace kdk::dmesg
