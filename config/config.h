// /etc/kdumpkit.conf: what the user configures. Parsed and validated fully
// by `load` (errors name the line), and parsed again by the capture agent,
// which also applies `kdumpkit.KEY=VALUE` overrides from its command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/target_url.h"
#include "util/result.h"

namespace kdk::config {

enum class FinalAction { kReboot, kPoweroff, kHalt };
// kdump: kdump-compressed, filtered (makedumpfile's default format);
// elf: an ELF core, filtered, uncompressed (makedumpfile -E);
// raw: /proc/vmcore copied byte for byte (an ELF core, as `cp` would).
enum class DumpFormat { kKdump, kElf, kRaw };

const char* to_string(FinalAction action);
const char* to_string(DumpFormat format);

// How the capture kernel reaches network targets.
struct NetworkConfig {
  std::string interface;               // a name or a MAC; empty: the one `load` recorded
  bool dhcp = true;                    // DHCPv4 unless static addresses are given
  std::vector<std::string> addresses;  // static, CIDR ("192.0.2.10/24", "2001:db8::10/64")
  std::vector<std::string> gateways;   // default routes (IPv4 and/or IPv6)
  std::vector<std::string> dns;        // resolvers; empty: DHCP's, else what `load` read
  int timeout_s = 30;                  // link and address, each
};

struct Config {
  std::vector<Target> targets;                        // tried in order
  FinalAction final_action = FinalAction::kReboot;    // after a complete dump
  FinalAction failure_action = FinalAction::kReboot;  // when no target holds one
  int deadline_s = 1800;                              // the whole capture; then the final action regardless
  int keep = 0;              // crash directories kept per target, newest first (0: all)
  int min_free_mib = 0;      // free space a disk target must have
  int nr_cpus = 0;           // CPUs of the capture kernel; 0: auto, what the reservation affords
  std::string capture_args;  // added to the capture kernel's command line
  std::vector<std::string> extra_modules;  // loaded in the capture kernel
  int device_timeout_s = 60;               // wait for a target's device
  DumpFormat dump_format = DumpFormat::kKdump;
  int dump_level = 31;               // makedumpfile's -d bitmask
  std::string compression = "zstd";  // zstd, zlib, lzo, none (kdump format)
  int threads = 0;                   // 0: the CPUs online
  int memory_budget_mib = 64;        // the dump engine's bound
  NetworkConfig network;
  int retries = 5;  // attempts of each network operation (upload, part) before the next target

  bool has_network_target() const;
};

inline constexpr const char* kDefaultConfigPath = "/etc/kdumpkit.conf";

// `source` names the file in errors. A configuration without a target is an error.
Result<Config> parse_config(std::string_view text, const std::string& source);

// Applies "kdumpkit.KEY=VALUE" words of a kernel command line on top of
// `config` (other words are ignored). The good "kdumpkit.target=" words
// replace the file's targets; bad words of any key are reported together and
// change nothing, the good ones around them still apply.
Status apply_command_line_overrides(Config& config, std::string_view cmdline);

}  // namespace kdk::config
