#include "config/target_url.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace kdk::config {

namespace {

constexpr const char* kAccepted =
    "accepted: disk:LABEL=<label>[:/dir], disk:UUID=<uuid>[:/dir], disk:PARTUUID=<guid>[:/dir], "
    "disk:/dev/<device>[:/dir], raw:/dev/<partition>, nfs://<host>/<export>[/dir], "
    "http[s]://<host>[:port]/<path>, s3://<bucket>[/prefix], sftp://[user@]<host>[:port]/<dir>, "
    "ssh://[user@]<host>[:port]/<dir>";

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

// The options each network scheme takes; files are read at load time (and
// carried in the capture initramfs at the same path), never logged.
struct OptionRule {
  const char* scheme;
  const char* name;
  const char* accepted;
};
constexpr OptionRule kNetworkOptions[] = {
    {"http", "ca", "a PEM CA bundle (default: the system's, embedded at load time)"},
    {"http", "token_file", "a root-only file holding a bearer token"},
    {"http", "basic_auth_file", "a root-only file holding user:password"},
    {"http", "client_cert", "a PEM client certificate (mutual TLS)"},
    {"http", "client_key", "the PEM key of client_cert (default: in client_cert)"},
    {"http", "proxy", "a proxy URL, as libcurl takes it (http://host:port)"},
    {"http", "plain_http_credentials",
     "yes: send token_file's or basic_auth_file's credentials over plain http://, readable on the wire"},
    {"s3", "endpoint",
     "the S3 service URL, http[s]://host[:port] (default https://s3.<region>.amazonaws.com)"},
    {"s3", "region", "the signing region (default us-east-1)"},
    {"s3", "credentials_file", "a root-only file with access_key_id = ... and secret_access_key = ... lines"},
    {"s3", "ca", "a PEM CA bundle (default: the system's, embedded at load time)"},
    {"s3", "proxy", "a proxy URL, as libcurl takes it (http://host:port)"},
    {"s3", "part_size", "the first multipart part size in MiB, 5 to 1024 (default 16)"},
    {"nfs", "vers", "4.2, 4.1, 4.0 or 3 (default 4.1)"},
    {"nfs", "options", "more mount options, comma separated (e.g. timeo=600,retrans=2)"},
    {"sftp", "identity",
     "a root-only private key file without a passphrase: Ed25519, ECDSA or RSA (default "
     "/root/.ssh/kdumpkit_id_ed25519)"},
    {"sftp", "known_hosts",
     "the known_hosts file the server's host key must be in (default /root/.ssh/known_hosts)"},
    {"ssh", "identity",
     "a root-only private key file without a passphrase: Ed25519, ECDSA or RSA (default "
     "/root/.ssh/kdumpkit_id_ed25519)"},
    {"ssh", "known_hosts",
     "the known_hosts file the server's host key must be in (default /root/.ssh/known_hosts)"},
};

const char* option_scheme(const std::string& scheme) { return scheme == "https" ? "http" : scheme.c_str(); }

std::string options_of(const std::string& scheme) {
  std::string out;
  for (const auto& r : kNetworkOptions) {
    if (scheme != r.scheme) continue;
    out += out.empty() ? "" : ", ";
    out += r.name;
  }
  return out;
}

Status check_option(const std::string& scheme, const std::string& name, const std::string& value,
                    const std::string& text) {
  for (const auto& r : kNetworkOptions) {
    if (scheme != r.scheme || name != r.name) continue;
    if (value.empty())
      return Error{"target \"" + text + "\": option " + name + " needs a value: " + r.accepted};
    bool file = name == "ca" || (name.size() > 5 && name.compare(name.size() - 5, 5, "_file") == 0) ||
                name == "client_cert" || name == "client_key" || name == "identity" || name == "known_hosts";
    if (file && value[0] != '/') {
      return Error{"target \"" + text + "\": option " + name + " names an absolute path: " + r.accepted};
    }
    if (name == "vers" && value != "4.2" && value != "4.1" && value != "4.0" && value != "4" &&
        value != "3") {
      return Error{"target \"" + text + "\": option vers=" + value + ": accepted: " + r.accepted};
    }
    if (name == "part_size") {
      unsigned long v = 0;
      for (char ch : value) {
        if (ch < '0' || ch > '9' || v > 100000)
          return Error{"target \"" + text + "\": part_size=" + value + ": accepted: " + r.accepted};
        v = v * 10 + static_cast<unsigned long>(ch - '0');
      }
      if (v < 5 || v > 1024)
        return Error{"target \"" + text + "\": part_size=" + value + ": accepted: " + r.accepted};
    }
    if (name == "proxy" || name == "endpoint") {
      // Secrets live in root-only files, never in the configuration's text
      // (which the console, the log and metadata.json repeat).
      size_t scheme_end = value.find("://");
      size_t host_at = scheme_end == std::string::npos ? 0 : scheme_end + 3;
      size_t at = value.find('@', host_at);
      if (at != std::string::npos && at < value.find('/', host_at)) {
        return Error{"target \"" + text + "\": option " + name +
                     " must not carry credentials (user:password@): the configuration is shown in logs"};
      }
    }
    if (name == "endpoint" && value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
      return Error{"target \"" + text + "\": endpoint=" + value + ": accepted: " + r.accepted};
    }
    return {};
  }
  return Error{"target \"" + text + "\": unknown option \"" + name + "\" (options of " + scheme +
               " targets: " + options_of(scheme) + ")"};
}

// sftp:// and ssh://: "[user@]host[:port]" and a directory.
Status parse_ssh_location(NetworkTarget& n, const std::string& text) {
  const std::string form = "(" + n.scheme + "://[user@]<host>[:port]/<dir>)";
  size_t at = n.host.rfind('@');
  if (at != std::string::npos) {
    n.user = n.host.substr(0, at);
    n.host = n.host.substr(at + 1);
    if (n.user.find(':') != std::string::npos) {
      return Error{"target \"" + text +
                   "\": no password in the URL: SSH targets authenticate with a key (identity=)"};
    }
    if (n.user.empty() || n.user.find_first_of(" \t'\"\\/@") != std::string::npos) {
      return Error{"target \"" + text + "\": \"" + n.user + "\" is not a user name " + form};
    }
  }
  HostPort hp = split_host_port(n.host);
  if (hp.host.empty()) return Error{"target \"" + text + "\": a host is required " + form};
  if (!hp.port.empty()) {
    unsigned long long port = 0;
    bool digits = hp.port.find_first_not_of("0123456789") == std::string::npos && hp.port.size() <= 5;
    if (digits) port = std::strtoull(hp.port.c_str(), nullptr, 10);
    if (!digits || port == 0 || port > 65535) {
      return Error{"target \"" + text + "\": port \"" + hp.port + "\" is not 1 to 65535 " + form};
    }
  }
  // The directory: absolute, or relative to the login directory with "/~/".
  bool home = n.path == "/~" || n.path.rfind("/~/", 0) == 0;
  std::string dir = home ? n.path.substr(2) : n.path;
  if (dir.empty()) dir = "/";
  auto normal = normalize_directory(dir, text);
  if (!normal) return normal.error();
  if (!home && *normal == "/") {
    return Error{"target \"" + text + "\": name the directory the dumps go to " + form};
  }
  n.path = home ? (*normal == "/" ? std::string("/~") : "/~" + *normal) : *normal;
  if (n.path.find_first_of("'\\\n") != std::string::npos) {
    return Error{"target \"" + text + "\": the directory may not contain quotes or backslashes"};
  }
  return {};
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

std::string NetworkTarget::option(const std::string& name, const std::string& fallback) const {
  for (const auto& [k, v] : options) {
    if (k == name) return v;
  }
  return fallback;
}

std::string NetworkTarget::url() const {
  return scheme + "://" + (user.empty() ? "" : user + "@") + host + path;
}

HostPort split_host_port(const std::string& hp) {
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

Result<Target> parse_target(const std::string& full_text) {
  // The first word is the URL; network targets may add name=value options.
  std::string text = full_text;
  std::vector<std::string> words;
  {
    size_t at = 0;
    while (at < full_text.size()) {
      size_t start = full_text.find_first_not_of(" \t", at);
      if (start == std::string::npos) break;
      size_t end = full_text.find_first_of(" \t", start);
      words.push_back(full_text.substr(start, end == std::string::npos ? std::string::npos : end - start));
      at = end == std::string::npos ? full_text.size() : end;
    }
    if (!words.empty()) text = words[0];
  }
  size_t colon = text.find(':');
  std::string scheme = colon == std::string::npos ? text : text.substr(0, colon);
  const bool network = scheme == "nfs" || scheme == "http" || scheme == "https" || scheme == "s3" ||
                       scheme == "sftp" || scheme == "ssh";
  if (words.size() > 1 && !network) {
    return Error{"target \"" + full_text + "\": only network targets take options"};
  }
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
  if (network && colon != std::string::npos && text.compare(colon, 3, "://") == 0) {
    std::string rest = text.substr(colon + 3);
    size_t slash = rest.find('/');
    NetworkTarget n{scheme, rest.substr(0, slash), slash == std::string::npos ? "/" : rest.substr(slash)};
    if (scheme == "sftp" || scheme == "ssh") {
      if (auto s = parse_ssh_location(n, text); !s) return s.error();
    }
    if (n.host.empty() || n.host.find_first_of(" \t@") != std::string::npos) {
      return Error{"target \"" + text +
                   "\": a host (or bucket) is required, without credentials (they "
                   "come from root-only files)"};
    }
    if (scheme == "nfs" && n.path == "/") {
      return Error{"target \"" + text + "\": an NFS target names its export (nfs://host/export[/dir])"};
    }
    for (size_t i = 1; i < words.size(); ++i) {
      size_t eq = words[i].find('=');
      std::string name = words[i].substr(0, eq);
      std::string value = eq == std::string::npos ? "" : words[i].substr(eq + 1);
      if (auto s = check_option(option_scheme(scheme), name, value, text); !s) return s.error();
      for (const auto& [k, v] : n.options) {
        if (k == name) return Error{"target \"" + text + "\": option " + name + " given twice"};
      }
      n.options.emplace_back(name, value);
    }
    const bool sends_secret = !n.option("token_file").empty() || !n.option("basic_auth_file").empty();
    const std::string plain_ok = n.option("plain_http_credentials");
    if (!plain_ok.empty() && plain_ok != "yes") {
      return Error{"target \"" + text + "\": option plain_http_credentials=" + plain_ok + ": accepted: yes"};
    }
    if (scheme == "http" && sends_secret && plain_ok != "yes") {
      return Error{
          "target \"" + text +
          "\": token_file and basic_auth_file credentials would cross the network "
          "unencrypted over http://: use https://, or add plain_http_credentials=yes to accept that"};
    }
    return Target{full_text, 0, n};
  }
  return Error{"target \"" + text + "\": unknown or unsupported scheme \"" + scheme + "\"; " + kAccepted};
}

}  // namespace kdk::config
