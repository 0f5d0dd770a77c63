#include "targets/nfs_mount.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "targets/disk_target.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::targets {

using std::chrono::milliseconds;

namespace {

struct HostPort {
  std::string host;
  std::string port;  // empty: the default
};

HostPort split_host(const std::string& hp) {
  if (!hp.empty() && hp[0] == '[') {
    size_t close = hp.find(']');
    if (close != std::string::npos) {
      std::string port = close + 1 < hp.size() && hp[close + 1] == ':' ? hp.substr(close + 2) : "";
      return {hp.substr(1, close - 1), port};
    }
  }
  size_t colon = hp.find(':');
  if (colon != std::string::npos && hp.find(':', colon + 1) == std::string::npos) {
    return {hp.substr(0, colon), hp.substr(colon + 1)};
  }
  return {hp, ""};
}

bool is_ipv6(const std::string& a) { return a.find(':') != std::string::npos; }

// Errors that come from the server's answer: retrying will not change them.
bool permanent(int err) {
  return err == ENOENT || err == EACCES || err == EPERM || err == EPROTONOSUPPORT || err == EINVAL ||
         err == ENODEV || err == ENOTDIR || err == EROFS;
}

}  // namespace

Result<NfsMountSpec> nfs_mount_spec(const config::NetworkTarget& target, const std::string& address) {
  NfsMountSpec spec;
  spec.version = target.option("vers", "4.1");
  const std::string& v = spec.version;
  if (v != "4.2" && v != "4.1" && v != "4.0" && v != "4" && v != "3") {
    return Error{"nfs target " + target.url() + ": vers=" + v + " is not one of 4.2, 4.1, 4.0, 3"};
  }
  HostPort hp = split_host(target.host);
  std::string path = target.path.empty() ? "/" : target.path;
  spec.source = (is_ipv6(address) ? "[" + address + "]" : address) + ":" + path;
  spec.fstype = v == "3" ? "nfs" : "nfs4";
  std::string o = "vers=" + v + ",addr=" + address + ",proto=" + (is_ipv6(address) ? "tcp6" : "tcp");
  if (!hp.port.empty()) o += ",port=" + hp.port;
  if (v == "3") {
    // The MOUNT protocol's server and transport, given so the kernel does
    // not guess; its port still comes from the server's rpcbind. No lock
    // manager: the capture kernel runs no rpc.statd.
    o += ",mountaddr=" + address + ",mountproto=" + (is_ipv6(address) ? "tcp6" : "tcp") +
         ",mountvers=3,nolock";
  }
  o += ",soft,timeo=100,retrans=3";
  std::string extra = target.option("options");
  if (!extra.empty()) o += "," + extra;
  spec.options = o;
  return spec;
}

std::vector<std::string> nfs_modules(const config::NetworkTarget& target) {
  if (target.option("vers", "4.1") == "3") return {"sunrpc", "nfs", "nfsv3"};
  return {"sunrpc", "nfs", "nfsv4"};
}

Result<std::string> resolve_host(const std::string& host, milliseconds timeout, const Clock& clock) {
  in6_addr probe{};
  if (inet_pton(AF_INET, host.c_str(), &probe) == 1 || inet_pton(AF_INET6, host.c_str(), &probe) == 1)
    return host;
  const milliseconds deadline = clock.now() + timeout;
  milliseconds pause(500);
  for (;;) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc == 0) {
      std::string v4, v6;
      char buf[INET6_ADDRSTRLEN];
      for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && v4.empty()) {
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, buf, sizeof buf);
          v4 = buf;
        } else if (ai->ai_family == AF_INET6 && v6.empty()) {
          inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, buf, sizeof buf);
          v6 = buf;
        }
      }
      ::freeaddrinfo(res);
      if (!v4.empty() || !v6.empty()) return v4.empty() ? v6 : v4;
    }
    // A name that does not exist will not start to; a resolver that does not
    // answer (yet) might.
    if (rc == EAI_NONAME || clock.now() + pause > deadline) {
      return Error{"resolve " + host + ": " + (rc == 0 ? "no address" : gai_strerror(rc))};
    }
    clock.sleep(pause);
    pause = std::min(pause * 2, milliseconds(4000));
  }
}

Result<NfsMountSpec> mount_nfs_export(const config::NetworkTarget& target, const std::string& mountpoint,
                                      milliseconds timeout, const Clock& clock) {
  const milliseconds start = clock.now();
  const milliseconds deadline = start + timeout;
  auto address = resolve_host(split_host(target.host).host, timeout, clock);
  if (!address) return address.error();
  auto spec = nfs_mount_spec(target, *address);
  if (!spec) return spec.error();
  if (auto s = make_directories(mountpoint); !s) return s.error();
  milliseconds pause(1000);
  for (int attempt = 1;; ++attempt) {
    log::info("nfs: mount %s on %s (%s, attempt %d)", spec->source.c_str(), mountpoint.c_str(),
              spec->options.c_str(), attempt);
    if (::mount(spec->source.c_str(), mountpoint.c_str(), spec->fstype.c_str(), MS_NOATIME,
                spec->options.c_str()) == 0) {
      log::info("nfs: mounted %s after %lld ms", spec->source.c_str(),
                static_cast<long long>((clock.now() - start).count()));
      return spec;
    }
    int err = errno;
    auto error = Error::from_errno(
        err, format("mount %s (%s) on %s", spec->source.c_str(), spec->fstype.c_str(), mountpoint.c_str()));
    if (err == ENODEV)
      error = error.within("no " + spec->fstype + " filesystem in this kernel (nfs modules not loaded?)");
    if (permanent(err) || clock.now() + pause > deadline) return error;
    log::warn("nfs: %s; retrying in %lld ms", error.message.c_str(), static_cast<long long>(pause.count()));
    clock.sleep(pause);
    pause = std::min(pause * 2, milliseconds(8000));
  }
}

Result<MountedDisk> MountedDisk::mount_nfs(const config::NetworkTarget& target, const std::string& mountpoint,
                                           milliseconds timeout, const Clock& clock) {
  auto spec = mount_nfs_export(target, mountpoint, timeout, clock);
  if (!spec) return spec.error();
  MountedDisk d;
  d.device_.name = target.host + ":" + (target.path.empty() ? "/" : target.path);
  d.device_.path = spec->source;
  d.device_.fs.type = spec->fstype;
  d.mountpoint_ = mountpoint;
  d.mounted_ = true;
  d.root_ = mountpoint;
  return d;
}

Status check_nfs_writable(const config::NetworkTarget& target, milliseconds timeout, const Clock& clock,
                          const std::string& scratch_dir) {
  std::string tmpl = scratch_dir + "/kdumpkit-nfs-check.XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno(errno, "create a mount point under " + scratch_dir);
  Status result;
  {
    auto disk = MountedDisk::mount_nfs(target, tmpl, timeout, clock);
    if (!disk) {
      result = disk.error();
    } else {
      std::string probe = disk->root() + format("/.kdumpkit-probe-%d", static_cast<int>(::getpid()));
      auto written = write_file(probe, "kdumpkit load check\n", 0600);
      if (!written) {
        result = written.error().within("write to " + target.url());
      } else if (auto f = fsync_path(probe); !f) {
        result = f.error().within("write to " + target.url());
      } else if (::unlink(probe.c_str()) != 0) {
        result = Error::from_errno(errno, "delete the probe file on " + target.url());
      }
      if (auto u = disk->unmount(); !u && result) result = u.error();
    }
  }
  ::rmdir(tmpl.c_str());
  return result;
}

}  // namespace kdk::targets
