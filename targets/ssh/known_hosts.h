// OpenSSH's known_hosts file, read for the strict host key check of the SSH
// targets: the server's key must be listed for the name the target connects
// to, or nothing is sent. Lines are
//   [@revoked|@cert-authority] patterns keytype base64-blob [comment]
// where patterns are comma-separated host names with * and ? wildcards and
// !negation, "[host]:port" for a port other than 22, or one hashed name
// "|1|base64(salt)|base64(HMAC-SHA1(salt, name))" (HashKnownHosts).
// @cert-authority lines are not used (host certificates are not supported).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::targets::ssh {

struct KnownKey {
  int line = 0;
  enum class Marker { kNone, kRevoked, kCertAuthority } marker = Marker::kNone;
  std::string type;  // "ssh-ed25519", "ecdsa-sha2-nistp256", ...
  std::string blob;  // the public key blob
};

class KnownHosts {
 public:
  // Parses the file's text; malformed lines are skipped (as ssh does) and
  // counted in skipped().
  static KnownHosts parse(std::string_view text, std::string source);
  // Reads `path`; a missing file is an error naming it.
  static Result<KnownHosts> load(const std::string& path);

  // The name known_hosts uses for host:port: "host", or "[host]:port" when
  // the port is not 22.
  static std::string lookup_name(const std::string& host, int port);

  // The lines that apply to `name` (a lookup_name), in file order.
  std::vector<KnownKey> keys_for(const std::string& name) const;
  const std::string& source() const { return source_; }
  int skipped() const { return skipped_; }

 private:
  struct Line {
    KnownKey key;
    std::string patterns;
  };
  std::vector<Line> lines_;
  std::string source_;
  int skipped_ = 0;
};

// Whether `name` matches a comma-separated pattern list: a negated pattern
// that matches wins over any positive one.
bool match_host_patterns(const std::string& name, std::string_view patterns);

// The host key algorithms to offer for these keys, most preferred first
// (Ed25519, ECDSA, RSA), without duplicates.
std::vector<std::string> host_key_algorithms(const std::vector<KnownKey>& keys);

// The verdict on the key a server presented. An error (never worth a retry:
// its errno_value is 0) names the file, the lines and both fingerprints.
Status verify_host_key(const std::vector<KnownKey>& keys, const std::string& name, const std::string& source,
                       std::string_view server_blob);

}  // namespace kdk::targets::ssh
