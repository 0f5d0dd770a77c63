#include "agent/bounded_call.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace kdk::agent {

namespace {

struct Completion {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
};

}  // namespace

bool run_bounded(std::function<void()> work, std::chrono::milliseconds limit) {
  auto completion = std::make_shared<Completion>();
  try {
    std::thread([completion, work = std::move(work)] {
      work();
      std::lock_guard<std::mutex> lock(completion->mutex);
      completion->done = true;
      completion->finished.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    return false;  // no thread: better to go on than to risk the hang
  }
  std::unique_lock<std::mutex> lock(completion->mutex);
  return completion->finished.wait_for(lock, limit, [&] { return completion->done; });
}

}  // namespace kdk::agent
