// What an sftp:// or ssh:// target names, shared by the two SSH stores and
// by `load`: the endpoint, the remote directory, the key and known_hosts
// files (read here, never logged), and the names files carry while they are
// being written.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "targets/retry.h"
#include "targets/ssh/known_hosts.h"
#include "targets/ssh/ssh_key.h"
#include "targets/ssh/ssh_transport.h"

namespace kdk {
class Sha256;
}

namespace kdk::targets::ssh {

inline constexpr const char* kDefaultIdentity = "/root/.ssh/kdumpkit_id_ed25519";
inline constexpr const char* kDefaultKnownHosts = "/root/.ssh/known_hosts";
inline constexpr const char* kDefaultUser = "root";

bool is_ssh_target(const config::NetworkTarget& target);
std::string identity_file(const config::NetworkTarget& target);
std::string known_hosts_file(const config::NetworkTarget& target);
Endpoint endpoint_of(const config::NetworkTarget& target);

// The target's directory as the server takes it: "/srv/crash" (absolute) or
// "crash" (relative to the login directory, from "/~/crash"; "." for "/~").
std::string remote_directory(const config::NetworkTarget& target);
// dir + "/" + name, without doubling "/" or keeping a leading "./".
std::string remote_join(const std::string& dir, const std::string& name);

// The name a file has until it is complete, as on a disk target and as
// kdump-utils names it: vmcore-incomplete (for vmcore and vmcore.flat),
// vmcore-dmesg-incomplete.txt, kdumpkit-incomplete.log, metadata.json-incomplete.
std::string incomplete_name(const std::string& name);

struct SshStoreSettings {
  RetryPolicy retry;  // attempts: config `retries`
  RetryEnv env = RetryEnv::system();
  TransportOptions transport;
};
SshStoreSettings ssh_store_settings(const config::Config& config);

// The credentials of a target, read and checked (the key root-only and
// usable, known_hosts present); no traffic.
struct SshCredentials {
  Endpoint endpoint;
  std::unique_ptr<SshKey> key;
  std::unique_ptr<KnownHosts> known_hosts;
};
Result<SshCredentials> read_credentials(const config::NetworkTarget& target);

// The connection a store keeps for its successive files, opened when first
// needed and again after the network failed.
class ConnectionCache {
 public:
  ConnectionCache(SshCredentials credentials, TransportOptions options)
      : credentials_(std::move(credentials)), options_(options) {}
  Result<Connection*> get();
  void drop() { connection_.reset(); }
  // `e`, having dropped the connection first when the network failed.
  Error failed(const Error& e);
  const SshCredentials& credentials() const { return credentials_; }

 private:
  SshCredentials credentials_;
  TransportOptions options_;
  std::unique_ptr<Connection> connection_;
};

// Counts and hashes what reaches `out` (what the server is sent); keeps the
// error `out` gave, which tells it from a failure of whoever writes here.
class DigestWriter : public ByteWriter {
 public:
  explicit DigestWriter(ByteWriter& out);
  ~DigestWriter() override;
  Status write(const void* data, size_t size) override;
  uint64_t bytes() const { return bytes_; }
  std::string hex_digest();
  const std::optional<Error>& refused() const { return refused_; }

 private:
  ByteWriter& out_;
  std::unique_ptr<Sha256> sha_;
  uint64_t bytes_ = 0;
  std::optional<Error> refused_;
};

}  // namespace kdk::targets::ssh
