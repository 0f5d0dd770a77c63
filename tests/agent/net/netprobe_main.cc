// kdk_netprobe: the capture kernel's network bring-up and NFS target, run
// for real in a QEMU guest by tests/agent/net/qemu-net.sh before the capture
// sequence calls them. Brings the network up (DHCP unless --static CIDR
// --gateway G), then for each target URL mounts it as the capture would,
// writes a crash directory with a committed file, and runs load's write check.
// Verdict lines start with "KDK-NET:".
//   kdk_netprobe [--static CIDR --gateway G] 'nfs://10.0.2.100/export vers=4.1' ...
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/net/bring_up.h"
#include "config/target_url.h"
#include "targets/disk_target.h"
#include "targets/nfs_mount.h"
#include "util/log.h"

using namespace kdk;

namespace {

int fail(const std::string& what) {
  std::printf("KDK-NET: FAIL %s\n", what.c_str());
  std::fflush(stdout);
  return 1;
}

int probe_target(const std::string& text, int n, const Clock& clock) {
  auto target = config::parse_target(text);
  if (!target) return fail(target.error().message);
  const auto* nfs = std::get_if<config::NetworkTarget>(&target->where);
  if (!nfs || nfs->scheme != "nfs") return fail(text + ": not an nfs target");
  auto t0 = clock.now();
  std::string mnt = "/run/kdk-netprobe-" + std::to_string(n);
  auto disk = targets::MountedDisk::mount_nfs(*nfs, mnt, std::chrono::seconds(60), clock);
  if (!disk) return fail(disk.error().message);
  auto mount_ms = (clock.now() - t0).count();
  auto dir = disk->make_crash_directory("kdk-guest-probe");
  if (!dir) return fail(dir.error().message);
  auto file = targets::AtomicFile::create(*dir, "probe.txt", "probe.txt.incomplete");
  if (!file) return fail(file.error().message);
  std::string body =
      "written by kdk_netprobe over " + disk->device().fs.type + " " + nfs->option("vers", "4.1") + "\n";
  if (auto s = file->write(body.data(), body.size()); !s) return fail(s.error().message);
  if (auto s = file->commit(); !s) return fail(s.error().message);
  auto free_bytes = disk->available_bytes();
  if (!free_bytes) return fail(free_bytes.error().message);
  std::string device = disk->device().name;
  if (auto s = disk->unmount(); !s) return fail(s.error().message);
  if (auto s = targets::check_nfs_writable(*nfs, std::chrono::seconds(60), clock); !s) {
    return fail("load check: " + s.error().message);
  }
  std::printf("KDK-NET: nfs ok %s %s mounted in %lld ms, wrote %s (%llu bytes free), load check ok\n",
              device.c_str(), disk->device().fs.type.c_str(), static_cast<long long>(mount_ms),
              file->final_path().c_str(), static_cast<unsigned long long>(*free_bytes));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::enable_timestamps(true);
  net::Settings settings;
  settings.host_name = "kdk-guest";
  std::vector<std::string> targets;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--static" && i + 1 < argc) {
      settings.dhcp = false;
      settings.addresses.push_back(argv[++i]);
    } else if (a == "--gateway" && i + 1 < argc) {
      settings.gateways.push_back(argv[++i]);
    } else {
      targets.push_back(a);
    }
  }
  auto clock = Clock::system();
  auto state = net::bring_up(settings, clock);
  if (!state) return fail("network: " + state.error().message);
  std::printf("KDK-NET: network %s, link %lld ms, address %lld ms\n", state->describe().c_str(),
              state->link_ms, state->address_ms);
  std::fflush(stdout);
  int rc = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    // "!URL": the mount must fail, at once (a missing export is not retried).
    if (targets[i][0] == '!') {
      auto t = config::parse_target(targets[i].substr(1));
      if (!t || !std::get_if<config::NetworkTarget>(&t->where)) return fail(targets[i] + ": not a target");
      auto t0 = clock.now();
      auto disk = targets::MountedDisk::mount_nfs(std::get<config::NetworkTarget>(t->where),
                                                  "/run/kdk-netprobe-bad", std::chrono::seconds(8), clock);
      if (disk)
        rc |= fail(targets[i] + " mounted");
      else
        std::printf("KDK-NET: refused in %lld ms: %s\n", static_cast<long long>((clock.now() - t0).count()),
                    disk.error().message.c_str());
      continue;
    }
    rc |= probe_target(targets[i], static_cast<int>(i), clock);
  }
  return rc;
}
