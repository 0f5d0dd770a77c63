// A crash directory on an SSH server through SFTP:
// sftp://[user@]host[:port]/dir/<crash-dir>/<file>.
//
// - Every file is written under its incomplete name (vmcore-incomplete,
//   vmcore-dmesg-incomplete.txt, ...), fsynced (fsync@openssh.com) and
//   renamed, so a file under its final name is complete, as on a disk.
// - The dump is the flattened stream (vmcore.flat), written strictly
//   sequentially in large pipelined writes: the same bytes as the HTTP(S)
//   and S3 targets and kdump-utils' ssh target, its size and sha256 known
//   as it is sent (README: "SSH targets" says why not the regular file).
// - One connection for all the files; after a network failure (cut,
//   refused, timed out) it is opened again and the file written again from
//   its start, up to `retries` attempts with backoff. An unknown or changed
//   host key, a key the server refuses and an SFTP error (a full disk, a
//   permission) are final: the capture goes on to the next target.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "targets/crash_store.h"
#include "targets/ssh/ssh_target.h"

namespace kdk::targets {

class SftpStore final : public CrashStore {
 public:
  // Reads the key and known_hosts; no traffic yet. `crash_dir` may be empty
  // for check().
  static Result<std::unique_ptr<SftpStore>> open(const config::NetworkTarget& target,
                                                 const std::string& crash_dir,
                                                 const ssh::SshStoreSettings& settings);

  std::string where() const override;
  Result<StoredObject> put(const std::string& name, std::string_view data) override;
  Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) override;

  // For `load`: connects (host key, authentication), makes the target's
  // directory and writes, fsyncs and deletes .kdumpkit-check in it.
  Status check();

 private:
  SftpStore(const config::NetworkTarget& target, std::string crash_dir, ssh::SshCredentials credentials,
            ssh::SshStoreSettings settings);
  // The SFTP session, the crash directory made; opened again when needed.
  Result<ssh::Sftp*> session();
  Error failed(const Error& e);
  // Writes `name` through its incomplete name with `fill`, with retries.
  Result<StoredObject> store(const std::string& name, const std::function<Status(ByteWriter&)>& fill);
  std::string path_of(const std::string& name) const;

  std::string url_;
  std::string dir_;  // the crash directory on the server
  ssh::SshStoreSettings settings_;
  ssh::ConnectionCache connection_;
  std::unique_ptr<ssh::Sftp> sftp_;
  bool dir_ready_ = false;
};

}  // namespace kdk::targets
