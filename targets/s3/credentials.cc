#include "targets/s3/credentials.h"

#include "targets/secret_file.h"

namespace kdk::targets::s3 {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Credentials> parse_credentials(std::string_view text, const std::string& origin) {
  Credentials c;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
    size_t eq = line.find('=');
    std::string where = origin + " line " + std::to_string(line_no);
    if (eq == std::string_view::npos) return Error{where + ": expected name = value"};
    std::string_view name = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (name.substr(0, 4) == "aws_") name.remove_prefix(4);
    std::string* slot = name == "access_key_id"       ? &c.access_key_id
                        : name == "secret_access_key" ? &c.secret_access_key
                        : name == "session_token"     ? &c.session_token
                                                      : nullptr;
    if (slot == nullptr) {
      // Other keys of an AWS credentials file (region, output...) are not ours
      // but harmless; an unknown name is most likely a typo of ours.
      if (name == "region" || name == "output") continue;
      return Error{where + ": unknown name \"" + std::string(name) +
                   "\" (accepted: access_key_id, secret_access_key, session_token)"};
    }
    if (value.empty()) return Error{where + ": " + std::string(name) + " has no value"};
    *slot = std::string(value);
  }
  if (c.access_key_id.empty()) return Error{origin + ": no access_key_id"};
  if (c.secret_access_key.empty()) return Error{origin + ": no secret_access_key"};
  return c;
}

Result<Credentials> read_credentials_file(const std::string& path) {
  // The root-only rule is the one every credential file of a target obeys.
  auto text = read_secret_file(path, "S3 credentials_file");
  if (!text) return text.error();
  return parse_credentials(*text, "S3 credentials_file " + path);
}

}  // namespace kdk::targets::s3
