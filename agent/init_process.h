// PID 1 in the capture kernel: mounts the API filesystems, runs the capture
// job in a child process under a deadline, reaps every child, and always
// ends in the final action. It never returns and never exits (PID 1 exiting
// panics the kernel).
#pragma once

#include "agent/capture.h"

namespace kdk::agent {

[[noreturn]] void run_as_init(const CapturePaths& paths);

// The final action: sync, then reboot/poweroff/halt. Used by run_as_init and
// by `capture` when it is not PID 1 but asked to act.
[[noreturn]] void perform_final_action(config::FinalAction action);

}  // namespace kdk::agent
