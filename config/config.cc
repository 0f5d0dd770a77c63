#include "config/config.h"

#include <arpa/inet.h>

#include <functional>

#include "config/key_value.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::config {

namespace {

// One entry per key: how to apply a value. Adding a key is adding a row.
struct KeyRule {
  const char* key;
  const char* accepted;  // shown when the value is refused
  std::function<Status(Config&, const std::string& value, int line)> apply;
};

Status apply_target(Config& c, const std::string& value, int line) {
  auto t = parse_target(value);
  if (!t) return t.error();
  t->line = line;
  c.targets.push_back(*t);
  return {};
}

Status parse_action(FinalAction& field, const std::string& value) {
  if (value == "reboot") {
    field = FinalAction::kReboot;
  } else if (value == "poweroff") {
    field = FinalAction::kPoweroff;
  } else if (value == "halt") {
    field = FinalAction::kHalt;
  } else {
    return Error{"bad value \"" + value + "\""};
  }
  return {};
}

Status apply_final_action(Config& c, const std::string& value, int) {
  return parse_action(c.final_action, value);
}

Status apply_extra_modules(Config& c, const std::string& value, int) {
  std::string spaced = value;
  for (char& ch : spaced) {
    if (ch == ',') ch = ' ';
  }
  for (auto& m : split_words(spaced)) c.extra_modules.push_back(m);
  return {};
}

Status apply_dump_format(Config& c, const std::string& value, int) {
  if (value == "kdump") {
    c.dump_format = DumpFormat::kKdump;
  } else if (value == "elf") {
    c.dump_format = DumpFormat::kElf;
  } else if (value == "raw") {
    c.dump_format = DumpFormat::kRaw;
  } else {
    return Error{"bad value \"" + value + "\""};
  }
  return {};
}

Status apply_int(int& field, const std::string& value, unsigned long long lo, unsigned long long hi) {
  unsigned long long v = 0;
  if (!parse_u64(value, v) || v < lo || v > hi) return Error{"bad value \"" + value + "\""};
  field = static_cast<int>(v);
  return {};
}

Status apply_compression(Config& c, const std::string& value, int) {
  for (const char* name : {"zstd", "zlib", "lzo", "none"}) {
    if (value == name) {
      c.compression = value;
      return {};
    }
  }
  return Error{"bad value \"" + value + "\""};
}

Status apply_device_timeout(Config& c, const std::string& value, int) {
  unsigned long long v = 0;
  if (!parse_u64(value, v) || v < 1 || v > 3600) return Error{"bad value \"" + value + "\""};
  c.device_timeout_s = static_cast<int>(v);
  return {};
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Status apply_addresses(Config& c, const std::string& value, int) {
  auto words = split_words(value);
  if (words.size() == 1 && words[0] == "dhcp") {
    c.network.dhcp = true;
    c.network.addresses.clear();
    return {};
  }
  if (words.empty()) return Error{"bad value \"" + value + "\""};
  std::vector<std::string> out;
  for (const auto& w : words) {
    size_t slash = w.find('/');
    unsigned long long prefix = 0;
    bool v6 = w.find(':') != std::string::npos;
    if (slash == std::string::npos || !is_ip_address(w.substr(0, slash)) ||
        !parse_u64(w.substr(slash + 1), prefix) || prefix > (v6 ? 128u : 32u)) {
      return Error{"bad address \"" + w + "\""};
    }
    out.push_back(w);
  }
  c.network.dhcp = false;
  c.network.addresses = out;
  return {};
}

Status apply_ip_list(std::vector<std::string>& field, const std::string& value) {
  auto words = split_words(value);
  if (words.empty()) return Error{"bad value \"" + value + "\""};
  for (const auto& w : words) {
    if (!is_ip_address(w)) return Error{"bad address \"" + w + "\""};
  }
  field = words;
  return {};
}

Status apply_interface(Config& c, const std::string& value, int) {
  bool ok = !value.empty() && value.size() <= 17 && value.find_first_of(" \t/") == std::string::npos;
  if (!ok) return Error{"bad value \"" + value + "\""};
  c.network.interface = value;
  return {};
}

const std::vector<KeyRule>& rules() {
  static const std::vector<KeyRule> table = {
      {"target", "a target such as disk:LABEL=kdump:/crash (repeat the key to add fallbacks)", apply_target},
      {"final_action", "reboot, poweroff or halt", apply_final_action},
      {"failure_action", "reboot, poweroff or halt",
       [](Config& c, const std::string& v, int) { return parse_action(c.failure_action, v); }},
      {"deadline", "seconds the whole capture may take, 10 to 86400",
       [](Config& c, const std::string& v, int) { return apply_int(c.deadline_s, v, 10, 86400); }},
      {"keep", "crash directories to keep per target, newest first, 0 (all) to 1000",
       [](Config& c, const std::string& v, int) { return apply_int(c.keep, v, 0, 1000); }},
      {"min_free", "MiB a disk target must have free, 0 to 1048576",
       [](Config& c, const std::string& v, int) { return apply_int(c.min_free_mib, v, 0, 1048576); }},
      {"nr_cpus", "CPUs of the capture kernel: auto (what the reservation affords) or 1 to 64",
       [](Config& c, const std::string& v, int) {
         if (v == "auto") {
           c.nr_cpus = 0;
           return Status{};
         }
         return apply_int(c.nr_cpus, v, 1, 64);
       }},
      {"capture_args", "words added to the capture kernel's command line",
       [](Config& c, const std::string& v, int) {
         c.capture_args = v;
         return Status{};
       }},
      {"extra_modules", "kernel module names separated by spaces or commas", apply_extra_modules},
      {"dump_format", "kdump (compressed, filtered), elf (filtered) or raw (a byte copy)", apply_dump_format},
      {"dump_level",
       "0 to 31, makedumpfile's -d bits: 1 zero, 2 cache, 4 cache-private, 8 user, 16 free pages",
       [](Config& c, const std::string& v, int) { return apply_int(c.dump_level, v, 0, 31); }},
      {"compression", "zstd, zlib, lzo or none", apply_compression},
      {"threads", "0 (the CPUs online) to 256",
       [](Config& c, const std::string& v, int) { return apply_int(c.threads, v, 0, 256); }},
      {"memory_budget", "MiB the dump engine may use, 4 to 4096",
       [](Config& c, const std::string& v, int) { return apply_int(c.memory_budget_mib, v, 4, 4096); }},
      {"device_timeout", "seconds to wait for a target's device, 1 to 3600", apply_device_timeout},
      {"net_interface", "an interface name (eth0) or MAC address (52:54:00:12:34:56)", apply_interface},
      {"net_address", "dhcp, or static addresses with prefix lengths (192.0.2.10/24 2001:db8::10/64)",
       apply_addresses},
      {"net_gateway", "IPv4 and/or IPv6 gateway addresses",
       [](Config& c, const std::string& v, int) { return apply_ip_list(c.network.gateways, v); }},
      {"net_dns", "resolver addresses",
       [](Config& c, const std::string& v, int) { return apply_ip_list(c.network.dns, v); }},
      {"net_timeout", "seconds to wait for the link and for an address, 1 to 600",
       [](Config& c, const std::string& v, int) { return apply_int(c.network.timeout_s, v, 1, 600); }},
      {"retries", "attempts of each network upload before the next target, 1 to 100",
       [](Config& c, const std::string& v, int) { return apply_int(c.retries, v, 1, 100); }},
  };
  return table;
}

std::string known_keys() {
  std::string out;
  for (const auto& r : rules()) {
    if (!out.empty()) out += ", ";
    out += r.key;
  }
  return out;
}

Status apply(Config& c, const std::string& key, const std::string& value, int line,
             const std::string& where) {
  for (const auto& r : rules()) {
    if (key != r.key) continue;
    Status s = r.apply(c, value, line);
    if (!s) {
      return Error{format("%s: %s: %s (accepted: %s)", where.c_str(), key.c_str(), s.error().message.c_str(),
                          r.accepted)};
    }
    return {};
  }
  return Error{
      format("%s: unknown key \"%s\" (known keys: %s)", where.c_str(), key.c_str(), known_keys().c_str())};
}

}  // namespace

const char* to_string(FinalAction action) {
  switch (action) {
    case FinalAction::kReboot:
      return "reboot";
    case FinalAction::kPoweroff:
      return "poweroff";
    case FinalAction::kHalt:
      return "halt";
  }
  return "reboot";
}

const char* to_string(DumpFormat format) {
  switch (format) {
    case DumpFormat::kKdump:
      return "kdump";
    case DumpFormat::kElf:
      return "elf";
    case DumpFormat::kRaw:
      return "raw";
  }
  return "kdump";
}

bool Config::has_network_target() const {
  for (const auto& t : targets) {
    if (std::holds_alternative<NetworkTarget>(t.where)) return true;
  }
  return false;
}

Result<Config> parse_config(std::string_view text, const std::string& source) {
  auto kvs = parse_key_values(text, source);
  if (!kvs) return kvs.error();
  Config c;
  for (const auto& kv : *kvs) {
    Status s = apply(c, kv.key, kv.value, kv.line, format("%s:%d", source.c_str(), kv.line));
    if (!s) return s.error();
  }
  if (c.targets.empty()) {
    return Error{source + ": no target configured (add a line such as \"target = disk:LABEL=kdump:/crash\")"};
  }
  return c;
}

Status apply_command_line_overrides(Config& config, std::string_view cmdline) {
  // Targets given here replace the file's, but only the good ones: a bad
  // kdumpkit.target= must not leave the capture with nowhere to go.
  std::vector<Target> override_targets;
  std::string errors;
  for (const auto& word : split_words(cmdline)) {
    if (word.rfind("kdumpkit.", 0) != 0) continue;
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      errors += (errors.empty() ? "" : "; ") +
                ("kernel command line: \"" + word + "\" needs a value (kdumpkit.KEY=VALUE)");
      continue;
    }
    std::string key = word.substr(9, eq - 9);
    std::string value = word.substr(eq + 1);
    // One bad word must not cost the others: apply every good override,
    // then report the bad ones together.
    Status s;
    if (key == "target") {
      Config one;
      s = apply(one, key, value, 0, "kernel command line");
      if (s) override_targets.insert(override_targets.end(), one.targets.begin(), one.targets.end());
    } else {
      s = apply(config, key, value, 0, "kernel command line");
    }
    if (!s) errors += (errors.empty() ? "" : "; ") + s.error().message;
  }
  if (!override_targets.empty()) config.targets = std::move(override_targets);
  if (!errors.empty()) return Error{errors};
  return {};
}

}  // namespace kdk::config
