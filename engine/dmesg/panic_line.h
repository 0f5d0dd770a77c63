// Which log line names the crash, for metadata.json's "panic line".
//
// Rule: the first line, in log order, that starts a crash report, i.e.
// whose text (after the timestamp) begins with one of:
//   "Kernel panic - not syncing"          panic()
//   "BUG: ", "kernel BUG at "             BUG(), NULL dereference, lockups
//   "Oops", "general protection fault"    die() on x86 (6.x prefixes "Oops: ")
//   "Unable to handle kernel "            die() on arm64/powerpc
//   "divide error", "invalid opcode", "stack segment", "double fault"
//   "watchdog: BUG: ", "watchdog: Watchdog detected hard LOCKUP"
//   "sysrq: Trigger a crash", "SysRq : Trigger a crash" (before 5.x)
// The first one wins because the kernel reports the cause before panic()
// runs ("BUG: kernel NULL pointer dereference" comes before "Kernel panic -
// not syncing: Fatal exception"; "sysrq: Trigger a crash" before "Kernel
// panic - not syncing: sysrq triggered crash"). A non-fatal "BUG:" earlier in
// the log (e.g. "BUG: sleeping function called from invalid context") wins
// too: it is the first sign of trouble. The line is returned as dmesg.txt
// shows it, without the timestamp, escaped like the rest of the file.
#pragma once

#include <string_view>

namespace kdk::dmesg {

bool starts_crash_report(std::string_view line);

}  // namespace kdk::dmesg
