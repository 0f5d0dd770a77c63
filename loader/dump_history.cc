#include "loader/dump_history.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "util/fd.h"
#include "util/format.h"
#include "util/time_format.h"

namespace kdk::loader {

namespace {

// A small JSON reader for metadata.json: walks any value, keeping the
// top-level scalars and the sizes in "files". It does not allocate a tree.
class MetadataReader {
 public:
  MetadataReader(std::string_view s, DumpSummary& out) : s_(s), out_(out) {}

  Status read() {
    skip_ws();
    return members([this](const std::string& key) { return top_value(key); });
  }

 private:
  Error fail(const std::string& what) const {
    return Error{format("metadata.json: %s at offset %zu", what.c_str(), i_)};
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  Result<std::string> string() {
    if (!eat('"')) return fail("expected a string");
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (i_ + 4 > s_.size()) return fail("short \\u escape");
          unsigned long long v = 0;
          for (size_t k = 0; k < 4; ++k) {
            char h = s_[i_ + k];
            int d = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
            if (d < 0) return fail("bad \\u escape");
            v = v * 16 + static_cast<unsigned>(d);
          }
          i_ += 4;
          out += v < 0x80 ? static_cast<char>(v) : '?';  // the fields shown are ASCII
          break;
        }
        default:
          out += e;
      }
    }
    return fail("unterminated string");
  }

  Result<double> number() {
    size_t start = i_;
    while (i_ < s_.size() && (std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos))
      ++i_;
    if (start == i_) return fail("expected a value");
    std::string text(s_.substr(start, i_ - start));
    return std::strtod(text.c_str(), nullptr);
  }

  // Any value, discarded; inside "files" the objects' "size" is summed.
  Status skip_value(bool in_files, int depth) {
    if (depth > 64) return fail("nested too deep");
    skip_ws();
    if (i_ >= s_.size()) return fail("unexpected end");
    char c = s_[i_];
    if (c == '"') return string() ? Status{} : string_error();
    if (c == '{') {
      return members([&](const std::string& key) -> Status {
        if (in_files && key == "size" && i_ < s_.size() && s_[i_] != '"') {
          auto n = number();
          if (!n) return n.error();
          out_.size += static_cast<uint64_t>(*n);
          return {};
        }
        return skip_value(false, depth + 1);
      });
    }
    if (c == '[') {
      ++i_;
      skip_ws();
      if (eat(']')) return {};
      for (;;) {
        if (auto st = skip_value(in_files, depth + 1); !st) return st;
        skip_ws();
        if (eat(',')) continue;
        if (eat(']')) return {};
        return fail("expected ',' or ']'");
      }
    }
    if (eat_word("true") || eat_word("false") || eat_word("null")) return {};
    auto n = number();
    if (!n) return n.error();
    return {};
  }
  Status string_error() { return fail("bad string"); }

  // An object: for each member, `value` is called with the key, positioned
  // at the member's value, which it must consume.
  Status members(const std::function<Status(const std::string& key)>& value) {
    if (!eat('{')) return fail("expected '{'");
    skip_ws();
    if (eat('}')) return {};
    for (;;) {
      skip_ws();
      auto key = string();
      if (!key) return key.error();
      skip_ws();
      if (!eat(':')) return fail("expected ':'");
      skip_ws();
      if (auto st = value(*key); !st) return st;
      skip_ws();
      if (eat(',')) continue;
      if (eat('}')) return {};
      return fail("expected ',' or '}'");
    }
  }

  Status top_value(const std::string& key) {
    if (i_ < s_.size() && s_[i_] == '"') {
      auto v = string();
      if (!v) return v.error();
      if (key == "host") out_.host = *v;
      if (key == "kernel_release") out_.kernel_release = *v;
      if (key == "crash_time_utc") out_.crash_time_utc = *v;
      if (key == "panic_line") out_.panic_line = *v;
      return {};
    }
    if (key == "complete") {
      if (eat_word("true")) {
        out_.complete = true;
        return {};
      }
      if (eat_word("false")) return {};
    }
    if (key == "crash_time" || key == "peak_rss_kib") {
      auto n = number();
      if (!n) return n.error();
      if (key == "crash_time") out_.crash_time = static_cast<int64_t>(*n);
      if (key == "peak_rss_kib") out_.peak_rss_kib = static_cast<uint64_t>(*n);
      return {};
    }
    return skip_value(key == "files", 0);
  }

  std::string_view s_;
  DumpSummary& out_;
  size_t i_ = 0;
};

std::string utc(int64_t t) { return format_utc(t, "%Y-%m-%d %H:%M:%S UTC"); }

}  // namespace

Result<DumpSummary> parse_metadata(std::string_view json) {
  DumpSummary d;
  d.has_metadata = true;
  MetadataReader r(json, d);
  if (auto s = r.read(); !s) return s.error();
  return d;
}

std::vector<DumpSummary> find_dumps(const std::string& dir, size_t limit) {
  std::vector<DumpSummary> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name[0] == '.') continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    DumpSummary s;
    auto text = read_file(path + "/metadata.json");
    if (text) {
      auto parsed = parse_metadata(*text);
      if (parsed) s = *parsed;
    }
    // A directory is a crash directory when it holds what a capture writes.
    if (!s.has_metadata && !path_exists(path + "/vmcore") && !path_exists(path + "/vmcore-dmesg.txt") &&
        !path_exists(path + "/vmcore-incomplete") && !path_exists(path + "/vmcore-dmesg-incomplete.txt")) {
      continue;
    }
    s.directory = name;
    if (s.crash_time == 0) s.crash_time = static_cast<int64_t>(st.st_mtime);
    out.push_back(s);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const DumpSummary& a, const DumpSummary& b) {
    return a.crash_time != b.crash_time ? a.crash_time > b.crash_time : a.directory > b.directory;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::string describe_dump(const DumpSummary& d) {
  std::string when = d.crash_time_utc.empty() ? utc(d.crash_time) : d.crash_time_utc;
  if (!d.has_metadata)
    return format("%s  %s: incomplete (no metadata.json)", when.c_str(), d.directory.c_str());
  return format("%s  %s: host %s, %llu MiB, %s%s%s", when.c_str(), d.directory.c_str(), d.host.c_str(),
                static_cast<unsigned long long>(d.size >> 20), d.complete ? "complete" : "INCOMPLETE",
                d.panic_line.empty() ? "" : ", ", d.panic_line.c_str());
}

}  // namespace kdk::loader
