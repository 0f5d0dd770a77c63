// The crashed kernel's log as read from a vmcore: the text makedumpfile
// --dump-dmesg would write, the line naming the crash, and what (if
// anything) was wrong with the ring. A damaged ring still gives a KernelLog:
// the records read before the damage, with damage() saying what stopped us.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/dmesg/log_line.h"

namespace kdk::dmesg {

class KernelLog {
 public:
  explicit KernelLog(std::string source = {}, bool with_caller_id = false)
      : source_(std::move(source)), with_caller_id_(with_caller_id) {}

  void append(const LogRecord& record);
  // Records a problem with the ring; the first few are kept verbatim.
  void note_damage(std::string what);

  const std::string& text() const { return text_; }
  // First line starting a crash report (see panic_line.h); empty when none.
  const std::string& panic_line() const { return panic_line_; }
  size_t records() const { return records_; }
  // "printk_ringbuffer" (5.10+) or "printk_log" (3.5-5.9).
  const std::string& source() const { return source_; }

  bool damaged() const { return damage_count_ != 0; }
  const std::vector<std::string>& damage() const { return damage_; }
  size_t damage_count() const { return damage_count_; }  // including those not kept
  // One line for logs and metadata: "" when intact.
  std::string damage_summary() const;

 private:
  void find_panic_line(std::string_view text);

  std::string source_;
  bool with_caller_id_ = false;
  std::string text_;
  std::string panic_line_;
  size_t records_ = 0;
  std::vector<std::string> damage_;
  size_t damage_count_ = 0;
};

}  // namespace kdk::dmesg
