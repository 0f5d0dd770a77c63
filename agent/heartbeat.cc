#include "agent/heartbeat.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

namespace kdk::agent {

namespace {

std::atomic<uint64_t> g_local{0};
std::atomic<uint64_t>* g_counter = &g_local;
// The process that watches (PID 1): its own log lines are no progress of the job.
pid_t g_watcher = 0;

}  // namespace

void heartbeat_init() {
  void* p = ::mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  if (p == MAP_FAILED) return;  // the watchdog then sees no beats: fed on I/O progress only
  g_counter = new (p) std::atomic<uint64_t>(0);
  g_watcher = ::getpid();
}

void heartbeat() {
  if (g_watcher != 0 && ::getpid() == g_watcher) return;
  g_counter->fetch_add(1, std::memory_order_relaxed);
}

uint64_t heartbeat_count() { return g_counter->load(std::memory_order_relaxed); }

}  // namespace kdk::agent
