// Work that may hang in the kernel (sync(2) on a disk that stopped
// answering, umount2 of a dead NFS server) run with a time limit: PID 1
// waits at most `limit`, then goes on while the work stays behind in its own
// thread. Used for the final sync and unmount, so that a stuck disk cannot
// keep the machine from its final action.
#pragma once

#include <chrono>
#include <functional>

namespace kdk::agent {

// Runs `work` on its own thread; true when it finished within `limit`.
// `work` must own what it uses: it may outlive the call.
bool run_bounded(std::function<void()> work, std::chrono::milliseconds limit);

}  // namespace kdk::agent
