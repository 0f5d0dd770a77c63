// The private key an SSH target authenticates with (identity=): read from a
// root-only file without a passphrase, in OpenSSH's format (what ssh-keygen
// writes by default) or PEM/PKCS#8. Ed25519, ECDSA (nistp256/384/521) and
// RSA keys; the signatures are made here with OpenSSL, RSA ones with SHA-2
// (rsa-sha2-256), which OpenSSH 8.8 and later require.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace kdk::targets::ssh {

class SshKey {
 public:
  // Reads and checks the file (root-only, no passphrase, a supported type).
  static Result<SshKey> load(const std::string& path);
  // From the file's text (for tests); `source` names it in errors.
  static Result<SshKey> parse(std::string_view text, const std::string& source);

  SshKey(SshKey&&) noexcept;
  SshKey& operator=(SshKey&&) noexcept;
  ~SshKey();

  // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa": the key's type.
  const std::string& type() const { return type_; }
  // The signature algorithm: the type, or "rsa-sha2-256" for RSA.
  std::string algorithm() const;
  // The public key blob (as in authorized_keys).
  const std::string& public_blob() const { return blob_; }
  // The line for the server's authorized_keys: "<type> <base64> <comment>".
  std::string authorized_keys_line(const std::string& comment) const;
  // "SHA256:...", as ssh-keygen -l prints it.
  std::string fingerprint() const;
  // The signature of `data` in the algorithm's own encoding (the part of an
  // SSH signature blob after the algorithm name).
  Result<std::string> sign(std::string_view data) const;

 private:
  SshKey() = default;
  std::string type_;
  std::string blob_;
  void* pkey_ = nullptr;  // EVP_PKEY
};

}  // namespace kdk::targets::ssh
