#include "agent/bounded_call.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <thread>

using kdk::agent::run_bounded;
using namespace std::chrono_literals;

TEST_CASE("bounded work that finishes in time reports it", "[init]") {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  CHECK(run_bounded([ran] { ran->store(true); }, 5s));
  CHECK(ran->load());
}

TEST_CASE("bounded work that hangs is left behind at the limit", "[init]") {
  // As a sync(2) on a disk that stopped answering: the caller goes on.
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto start = std::chrono::steady_clock::now();
  bool finished = run_bounded(
      [release] {
        while (!release->load()) std::this_thread::sleep_for(10ms);
      },
      200ms);
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(finished);
  CHECK(waited >= 200ms);
  CHECK(waited < 5s);
  release->store(true);
}
