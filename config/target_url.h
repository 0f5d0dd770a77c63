// Where a dump goes, as written in the configuration: a URL-like string.
//   disk:LABEL=kdump:/var/crash     a filesystem found by label
//   disk:UUID=0d5c...:/crash        ... by filesystem UUID
//   disk:PARTUUID=...:/crash        ... by GPT partition GUID
//   disk:/dev/vdb1:/crash           ... by device path
//   raw:/dev/vdc2                   a raw partition (flattened stream + header)
//   nfs://host/export/dir           network targets: parsed here, saved to
//   http://host/path, https://...   by the capture agent when it supports
//   s3://bucket/prefix              the scheme
//   sftp://[user@]host[:port]/dir   SSH: SFTP, or kdump-utils' command mode
//   ssh://[user@]host[:port]/dir    (`umask 0077 && cat > .../vmcore-incomplete`)
// A disk target's directory after the ':' is optional and defaults to "/".
// A network target may be followed by options, `name=value` words:
//   https://dumps.example/crash ca=/etc/kdumpkit/ca.pem token_file=/etc/kdumpkit/token
// Which options each scheme takes is in kNetworkOptions (target_url.cc).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "util/result.h"

namespace kdk::config {

struct DeviceSpec {
  enum class By { kLabel, kUuid, kPartUuid, kPath };
  By by = By::kLabel;
  std::string value;  // the label, the (PART)UUID (lower case) or the /dev path

  std::string describe() const;  // "LABEL=kdump"
};

struct DiskTarget {
  DeviceSpec device;
  std::string directory = "/";  // absolute, no trailing '/', inside the filesystem
};

struct RawTarget {
  std::string device;  // /dev/...
};

struct NetworkTarget {
  std::string scheme;  // nfs, http, https, s3, sftp, ssh
  std::string host;    // host[:port] (bucket for s3)
  std::string path;    // "/..." (may be "/"; sftp and ssh: "/~/..." is relative to the login directory)
  std::vector<std::pair<std::string, std::string>> options;  // as written, validated
  std::string user;  // sftp and ssh: the login name ("" when the URL gives none)

  // The option's value, or `fallback` when it is not given.
  std::string option(const std::string& name, const std::string& fallback = "") const;
  // "https://host/path" without options: what logs and metadata show.
  std::string url() const;
};

// "host:22" -> {"host", "22"}; "[fd00::1]:22" -> {"fd00::1", "22"}; a bare
// IPv6 address or a name without ':' has no port ("").
struct HostPort {
  std::string host;
  std::string port;
};
HostPort split_host_port(const std::string& host_port);

struct Target {
  std::string text;  // as written, for messages
  int line = 0;      // where it was configured (0: command line)
  std::variant<DiskTarget, RawTarget, NetworkTarget> where;
};

// Parses one target; the error says what is accepted.
Result<Target> parse_target(const std::string& text);

}  // namespace kdk::config
