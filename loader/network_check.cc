#include "loader/network_check.h"

#include <algorithm>
#include <variant>

#include "targets/nfs_mount.h"
#include "targets/open_store.h"
#include "util/format.h"

namespace kdk::loader {

namespace {

// `load` should refuse a dead server in seconds, not after the capture's
// full retry schedule.
constexpr int kCheckAttempts = 2;
constexpr auto kNfsCheckTimeout = std::chrono::seconds(15);

std::string endpoint_host(const std::string& endpoint) {
  size_t start = endpoint.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = endpoint.find('/', start);
  return endpoint.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void add_unique(std::vector<std::string>& out, const std::string& s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
}

}  // namespace

TargetCheck check_network_target(const config::Config& config, const config::Target& target, CheckMode mode) {
  TargetCheck c;
  c.target = target.text;
  c.line = target.line;
  const auto& net = std::get<config::NetworkTarget>(target.where);
  if (mode == CheckMode::kReadOnly) {
    // status changes nothing, and a test object is a change.
    c.summary =
        net.url() + (net.scheme == "nfs" ? " (checked by load: mounted, a probe file written and deleted)"
                     : net.scheme == "sftp" || net.scheme == "ssh"
                         ? " (checked by load: host key, key accepted, a probe file written and deleted)"
                         : " (checked by load: a test object written and deleted)");
    return c;
  }
  Status ok;
  if (net.scheme == "nfs") {
    ok = targets::check_nfs_writable(net, kNfsCheckTimeout, Clock::system());
    c.summary = net.url() + ": mounted, a probe file written and deleted";
  } else {
    config::Config quick = config;
    quick.retries = std::min(config.retries, kCheckAttempts);
    ok = targets::check_crash_store(quick, net);
    c.summary = net.url() + (net.scheme == "sftp" || net.scheme == "ssh"
                                 ? ": host key known, key accepted, a probe file written and deleted"
                                 : ": a test object written and deleted");
  }
  if (!ok) c.problems.push_back(ok.error().message);
  return c;
}

std::vector<std::string> network_hosts(const config::Config& config) {
  std::vector<std::string> out;
  for (const auto& t : config.targets) {
    const auto* net = std::get_if<config::NetworkTarget>(&t.where);
    if (!net) continue;
    if (net->scheme == "s3") {
      add_unique(out,
                 endpoint_host(net->option(
                     "endpoint", "https://s3." + net->option("region", "us-east-1") + ".amazonaws.com")));
    } else {
      add_unique(out, net->host);
    }
  }
  return out;
}

std::vector<std::string> network_modules(const config::Config& config, const NetworkRecord& record) {
  std::vector<std::string> out;
  for (const auto& m : record.modules) add_unique(out, m);
  for (const auto& t : config.targets) {
    const auto* net = std::get_if<config::NetworkTarget>(&t.where);
    if (!net || net->scheme != "nfs") continue;
    for (const auto& m : targets::nfs_modules(*net)) add_unique(out, m);
  }
  return out;
}

}  // namespace kdk::loader
