// A crash directory on an SSH server that runs commands, as kdump-utils'
// ssh target writes it (for servers that allow a command but no SFTP):
// ssh://[user@]host[:port]/dir/<crash-dir>/.
//
// - The directory: `umask 0077 && mkdir -p -- DIR`.
// - Each file: `umask 0077 && cat > DIR/<incomplete name>` with the bytes on
//   standard input, and once that command has exited with status 0, a
//   second command `mv -f -- DIR/<incomplete name> DIR/<name>` (never in the
//   same command: a cut connection ends cat's input early and cat exits 0).
// - The dump is the flattened stream, DIR/vmcore-incomplete renamed to
//   DIR/vmcore.flat, which `makedumpfile -R` (or `kdumpkit reassemble`)
//   turns into the regular file; vmcore-dmesg.txt beside it, as kdump-utils
//   leaves them; kdumpkit.log and metadata.json as on every network target.
// - Retries as in sftp_store.h; a command that fails (a full disk: cat's
//   exit status and message) is final.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "targets/crash_store.h"
#include "targets/ssh/ssh_target.h"

namespace kdk::targets {

class SshCommandStore final : public CrashStore {
 public:
  static Result<std::unique_ptr<SshCommandStore>> open(const config::NetworkTarget& target,
                                                       const std::string& crash_dir,
                                                       const ssh::SshStoreSettings& settings);

  std::string where() const override;
  Result<StoredObject> put(const std::string& name, std::string_view data) override;
  Result<StoredObject> put_stream(const std::string& name, const StreamProducer& produce) override;

  // For `load`: connects (host key, authentication), makes the target's
  // directory, writes .kdumpkit-check in it with cat and deletes it.
  Status check();

 private:
  SshCommandStore(const config::NetworkTarget& target, std::string crash_dir, ssh::SshCredentials credentials,
                  ssh::SshStoreSettings settings);
  Result<ssh::Connection*> connection();
  Result<StoredObject> store(const std::string& name, const std::function<Status(ByteWriter&)>& fill);
  std::string path_of(const std::string& name) const;

  std::string url_;
  std::string dir_;
  ssh::SshStoreSettings settings_;
  ssh::ConnectionCache connection_;
  bool dir_ready_ = false;
};

}  // namespace kdk::targets
