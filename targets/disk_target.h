// A filesystem target: the device found by label/UUID/path, mounted, and
// files committed into a per-crash directory atomically (written under an
// "incomplete" name, fsynced, renamed, directory fsynced).
#pragma once

#include <string>

#include "config/target_url.h"
#include "targets/block_devices.h"
#include <memory>

#include "util/fd.h"
#include "util/sha256.h"
#include "util/result.h"

namespace kdk::targets {

// Creates parent/name (and parent when missing); when it exists (two crashes
// in one second) a suffix "-1", "-2", ... is added: a crash directory is
// never merged into. Returns the directory's path.
Result<std::string> make_crash_directory(const std::string& parent, const std::string& name);

class MountedDisk {
 public:
  // Waits for the device, then mounts it read-write at `mountpoint`.
  static Result<MountedDisk> mount(const config::DiskTarget& target, const std::string& mountpoint,
                                   std::chrono::milliseconds device_timeout, const Clock& clock);
  // Mounts an NFS export (targets/nfs_mount.cc): device() then names
  // "host:/export/dir" and its fs.type is nfs4 or nfs; root() is the export.
  static Result<MountedDisk> mount_nfs(const config::NetworkTarget& target, const std::string& mountpoint,
                                       std::chrono::milliseconds timeout, const Clock& clock);
  MountedDisk(MountedDisk&& other) noexcept;
  MountedDisk& operator=(MountedDisk&&) = delete;
  ~MountedDisk();

  const BlockDevice& device() const { return device_; }
  // The target directory inside the mounted filesystem, created if missing.
  const std::string& root() const { return root_; }

  // Creates root()/name; when it exists (two crashes in one second) a
  // suffix "-1", "-2", ... is added. Returns the directory's path.
  Result<std::string> make_crash_directory(const std::string& name);

  // Free bytes for an unprivileged writer (statvfs f_bavail) under root().
  Result<uint64_t> available_bytes() const;

  // Syncs and unmounts; the destructor does this too, ignoring errors.
  Status unmount();

 private:
  MountedDisk() = default;
  BlockDevice device_;
  std::string mountpoint_;
  std::string root_;
  bool mounted_ = false;
};

// A file that appears under its final name only once complete.
class AtomicFile {
 public:
  // Creates dir/incomplete_name (truncating a leftover from an earlier try).
  static Result<AtomicFile> create(const std::string& dir, const std::string& final_name,
                                   const std::string& incomplete_name);
  Status write(const void* data, size_t size);
  // For writers that place bytes themselves (pwrite at offsets): the file
  // descriptor, valid until commit(). Its digest is then computed by
  // reading the file back at commit.
  int fd() { external_writes_ = true; return fd_.get(); }
  // fsync, rename to the final name, fsync the directory.
  Status commit();
  // Closes and deletes the incomplete file (a failed write leaves nothing).
  Status discard();
  uint64_t bytes_written() const { return written_; }
  // SHA-256 of everything written, available after commit().
  const std::string& sha256() const { return digest_; }
  const std::string& final_path() const { return final_path_; }

 private:
  Result<std::string> read_back_digest();

  std::string dir_;
  std::string temp_path_;
  std::string final_path_;
  UniqueFd fd_;
  uint64_t written_ = 0;
  bool external_writes_ = false;
  std::unique_ptr<Sha256> hash_ = std::make_unique<Sha256>();
  std::string digest_;
};

}  // namespace kdk::targets
