#include "targets/ssh/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "targets/ssh/ssh_wire.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::targets::ssh {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Shell-style glob with * and ? (OpenSSH's match_pattern).
bool glob(std::string_view s, std::string_view p) {
  size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

// "|1|salt|hash": HMAC-SHA1 of the name keyed with the salt.
bool match_hashed(const std::string& name, std::string_view entry) {
  std::string_view rest = entry.substr(3);
  size_t bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  std::string salt, hash;
  if (!base64_decode(rest.substr(0, bar), salt) || !base64_decode(rest.substr(bar + 1), hash)) return false;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
            reinterpret_cast<const unsigned char*>(name.data()), name.size(), md, &len))
    return false;
  return hash.size() == len && std::equal(hash.begin(), hash.end(), reinterpret_cast<const char*>(md));
}

int type_rank(const std::string& type) {
  if (type == "ssh-ed25519") return 0;
  if (type == "ecdsa-sha2-nistp256") return 1;
  if (type == "ecdsa-sha2-nistp384") return 2;
  if (type == "ecdsa-sha2-nistp521") return 3;
  if (type == "ssh-rsa") return 4;
  return -1;
}

}  // namespace

bool match_host_patterns(const std::string& name, std::string_view patterns) {
  const std::string host = lower(name);
  if (patterns.rfind("|1|", 0) == 0) return match_hashed(host, patterns);
  bool matched = false;
  for (const std::string& raw : split(patterns, ',')) {
    if (raw.empty()) continue;
    bool negated = raw[0] == '!';
    std::string pattern = lower(negated ? std::string_view(raw).substr(1) : std::string_view(raw));
    if (!glob(host, pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

std::string KnownHosts::lookup_name(const std::string& host, int port) {
  return port == 22 || port <= 0 ? host : format("[%s]:%d", host.c_str(), port);
}

KnownHosts KnownHosts::parse(std::string_view text, std::string source) {
  KnownHosts out;
  out.source_ = std::move(source);
  int number = 0;
  for (std::string_view raw : lines(text)) {
    ++number;
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> words = split_words(line);
    Line l;
    l.key.line = number;
    size_t i = 0;
    if (!words.empty() && words[0][0] == '@') {
      if (words[0] == "@revoked") {
        l.key.marker = KnownKey::Marker::kRevoked;
      } else if (words[0] == "@cert-authority") {
        l.key.marker = KnownKey::Marker::kCertAuthority;
      } else {
        ++out.skipped_;
        continue;
      }
      i = 1;
    }
    if (words.size() < i + 3) {
      ++out.skipped_;
      continue;
    }
    l.patterns = words[i];
    l.key.type = words[i + 1];
    if (!base64_decode(words[i + 2], l.key.blob) || blob_key_type(l.key.blob) != l.key.type) {
      ++out.skipped_;
      continue;
    }
    out.lines_.push_back(std::move(l));
  }
  return out;
}

Result<KnownHosts> KnownHosts::load(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error().within("known_hosts");
  return parse(*text, path);
}

std::vector<KnownKey> KnownHosts::keys_for(const std::string& name) const {
  std::vector<KnownKey> out;
  for (const auto& l : lines_) {
    if (match_host_patterns(name, l.patterns)) out.push_back(l.key);
  }
  return out;
}

std::vector<std::string> host_key_algorithms(const std::vector<KnownKey>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (k.marker != KnownKey::Marker::kNone || type_rank(k.type) < 0) continue;
    if (std::find(out.begin(), out.end(), k.type) == out.end()) out.push_back(k.type);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return type_rank(a) < type_rank(b); });
  return out;
}

Status verify_host_key(const std::vector<KnownKey>& keys, const std::string& name, const std::string& source,
                       std::string_view server_blob) {
  const std::string type = blob_key_type(server_blob);
  const std::string presented = type + " " + fingerprint_sha256(server_blob);
  for (const auto& k : keys) {
    if (k.marker == KnownKey::Marker::kRevoked && k.blob == server_blob) {
      return Error{format("host key of %s is marked @revoked in %s line %d (%s): refusing to connect",
                          name.c_str(), source.c_str(), k.line, presented.c_str())};
    }
  }
  for (const auto& k : keys) {
    if (k.marker == KnownKey::Marker::kNone && k.blob == server_blob) return {};
  }
  std::string same_type, listed;
  bool certificates_only = !keys.empty();
  for (const auto& k : keys) {
    if (k.marker != KnownKey::Marker::kCertAuthority) certificates_only = false;
    if (k.marker != KnownKey::Marker::kNone) continue;
    std::string entry = format("line %d: %s %s", k.line, k.type.c_str(), fingerprint_sha256(k.blob).c_str());
    if (k.type == type) same_type += (same_type.empty() ? "" : "; ") + entry;
    listed += (listed.empty() ? "" : "; ") + entry;
  }
  if (!same_type.empty()) {
    return Error{
        format("HOST KEY CHANGED for %s: the server presents %s, but %s has %s; refusing to connect (if the "
               "server's key really changed, replace the line)",
               name.c_str(), presented.c_str(), source.c_str(), same_type.c_str())};
  }
  if (certificates_only) {
    return Error{
        format("%s has only @cert-authority lines for %s (host certificates are not supported); the server "
               "presents %s",
               source.c_str(), name.c_str(), presented.c_str())};
  }
  if (!listed.empty()) {
    return Error{
        format("host key of %s not in %s: the server presents %s, the file lists other key types (%s); "
               "refusing to connect",
               name.c_str(), source.c_str(), presented.c_str(), listed.c_str())};
  }
  return Error{
      format("host key of %s unknown: %s has no line for %s; the server presents %s; refusing to connect "
             "(add the server's key after checking this fingerprint: ssh-keyscan, or ssh once by hand)",
             name.c_str(), source.c_str(), name.c_str(), presented.c_str())};
}

}  // namespace kdk::targets::ssh
