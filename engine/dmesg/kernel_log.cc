#include "engine/dmesg/kernel_log.h"

#include "engine/dmesg/panic_line.h"
#include "util/format.h"

namespace kdk::dmesg {
namespace {
constexpr size_t kDamageKept = 8;
}

void KernelLog::append(const LogRecord& record) {
  append_log_line(text_, record, with_caller_id_);
  ++records_;
  if (panic_line_.empty()) find_panic_line(record.text);
}

void KernelLog::find_panic_line(std::string_view text) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (starts_crash_report(line)) {
      append_escaped(panic_line_, line);
      return;
    }
    if (nl == std::string_view::npos) return;
    text.remove_prefix(nl + 1);
  }
}

void KernelLog::note_damage(std::string what) {
  if (damage_.size() < kDamageKept) damage_.push_back(std::move(what));
  ++damage_count_;
}

std::string KernelLog::damage_summary() const {
  std::string s;
  for (const std::string& d : damage_) {
    if (!s.empty()) s += "; ";
    s += d;
  }
  if (damage_count_ > damage_.size()) s += format("; and %zu more", damage_count_ - damage_.size());
  return s;
}

}  // namespace kdk::dmesg
