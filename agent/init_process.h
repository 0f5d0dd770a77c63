// PID 1 in the capture kernel: mounts the API filesystems, runs the capture
// job in a child process under a deadline (config `deadline`), feeds a
// hardware watchdog while the job progresses, reaps every child, and always
// ends in the final action (`final_action` after a complete dump,
// `failure_action` otherwise). It never returns and never exits (PID 1 exiting
// panics the kernel).
#pragma once

#include "agent/capture.h"

namespace kdk::agent {

[[noreturn]] void run_as_init(const CapturePaths& paths);

// Whether this PID 1 is the capture kernel's init: /proc/vmcore exists and
// the kernel's command line has elfcorehdr=. (Mounts /proc first when it is
// not.) A static kdumpkit that is PID 1 in a container is not, and must not
// start a capture and a reboot there.
bool in_capture_kernel();

// The final action: sync (unless told not to: after the deadline a sync can
// hang on the very device that stopped the job), then reboot/poweroff/halt.
[[noreturn]] void perform_final_action(config::FinalAction action, bool sync_first = true);

}  // namespace kdk::agent
