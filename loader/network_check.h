// `load`'s checks of the network targets, before arming: an NFS export is
// mounted and a probe file written and deleted; an HTTP(S) or S3 target gets
// a small test object written and deleted (which proves the server answers,
// the certificate verifies and the credentials are accepted); an SFTP or
// SSH target is connected to (its host key in known_hosts, the key
// accepted) and a probe file written and deleted in its directory. And what the
// capture kernel needs to reach them: the interface, its addresses, the
// resolvers, the NIC driver and NFS modules.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "loader/network_record.h"
#include "loader/target_check.h"

namespace kdk::loader {

// One network target checked (the same TargetCheck as disks, without a device).
TargetCheck check_network_target(const config::Config& config, const config::Target& target, CheckMode mode);

// The host (host[:port]) each network target connects to: the URL's host,
// or an S3 target's endpoint host.
std::vector<std::string> network_hosts(const config::Config& config);

// The kernel modules the network targets need in the capture kernel: the
// NIC's drivers from `record`, and the NFS client's for nfs targets.
std::vector<std::string> network_modules(const config::Config& config, const NetworkRecord& record);

}  // namespace kdk::loader
