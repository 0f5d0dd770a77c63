#include "config/key_value.h"

#include "util/format.h"
#include "util/text.h"

namespace kdk::config {

namespace {

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Removes a trailing " # comment" but keeps '#' inside values such as URLs.
std::string_view strip_comment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

}  // namespace

Result<std::vector<KeyValue>> parse_key_values(std::string_view text, const std::string& source) {
  std::vector<KeyValue> out;
  int number = 0;
  for (std::string_view raw : lines(text)) {
    ++number;
    std::string_view line = trim(strip_comment(raw));
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error{format("%s:%d: expected 'key = value', found \"%.*s\"", source.c_str(), number,
                          static_cast<int>(line.size()), line.data())};
    }
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.find_first_of(" \t") != std::string_view::npos) {
      return Error{format("%s:%d: expected 'key = value', found \"%.*s\"", source.c_str(), number,
                          static_cast<int>(line.size()), line.data())};
    }
    if (!valid_key(key)) {
      return Error{format("%s:%d: \"%.*s\" is not a key (keys are lower-case letters, digits, '_')",
                          source.c_str(), number, static_cast<int>(key.size()), key.data())};
    }
    out.push_back(KeyValue{std::string(key), std::string(value), number});
  }
  return out;
}

}  // namespace kdk::config
