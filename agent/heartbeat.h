// A counter the capture job bumps as it works (each log line, each wait
// step) and PID 1 reads to decide whether to keep feeding the hardware
// watchdog. Shared memory created before the fork; a plain process-local
// counter when PID 1 did not create it (capture run by hand).
#pragma once

#include <cstdint>

namespace kdk::agent {

// Maps the shared counter; call in the parent before fork(). Beats of the
// calling process itself (the watcher) are not counted from then on.
void heartbeat_init();
void heartbeat();
uint64_t heartbeat_count();

}  // namespace kdk::agent
