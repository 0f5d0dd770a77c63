#include "config/load_record.h"

#include <cctype>
#include <cstdlib>

#include "config/key_value.h"
#include "util/format.h"
#include "util/rtnetlink.h"
#include "util/text.h"

namespace kdk::config {

namespace {

// Six lower-case hex pairs separated by ':', as load writes them.
bool is_mac(const std::string& s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool sep = i % 3 == 2;
    if (sep ? s[i] != ':'
            : !std::isxdigit(static_cast<unsigned char>(s[i])) ||
                  std::isupper(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string LoadRecord::serialize() const {
  std::string out = "# written by kdumpkit load\n";
  out += "host = " + host + "\n";
  out += "kernel_release = " + kernel_release + "\n";
  for (const auto& m : modules) out += "module = " + m + "\n";
  if (!net_interface.empty()) out += "net_interface = " + net_interface + "\n";
  if (!net_mac.empty()) out += "net_mac = " + net_mac + "\n";
  for (const auto& a : net_addresses) out += "net_address = " + a + "\n";
  for (const auto& g : net_gateways) out += "net_gateway = " + g + "\n";
  for (const auto& d : net_dns) out += "net_dns = " + d + "\n";
  for (const auto& d : dm_devices) {
    out += "dm_device = " + d.name + " " + (d.uuid.empty() ? "-" : d.uuid) + "\n";
    for (const auto& t : d.table) out += "dm_table = " + d.name + " " + t + "\n";
  }
  for (const auto& d : raw_devices) {
    out += "raw_device = " + d.device + " size=" + std::to_string(d.size_bytes);
    if (!d.partuuid.empty()) out += " partuuid=" + d.partuuid;
    if (!d.serial.empty()) out += " serial=" + d.serial;
    out += "\n";
  }
  return out;
}

const RawIdentity* LoadRecord::raw_identity(const std::string& device) const {
  for (const auto& d : raw_devices) {
    if (d.device == device) return &d;
  }
  return nullptr;
}

Result<LoadRecord> parse_load_record(std::string_view text, const std::string& source) {
  auto bad = [&](const KeyValue& kv, const char* expected) {
    return Error{format("%s:%d: %s = \"%s\": expected %s", source.c_str(), kv.line, kv.key.c_str(),
                        kv.value.c_str(), expected)};
  };
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
    } else if (kv.key == "net_interface") {
      r.net_interface = kv.value;
    } else if (kv.key == "net_mac") {
      if (!is_mac(kv.value)) return bad(kv, "a MAC address such as 52:54:00:12:34:56");
      r.net_mac = kv.value;
    } else if (kv.key == "net_address") {
      if (!rtnl::parse_prefix(kv.value) || kv.value.find('/') == std::string::npos) {
        return bad(kv, "an address with its prefix length (192.0.2.10/24, 2001:db8::10/64)");
      }
      r.net_addresses.push_back(kv.value);
    } else if (kv.key == "net_gateway" || kv.key == "net_dns") {
      if (!rtnl::parse_address(kv.value)) return bad(kv, "an IPv4 or IPv6 address");
      (kv.key == "net_gateway" ? r.net_gateways : r.net_dns).push_back(kv.value);
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
    } else if (kv.key == "raw_device") {
      auto w = split_words(kv.value);
      RawIdentity id;
      bool good = !w.empty() && w[0].rfind("/dev/", 0) == 0;
      if (good) id.device = w[0];
      for (size_t i = 1; good && i < w.size(); ++i) {
        size_t eq = w[i].find('=');
        std::string k = w[i].substr(0, eq), v = eq == std::string::npos ? "" : w[i].substr(eq + 1);
        if (k == "size" && !v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
          id.size_bytes = std::strtoull(v.c_str(), nullptr, 10);
        } else if (k == "partuuid" && !v.empty()) {
          id.partuuid = v;
        } else if (k == "serial" && !v.empty()) {
          id.serial = v;
        } else {
          good = false;
        }
      }
      if (!good || id.size_bytes == 0) return bad(kv, "/dev/NAME size=BYTES [partuuid=GUID] [serial=SERIAL]");
      r.raw_devices.push_back(id);
    } else {
      return Error{format("%s:%d: unknown key \"%s\"", source.c_str(), kv.line, kv.key.c_str())};
    }
  }
  if (r.host.empty()) return Error{source + ": no host recorded"};
  return r;
}

}  // namespace kdk::config
