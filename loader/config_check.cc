#include "loader/config_check.h"

#include "util/text.h"

namespace kdk::loader {

namespace {

// The line number at the start of "SOURCE:LINE: ...", or 0.
int line_of(const std::string& message, const std::string& source) {
  std::string prefix = source + ":";
  if (message.rfind(prefix, 0) != 0) return 0;
  size_t end = message.find(':', prefix.size());
  if (end == std::string::npos) return 0;
  unsigned long long n = 0;
  if (!parse_u64(std::string_view(message).substr(prefix.size(), end - prefix.size()), n)) return 0;
  return static_cast<int>(n);
}

bool is_target_line(std::string_view line) {
  std::string_view t = trim(line);
  if (t.rfind("target", 0) != 0) return false;
  t = trim(t.substr(6));
  return !t.empty() && t[0] == '=';
}

}  // namespace

ConfigCheck check_config(std::string_view text, const std::string& source) {
  std::vector<std::string> text_lines;
  for (auto l : lines(text)) text_lines.emplace_back(l);
  ConfigCheck out;
  bool dropped_target = false;
  // parse_config stops at the first error: blank that line out (keeping the
  // numbering) and parse again, until what is left parses.
  for (size_t round = 0; round <= text_lines.size(); ++round) {
    std::string joined;
    for (const auto& l : text_lines) joined += l + "\n";
    auto cfg = config::parse_config(joined, source);
    if (cfg) {
      out.config = std::move(*cfg);
      return out;
    }
    const std::string& msg = cfg.error().message;
    int line = line_of(msg, source);
    if (line <= 0 || static_cast<size_t>(line) > text_lines.size()) {
      // "no target configured" after refusing every target line says nothing new.
      if (!(dropped_target && out.problems.size() > 0 && msg.find("no target") != std::string::npos)) {
        out.problems.push_back(msg);
      }
      return out;
    }
    out.problems.push_back(msg);
    if (is_target_line(text_lines[static_cast<size_t>(line) - 1])) dropped_target = true;
    text_lines[static_cast<size_t>(line) - 1].clear();
  }
  return out;
}

}  // namespace kdk::loader
