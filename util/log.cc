#include "util/log.h"

#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

namespace kdk::log {
namespace {

bool g_timestamps = false;
LineHook g_hook = nullptr;

void emit(const char* level, const char* fmt, va_list args) {
  char body[2048];
  std::vsnprintf(body, sizeof body, fmt, args);
  char line[2200];
  int n;
  if (g_timestamps) {
    struct timespec ts {};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    n = std::snprintf(line, sizeof line, "[%5lld.%06ld] kdumpkit: %s%s\n", static_cast<long long>(ts.tv_sec),
                      ts.tv_nsec / 1000, level, body);
  } else {
    n = std::snprintf(line, sizeof line, "kdumpkit: %s%s\n", level, body);
  }
  if (n < 0) return;
  size_t len = static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
  // One write per line so lines from several processes do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line, len);
  (void)ignored;
  if (g_hook) g_hook(line, len);
}

}  // namespace

void enable_timestamps(bool on) { g_timestamps = on; }

void set_line_hook(LineHook hook) { g_hook = hook; }

void info(const char* fmt, ...) {
  va_list a;
  va_start(a, fmt);
  emit("", fmt, a);
  va_end(a);
}

void warn(const char* fmt, ...) {
  va_list a;
  va_start(a, fmt);
  emit("warning: ", fmt, a);
  va_end(a);
}

void warn_once(const char* text) {
  static std::mutex lock;
  static std::set<std::string> said;
  {
    std::lock_guard<std::mutex> hold(lock);
    if (!said.insert(text).second) return;
  }
  warn("%s", text);
}

void error(const char* fmt, ...) {
  va_list a;
  va_start(a, fmt);
  emit("error: ", fmt, a);
  va_end(a);
}

}  // namespace kdk::log
