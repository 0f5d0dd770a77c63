#include "config/load_record.h"

#include "config/key_value.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::config {

std::string LoadRecord::serialize() const {
  std::string out = "# written by kdumpkit load\n";
  out += "host = " + host + "\n";
  out += "kernel_release = " + kernel_release + "\n";
  for (const auto& m : modules) out += "module = " + m + "\n";
  return out;
}

Result<LoadRecord> parse_load_record(std::string_view text, const std::string& source) {
  auto kvs = parse_key_values(text, source);
  if (!kvs) return kvs.error();
  LoadRecord r;
  for (const auto& kv : *kvs) {
    if (kv.key == "host") {
      r.host = kv.value;
    } else if (kv.key == "kernel_release") {
      r.kernel_release = kv.value;
    } else if (kv.key == "module") {
      r.modules.push_back(kv.value);
    } else {
      return Error{format("%s:%d: unknown key \"%s\"", source.c_str(), kv.line, kv.key.c_str())};
    }
  }
  if (r.host.empty()) return Error{source + ": no host recorded"};
  return r;
}

}  // namespace kdk::config
