// What `load` learned on the production machine and the capture kernel needs:
// the host name, the kernel release, the modules to load in order, and the
// network interface that reaches the network targets. It
// travels in the capture initramfs as /etc/kdumpkit/load.conf, in the same
// key = value grammar as the configuration.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::config {

// A device-mapper mapping under a disk target (an LVM logical volume), as
// the capture kernel must recreate it: table lines "START LENGTH TYPE
// PARAMS" whose devices are named by stable identities, "pv:<PV UUID>",
// "partuuid:<GUID>" or "dm:<name of a mapping recorded before it>".
struct RecordedDmDevice {
  std::string name;
  std::string uuid;  // may be empty
  std::vector<std::string> table;
  bool operator==(const RecordedDmDevice&) const = default;
};

// A raw target's device as `load` saw it: the capture kernel names devices
// in its own order, so it writes only to a device that is still this one.
// Fields without spaces; empty ones were not known and are not compared.
struct RawIdentity {
  std::string device;       // as configured: "/dev/vdc"
  uint64_t size_bytes = 0;  // the whole device or partition
  std::string partuuid;     // GPT partition GUID, for a partition
  std::string serial;       // the disk's WWID or serial, from sysfs
  bool operator==(const RawIdentity&) const = default;
};

struct LoadRecord {
  std::string host;
  std::string kernel_release;
  std::vector<std::string> modules;  // paths relative to /lib/modules/<release>, load order
  // The interface that routes to the network targets (loader/network_record):
  // the capture kernel finds it by MAC and falls back to these settings.
  std::string net_interface;                 // its name on the production kernel
  std::string net_mac;                       // "52:54:00:12:34:56"
  std::vector<std::string> net_addresses;    // CIDR, global scope, both families
  std::vector<std::string> net_gateways;     // the next hops towards the targets
  std::vector<std::string> net_dns;          // nameservers of /etc/resolv.conf
  std::vector<RecordedDmDevice> dm_devices;  // lower layers first
  std::vector<RawIdentity> raw_devices;      // the raw targets' devices

  const RawIdentity* raw_identity(const std::string& device) const;

  std::string serialize() const;
};

inline constexpr const char* kLoadRecordPath = "/etc/kdumpkit/load.conf";

Result<LoadRecord> parse_load_record(std::string_view text, const std::string& source);

}  // namespace kdk::config
