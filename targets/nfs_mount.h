// NFS targets (nfs://host/export/dir) through the kernel's NFS client: the
// host resolved first (musl's resolver reads /etc/resolv.conf), then
// mount(2) with explicit text options, because the capture initramfs has no
// mount.nfs to build them. The mounted export is then used exactly like a
// disk target (MountedDisk::mount_nfs in targets/disk_target.h).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/target_url.h"
#include "util/clock.h"
#include "util/result.h"

namespace kdk::targets {

struct NfsMountSpec {
  std::string source;   // "host:/export/dir" ("[2001:db8::1]:/export" for IPv6 addresses)
  std::string fstype;   // "nfs4" or "nfs" (v3)
  std::string options;  // the data argument of mount(2)
  std::string version;  // "4.1", "3", ...
};

// The mount(2) arguments for `target` with its host already resolved to
// `address`. Pure. Errors for an unknown vers= value.
//  v4.x: vers=4.1,addr=A,proto=tcp,port=2049,soft,timeo=100,retrans=3
//  v3:   vers=3,addr=A,proto=tcp,mountaddr=A,mountproto=tcp,mountvers=3,nolock,soft,timeo=100,retrans=3
// `soft` with bounded timeouts turns a server that dies mid-dump into an
// I/O error, so the capture falls through to the next target instead of
// hanging until the global deadline. The target's options= come last and
// win (the kernel takes the last value of a repeated option).
Result<NfsMountSpec> nfs_mount_spec(const config::NetworkTarget& target, const std::string& address);

// The kernel modules the NFS client needs for `target`, for the initramfs
// builder (their dependencies, e.g. lockd, grace, auth_rpcgss, netfs, come
// from modules.dep). They must be loaded before mount(2): the kernel's own
// request_module("nfs4") would run a modprobe the initramfs does not have.
std::vector<std::string> nfs_modules(const config::NetworkTarget& target);

// getaddrinfo, IPv4 preferred; retried until `timeout` (the resolver may not
// be reachable the instant the network comes up).
Result<std::string> resolve_host(const std::string& host, std::chrono::milliseconds timeout,
                                 const Clock& clock);

// mount(2) of the export on `mountpoint` (created), retried with backoff
// until `timeout` while the error may be transient (no route, refused,
// timed out); errors the server means (no such export, access denied,
// version not supported) end at once.
Result<NfsMountSpec> mount_nfs_export(const config::NetworkTarget& target, const std::string& mountpoint,
                                      std::chrono::milliseconds timeout, const Clock& clock);

// For `load`: mounts the export on a temporary directory, writes, fsyncs and
// deletes a probe file, unmounts. The error names the step that failed.
Status check_nfs_writable(const config::NetworkTarget& target, std::chrono::milliseconds timeout,
                          const Clock& clock, const std::string& scratch_dir = "/run");

}  // namespace kdk::targets
