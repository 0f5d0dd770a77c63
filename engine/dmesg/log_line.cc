#include "engine/dmesg/log_line.h"

#include "util/format.h"

namespace kdk::dmesg {
namespace {

// isprint() || isspace() in the C locale, for the bytes makedumpfile passes through.
bool passes_through(unsigned char c) { return (c >= 0x20 && c <= 0x7e) || (c >= '\t' && c <= '\r'); }

void append_byte(std::string& out, unsigned char c) {
  if (passes_through(c)) {
    out.push_back(static_cast<char>(c));
    return;
  }
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  if (c >= 0x80) out += "ffffff";  // sign-extended char, see log_line.h
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xf]);
}

}  // namespace

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) append_byte(out, static_cast<unsigned char>(c));
}

void append_log_line(std::string& out, const LogRecord& record, bool with_caller_id) {
  size_t start = out.size();
  out += format("[%5llu.%06llu] ", static_cast<unsigned long long>(record.ts_nsec / 1000000000ULL),
                static_cast<unsigned long long>(record.ts_nsec % 1000000000ULL / 1000ULL));
  if (with_caller_id) {
    const uint32_t cpu_flag = 0x80000000u;
    std::string caller =
        format("%c%u", (record.caller_id & cpu_flag) ? 'C' : 'T', record.caller_id & ~cpu_flag);
    out += format("[%8s] ", caller.c_str());
  }
  size_t indent = out.size() - start;
  for (char c : record.text) {
    if (c == '\n') {
      out.push_back('\n');
      out.append(indent, ' ');
    } else {
      append_byte(out, static_cast<unsigned char>(c));
    }
  }
  out.push_back('\n');
}

}  // namespace kdk::dmesg
