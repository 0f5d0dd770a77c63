// When and how long to wait before trying a network operation again:
// exponential backoff with jitter, the clock and the random source injected
// so tests run without sleeping.
//
// What is worth another attempt: a failure below HTTP that the transport
// marks transient (connection refused or cut, timeout, resolver not ready),
// 5xx (but 501 and 505, which will not change), 408 and 429. Any other 4xx
// (401, 403, 404, 413, ...) fails at once: the capture goes to the next
// target instead of waiting for a configuration to change.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "targets/http/http_transport.h"
#include "util/clock.h"  // Clock
#include "util/result.h"

namespace kdk::targets {

struct RetryPolicy {
  int attempts = 5;  // config `retries`: attempts in all, at least 1
  std::chrono::milliseconds initial_delay{1000};
  std::chrono::milliseconds max_delay{30000};
};

// Uniform in [0, 1).
using RandomSource = std::function<double()>;
RandomSource system_random();

enum class Verdict { kDone, kRetry, kFail };

// 2xx: done; see the top of this file for the rest.
Verdict classify_status(long status);
Verdict classify(const Result<http::Response>& outcome);

// The wait after failed attempt number `failed` (1 for the first): half of
// min(max_delay, initial_delay * 2^(failed-1)) fixed, the other half random,
// so a fleet that crashed together does not retry in lock step. A server's
// Retry-After (seconds) is honoured up to max_delay.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int failed, double random01,
                                        std::chrono::milliseconds retry_after = {});

struct RetryEnv {
  Clock clock;
  RandomSource random;
  static RetryEnv system();
};

struct RetryOutcome {
  Result<http::Response> last;  // the last attempt's outcome, whatever it was
  int attempts = 0;
  Verdict verdict = Verdict::kFail;  // kDone: `last` is a 2xx response
};

// Runs `attempt` until it is done, fails for good, or `policy.attempts` are
// used up, sleeping through env.clock between attempts and logging each
// retry under `what` (which must not hold a credential). `judge` decides
// (default: classify).
RetryOutcome with_retries(const RetryPolicy& policy, const RetryEnv& env, const std::string& what,
                          const std::function<Result<http::Response>()>& attempt,
                          const std::function<Verdict(const Result<http::Response>&)>& judge = classify);

// The same schedule for operations that are not HTTP requests (SSH): an
// error whose errno_value is non-zero (the network failed) is worth another
// attempt, any other error is final.
struct StatusRetryOutcome {
  Status last;
  int attempts = 0;
};
StatusRetryOutcome retry_status(const RetryPolicy& policy, const RetryEnv& env, const std::string& what,
                                const std::function<Status()>& attempt);

// "403 Forbidden" for messages (the reason phrase of common statuses).
std::string status_text(long status);

}  // namespace kdk::targets
