#include "targets/retry.h"

#include <algorithm>
#include <cstdlib>
#include <random>

#include "util/format.h"
#include "util/log.h"

namespace kdk::targets {

RandomSource system_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

RetryEnv RetryEnv::system() { return RetryEnv{Clock::system(), system_random()}; }

Verdict classify_status(long status) {
  if (status >= 200 && status < 300) return Verdict::kDone;
  if (status == 408 || status == 429) return Verdict::kRetry;
  if (status == 501 || status == 505) return Verdict::kFail;
  if (status >= 500 && status < 600) return Verdict::kRetry;
  return Verdict::kFail;
}

Verdict classify(const Result<http::Response>& outcome) {
  if (!outcome.ok()) return outcome.error().errno_value != 0 ? Verdict::kRetry : Verdict::kFail;
  return classify_status(outcome->status);
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int failed, double random01,
                                        std::chrono::milliseconds retry_after) {
  using std::chrono::milliseconds;
  int64_t cap = std::max<int64_t>(policy.max_delay.count(), 0);
  int64_t base = std::max<int64_t>(policy.initial_delay.count(), 0);
  for (int i = 1; i < failed && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  random01 = std::clamp(random01, 0.0, 1.0);
  int64_t delay = base / 2 + static_cast<int64_t>(static_cast<double>(base - base / 2) * random01);
  delay = std::max<int64_t>(delay, std::min<int64_t>(retry_after.count(), cap));
  return milliseconds(delay);
}

namespace {

// Retry-After in seconds (the HTTP-date form is not worth a date parser here).
std::chrono::milliseconds retry_after_of(const Result<http::Response>& outcome) {
  if (!outcome.ok()) return {};
  for (const auto& [name, value] : outcome->headers) {
    if (name != "retry-after" || value.empty()) continue;
    char* end = nullptr;
    long seconds = std::strtol(value.c_str(), &end, 10);
    if (end && *end == '\0' && seconds > 0) return std::chrono::seconds(seconds);
  }
  return {};
}

std::string describe(const Result<http::Response>& outcome) {
  return outcome.ok() ? status_text(outcome->status) : outcome.error().message;
}

}  // namespace

RetryOutcome with_retries(const RetryPolicy& policy, const RetryEnv& env, const std::string& what,
                          const std::function<Result<http::Response>()>& attempt,
                          const std::function<Verdict(const Result<http::Response>&)>& judge) {
  int attempts = std::max(policy.attempts, 1);
  for (int n = 1;; ++n) {
    Result<http::Response> outcome = attempt();
    Verdict verdict = judge(outcome);
    if (verdict != Verdict::kRetry || n >= attempts) {
      if (verdict == Verdict::kRetry) verdict = Verdict::kFail;
      return RetryOutcome{std::move(outcome), n, verdict};
    }
    auto delay = backoff_delay(policy, n, env.random ? env.random() : 0.5, retry_after_of(outcome));
    log::warn("%s: attempt %d of %d failed (%s); retrying in %.1f s", what.c_str(), n, attempts,
              describe(outcome).c_str(), static_cast<double>(delay.count()) / 1000.0);
    env.clock.sleep(delay);
  }
}

StatusRetryOutcome retry_status(const RetryPolicy& policy, const RetryEnv& env, const std::string& what,
                                const std::function<Status()>& attempt) {
  int attempts = std::max(policy.attempts, 1);
  for (int n = 1;; ++n) {
    Status outcome = attempt();
    if (outcome || outcome.error().errno_value == 0 || n >= attempts) return StatusRetryOutcome{outcome, n};
    auto delay = backoff_delay(policy, n, env.random ? env.random() : 0.5);
    log::warn("%s: attempt %d of %d failed (%s); retrying in %.1f s", what.c_str(), n, attempts,
              outcome.error().message.c_str(), static_cast<double>(delay.count()) / 1000.0);
    env.clock.sleep(delay);
  }
}

std::string status_text(long status) {
  const char* reason = "";
  switch (status) {
    case 200:
      reason = "OK";
      break;
    case 201:
      reason = "Created";
      break;
    case 204:
      reason = "No Content";
      break;
    case 301:
      reason = "Moved Permanently";
      break;
    case 302:
      reason = "Found";
      break;
    case 400:
      reason = "Bad Request";
      break;
    case 401:
      reason = "Unauthorized";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 405:
      reason = "Method Not Allowed";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 409:
      reason = "Conflict";
      break;
    case 411:
      reason = "Length Required";
      break;
    case 413:
      reason = "Content Too Large";
      break;
    case 429:
      reason = "Too Many Requests";
      break;
    case 500:
      reason = "Internal Server Error";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 504:
      reason = "Gateway Timeout";
      break;
    case 507:
      reason = "Insufficient Storage";
      break;
    default:
      break;
  }
  return *reason ? format("%ld %s", status, reason) : format("HTTP status %ld", status);
}

}  // namespace kdk::targets
