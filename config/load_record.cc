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
  for (const auto& d : dm_devices) {
    out += "dm_device = " + d.name + " " + (d.uuid.empty() ? "-" : d.uuid) + "\n";
    for (const auto& t : d.table) out += "dm_table = " + d.name + " " + t + "\n";
  }
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
    } else if (kv.key == "dm_device") {
      auto w = split_words(kv.value);
      if (w.size() != 2)
        return Error{format("%s:%d: dm_device wants NAME UUID (\"-\" for none)", source.c_str(), kv.line)};
      r.dm_devices.push_back(RecordedDmDevice{w[0], w[1] == "-" ? "" : w[1], {}});
    } else if (kv.key == "dm_table") {
      size_t space = kv.value.find(' ');
      std::string name = kv.value.substr(0, space);
      if (r.dm_devices.empty() || r.dm_devices.back().name != name || space == std::string::npos) {
        return Error{format("%s:%d: dm_table for \"%s\" does not follow its dm_device line", source.c_str(),
                            kv.line, name.c_str())};
      }
      r.dm_devices.back().table.push_back(kv.value.substr(space + 1));
    } else {
      return Error{format("%s:%d: unknown key \"%s\"", source.c_str(), kv.line, kv.key.c_str())};
    }
  }
  if (r.host.empty()) return Error{source + ": no host recorded"};
  return r;
}

}  // namespace kdk::config
