#include "targets/retry.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <vector>

using namespace kdk;
using namespace kdk::targets;
using std::chrono::milliseconds;

namespace {

// A clock that only advances when slept on, recording every sleep.
struct FakeClock {
  milliseconds now{0};
  std::vector<milliseconds> sleeps;
  Clock clock() {
    return Clock{[this] { return now; },
                 [this](milliseconds d) {
                   sleeps.push_back(d);
                   now += d;
                 }};
  }
};

http::Response status(long code) { return http::Response{code, {}, {}}; }

}  // namespace

TEST_CASE("retry: statuses are classified as done, retry or fail", "[retry]") {
  CHECK(classify_status(200) == Verdict::kDone);
  CHECK(classify_status(201) == Verdict::kDone);
  CHECK(classify_status(204) == Verdict::kDone);
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L, 507L}) CHECK(classify_status(s) == Verdict::kRetry);
  for (long s : {301L, 400L, 401L, 403L, 404L, 405L, 409L, 413L, 501L, 505L}) CHECK(classify_status(s) == Verdict::kFail);
}

TEST_CASE("retry: transport errors retry only when marked transient", "[retry]") {
  CHECK(classify(Result<http::Response>(Error{"connect: refused", ECONNREFUSED})) == Verdict::kRetry);
  CHECK(classify(Result<http::Response>(Error{"cut", ECONNRESET})) == Verdict::kRetry);
  CHECK(classify(Result<http::Response>(Error{"certificate verify failed for host x", 0})) == Verdict::kFail);
}

TEST_CASE("retry: backoff doubles up to the cap, half of it jittered", "[retry]") {
  RetryPolicy p{.attempts = 10, .initial_delay = milliseconds(1000), .max_delay = milliseconds(8000)};
  CHECK(backoff_delay(p, 1, 0.0) == milliseconds(500));
  CHECK(backoff_delay(p, 1, 0.999999) == milliseconds(999));
  CHECK(backoff_delay(p, 2, 0.0) == milliseconds(1000));
  CHECK(backoff_delay(p, 3, 0.5) == milliseconds(3000));
  CHECK(backoff_delay(p, 4, 0.0) == milliseconds(4000));
  CHECK(backoff_delay(p, 5, 0.0) == milliseconds(4000));   // capped at 8 s
  CHECK(backoff_delay(p, 60, 1.0) == milliseconds(8000));  // no overflow
  // Retry-After raises the wait, but never past the cap.
  CHECK(backoff_delay(p, 1, 0.0, milliseconds(3000)) == milliseconds(3000));
  CHECK(backoff_delay(p, 1, 0.0, milliseconds(60000)) == milliseconds(8000));
}

TEST_CASE("retry: 500 twice then 201 takes three attempts and two waits", "[retry]") {
  FakeClock fake;
  RetryEnv env{fake.clock(), [] { return 0.0; }};
  std::vector<long> answers{500, 500, 201};
  size_t calls = 0;
  RetryOutcome out = with_retries(RetryPolicy{.attempts = 5}, env, "PUT x",
                                  [&]() -> Result<http::Response> { return status(answers[calls++]); });
  CHECK(out.verdict == Verdict::kDone);
  CHECK(out.attempts == 3);
  REQUIRE(out.last.ok());
  CHECK(out.last->status == 201);
  CHECK(fake.sleeps == std::vector<milliseconds>{milliseconds(500), milliseconds(1000)});
}

TEST_CASE("retry: 403 fails at once, without waiting", "[retry]") {
  FakeClock fake;
  RetryEnv env{fake.clock(), [] { return 0.5; }};
  int calls = 0;
  RetryOutcome out = with_retries(RetryPolicy{.attempts = 5}, env, "PUT x", [&]() -> Result<http::Response> {
    ++calls;
    return status(403);
  });
  CHECK(out.verdict == Verdict::kFail);
  CHECK(calls == 1);
  CHECK(fake.sleeps.empty());
}

TEST_CASE("retry: attempts are bounded by the policy, with no wait after the last", "[retry]") {
  FakeClock fake;
  RetryEnv env{fake.clock(), [] { return 1.0; }};
  int calls = 0;
  RetryOutcome out = with_retries(RetryPolicy{.attempts = 4}, env, "PUT x", [&]() -> Result<http::Response> {
    ++calls;
    return Error{"cannot connect to h: Connection refused", ECONNREFUSED};
  });
  CHECK(out.verdict == Verdict::kFail);
  CHECK(calls == 4);
  CHECK(out.attempts == 4);
  CHECK(fake.sleeps.size() == 3);
  CHECK(fake.now == milliseconds(1000 + 2000 + 4000));
  REQUIRE_FALSE(out.last.ok());
  CHECK(out.last.error().errno_value == ECONNREFUSED);
}

TEST_CASE("retry: Retry-After of a 429 is honoured", "[retry]") {
  FakeClock fake;
  RetryEnv env{fake.clock(), [] { return 0.0; }};
  int calls = 0;
  RetryOutcome out = with_retries(RetryPolicy{.attempts = 3}, env, "PUT x", [&]() -> Result<http::Response> {
    if (calls++ == 0) return http::Response{429, {{"retry-after", "7"}}, {}};
    return status(200);
  });
  CHECK(out.verdict == Verdict::kDone);
  CHECK(fake.sleeps == std::vector<milliseconds>{milliseconds(7000)});
}

TEST_CASE("retry: zero or negative attempts still try once", "[retry]") {
  FakeClock fake;
  RetryEnv env{fake.clock(), [] { return 0.0; }};
  int calls = 0;
  (void)with_retries(RetryPolicy{.attempts = 0}, env, "PUT x", [&]() -> Result<http::Response> {
    ++calls;
    return status(500);
  });
  CHECK(calls == 1);
}
