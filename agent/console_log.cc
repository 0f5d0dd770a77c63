#include "agent/console_log.h"

#include "agent/heartbeat.h"
#include "util/log.h"

namespace kdk::agent {

namespace {

constexpr size_t kConsoleLogBytes = 1 << 20;

void on_log_line(const char* line, size_t size) {
  console_log().append(line, size);
  heartbeat();
}

}  // namespace

void ConsoleLog::append(const char* line, size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.emplace_back(line, size);
  bytes_ += size;
  while (bytes_ > max_bytes_ && lines_.size() > 1) {
    bytes_ -= lines_.front().size();
    lines_.pop_front();
    ++dropped_;
  }
}

std::string ConsoleLog::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.reserve(bytes_ + 64);
  if (dropped_) out += "(" + std::to_string(dropped_) + " earlier lines dropped)\n";
  for (const auto& l : lines_) out += l;
  return out;
}

ConsoleLog& console_log() {
  static ConsoleLog* log = new ConsoleLog(kConsoleLogBytes);  // never destroyed: used until exit
  return *log;
}

void keep_console_log() {
  (void)console_log();
  log::set_line_hook(on_log_line);
}

}  // namespace kdk::agent
