#include "config/target_url.h"

#include <algorithm>
#include <cctype>

namespace kdk::config {

namespace {

constexpr const char* kAccepted =
    "accepted: disk:LABEL=<label>[:/dir], disk:UUID=<uuid>[:/dir], disk:PARTUUID=<guid>[:/dir], "
    "disk:/dev/<device>[:/dir], raw:/dev/<partition>, nfs://<host>/<export>[/dir], "
    "http[s]://<host>[:port]/<path>, s3://<bucket>[/prefix]";

Result<std::string> normalize_directory(const std::string& dir, const std::string& text) {
  if (dir.empty() || dir[0] != '/') {
    return Error{"target \"" + text + "\": the directory must be absolute (\":/path\")"};
  }
  std::string out;
  for (const char* p = dir.c_str(); *p;) {
    while (*p == '/') ++p;
    const char* start = p;
    while (*p && *p != '/') ++p;
    std::string part(start, p);
    if (part.empty()) break;
    if (part == "." || part == "..") {
      return Error{"target \"" + text + "\": the directory may not contain \".\" or \"..\""};
    }
    out += "/" + part;
  }
  return out.empty() ? std::string("/") : out;
}

Result<DiskTarget> parse_disk(const std::string& rest, const std::string& text) {
  // The directory starts at the first ":/"; device paths such as
  // /dev/disk/by-path/pci-0000:00:05.0 contain ':' but never ":/".
  std::string device = rest;
  std::string dir = "/";
  size_t sep = rest.find(":/");
  if (sep != std::string::npos) {
    device = rest.substr(0, sep);
    dir = rest.substr(sep + 1);
  }
  DiskTarget t;
  auto d = normalize_directory(dir, text);
  if (!d) return d.error();
  t.directory = *d;
  auto starts = [&](const char* prefix) { return device.rfind(prefix, 0) == 0; };
  if (starts("LABEL=")) {
    t.device = {DeviceSpec::By::kLabel, device.substr(6)};
  } else if (starts("UUID=") || starts("PARTUUID=")) {
    bool part = starts("PARTUUID=");
    std::string uuid = device.substr(part ? 9 : 5);
    std::transform(uuid.begin(), uuid.end(), uuid.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    t.device = {part ? DeviceSpec::By::kPartUuid : DeviceSpec::By::kUuid, uuid};
  } else if (starts("/dev/")) {
    t.device = {DeviceSpec::By::kPath, device};
  } else {
    return Error{"target \"" + text + "\": unknown device \"" + device + "\"; " + kAccepted};
  }
  if (t.device.value.empty() || (t.device.by == DeviceSpec::By::kPath && device.size() <= 5)) {
    return Error{"target \"" + text + "\": empty device name; " + kAccepted};
  }
  return t;
}

}  // namespace

std::string DeviceSpec::describe() const {
  switch (by) {
    case By::kLabel:
      return "LABEL=" + value;
    case By::kUuid:
      return "UUID=" + value;
    case By::kPartUuid:
      return "PARTUUID=" + value;
    case By::kPath:
      return value;
  }
  return value;
}

Result<Target> parse_target(const std::string& text) {
  size_t colon = text.find(':');
  std::string scheme = colon == std::string::npos ? text : text.substr(0, colon);
  if (scheme == "disk" && colon != std::string::npos) {
    auto disk = parse_disk(text.substr(colon + 1), text);
    if (!disk) return disk.error();
    return Target{text, 0, *disk};
  }
  if (scheme == "raw" && colon != std::string::npos) {
    std::string device = text.substr(colon + 1);
    if (device.rfind("/dev/", 0) != 0 || device.size() <= 5 || device.find(':') != std::string::npos) {
      return Error{"target \"" + text + "\": a raw target names a device path (raw:/dev/<partition>)"};
    }
    return Target{text, 0, RawTarget{device}};
  }
  if ((scheme == "nfs" || scheme == "http" || scheme == "https" || scheme == "s3") &&
      text.compare(colon, 3, "://") == 0) {
    std::string rest = text.substr(colon + 3);
    size_t slash = rest.find('/');
    NetworkTarget n{scheme, rest.substr(0, slash), slash == std::string::npos ? "/" : rest.substr(slash)};
    if (n.host.empty() || n.host.find_first_of(" \t@") != std::string::npos) {
      return Error{"target \"" + text + "\": a host (or bucket) is required, without credentials (they "
                   "come from root-only files)"};
    }
    if (scheme == "nfs" && n.path == "/") {
      return Error{"target \"" + text + "\": an NFS target names its export (nfs://host/export[/dir])"};
    }
    return Target{text, 0, n};
  }
  return Error{"target \"" + text + "\": unknown or unsupported scheme \"" + scheme + "\"; " +
               kAccepted};
}

}  // namespace kdk::config
