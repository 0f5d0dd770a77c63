#include "engine/dmesg/panic_line.h"

namespace kdk::dmesg {

bool starts_crash_report(std::string_view line) {
  static constexpr std::string_view kMarkers[] = {
      "Kernel panic - not syncing",
      "BUG: ",
      "kernel BUG at ",
      "Oops",
      "general protection fault",
      "Unable to handle kernel ",
      "divide error",
      "invalid opcode",
      "stack segment",
      "double fault",
      "watchdog: BUG: ",
      "watchdog: Watchdog detected hard LOCKUP",
      "sysrq: Trigger a crash",
      "SysRq : Trigger a crash",
  };
  for (std::string_view m : kMarkers) {
    if (line.starts_with(m)) return true;
  }
  return false;
}

}  // namespace kdk::dmesg
