// Test-only switches on the capture kernel's command line, for the QEMU
// scenarios that must make a capture misbehave: "kdumpkit_test.NAME=VALUE".
// Not "kdumpkit.": those are configuration overrides, and an unknown key
// there makes the capture ignore all of them.
//   kdumpkit_test.hang=1     the job hangs after loading modules (watchdog, deadline)
//   kdumpkit_test.stall_s=N  PID 1 stops feeding the watchdog after N s without progress
//   kdumpkit_test.no_space_check=1  the dump is written whatever the free space (ENOSPC test)
//   kdumpkit_test.clock=N    the clock is set to N (seconds since 1970) before the network comes up
//   kdumpkit_test.throw_in_target=N  the Nth target (from 1) throws (the per-target boundary)
// And one read by `load` on the production kernel's /proc/cmdline (cli/cmd_load.cc):
//   kdumpkit_test.unchecked_append=WORD  WORD is added to the capture command line
//                                        after load's override checks (qemu/e2e-faults.sh)
// And one read by `load` from its environment (cli/cmd_load.cc):
//   KDUMPKIT_TEST_WRONG_DIGEST=1  kexec_load gets a wrong kernel digest (qemu/e2e-kexec.sh)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kdk::agent {

// The switch's value on `cmdline`; always nothing unless this is a test
// build (kdumpkit-test, which calls enable_test_switches() first): the
// shipped kdumpkit ignores every kdumpkit_test.* word.
std::optional<std::string> test_switch(std::string_view cmdline, std::string_view name);

void enable_test_switches();
bool test_switches_enabled();

}  // namespace kdk::agent
