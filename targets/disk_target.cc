#include "targets/disk_target.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/format.h"
#include "util/log.h"

namespace kdk::targets {


Result<MountedDisk> MountedDisk::mount(const config::DiskTarget& target, const std::string& mountpoint,
                                       std::chrono::milliseconds device_timeout, const Clock& clock) {
  auto dev = wait_for_device(target.device, device_timeout, clock);
  if (!dev) return dev.error();
  if (auto s = make_directories(mountpoint); !s) return s.error();
  log::info("mounting %s (%s, LABEL=%s UUID=%s) on %s", dev->path.c_str(), dev->fs.type.c_str(),
            dev->fs.label.c_str(), dev->fs.uuid.c_str(), mountpoint.c_str());
  if (::mount(dev->path.c_str(), mountpoint.c_str(), dev->fs.type.c_str(), MS_NOATIME, nullptr) != 0) {
    return Error::from_errno(errno, format("mount %s (%s) on %s", dev->path.c_str(),
                                           dev->fs.type.c_str(), mountpoint.c_str()));
  }
  MountedDisk d;
  d.device_ = *dev;
  d.mountpoint_ = mountpoint;
  d.mounted_ = true;
  d.root_ = target.directory == "/" ? mountpoint : mountpoint + target.directory;
  if (auto s = make_directories(d.root_); !s) return s.error();
  return d;
}

MountedDisk::MountedDisk(MountedDisk&& o) noexcept
    : device_(std::move(o.device_)),
      mountpoint_(std::move(o.mountpoint_)),
      root_(std::move(o.root_)),
      mounted_(o.mounted_) {
  o.mounted_ = false;
}

MountedDisk::~MountedDisk() {
  if (mounted_) (void)unmount();
}

Result<std::string> make_crash_directory(const std::string& parent, const std::string& name) {
  if (auto s = make_directories(parent, 0755); !s) return s.error();
  for (int i = 0; i < 100; ++i) {
    std::string path = parent + "/" + name + (i == 0 ? "" : "-" + std::to_string(i));
    if (::mkdir(path.c_str(), 0700) == 0) {
      if (auto s = fsync_path(parent); !s) return s.error();
      return path;
    }
    if (errno != EEXIST) return Error::from_errno(errno, "mkdir " + path);
  }
  return Error{"could not create a crash directory under " + parent + " named " + name};
}

Result<std::string> MountedDisk::make_crash_directory(const std::string& name) {
  return targets::make_crash_directory(root_, name);
}

Result<uint64_t> MountedDisk::available_bytes() const {
  struct statvfs st {};
  if (::statvfs(root_.c_str(), &st) != 0) return Error::from_errno(errno, "statvfs " + root_);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

Status MountedDisk::unmount() {
  if (!mounted_) return {};
  ::sync();
  if (::umount(mountpoint_.c_str()) != 0) {
    int err = errno;
    // Never leave it half-done: detach so the final action can proceed.
    ::umount2(mountpoint_.c_str(), MNT_DETACH);
    mounted_ = false;
    return Error::from_errno(err, "unmount " + mountpoint_);
  }
  mounted_ = false;
  return {};
}

Result<AtomicFile> AtomicFile::create(const std::string& dir, const std::string& final_name,
                                      const std::string& incomplete_name) {
  AtomicFile f;
  f.dir_ = dir;
  f.temp_path_ = dir + "/" + incomplete_name;
  f.final_path_ = dir + "/" + final_name;
  auto fd = open_fd(f.temp_path_, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fd.error();
  f.fd_ = std::move(*fd);
  return f;
}

Status AtomicFile::write(const void* data, size_t size) {
  if (auto s = write_all(fd_.get(), data, size, temp_path_); !s) return s;
  hash_->update(data, size);
  written_ += size;
  return {};
}

Result<std::string> AtomicFile::read_back_digest() {
  Sha256 hash;
  std::vector<char> buf(1 << 20);
  uint64_t offset = 0;
  written_ = 0;
  for (;;) {
    ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read back " + temp_path_);
    }
    if (n == 0) break;
    hash.update(buf.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  written_ = offset;
  return hash.hex_digest();
}

Status AtomicFile::commit() {
  if (::fsync(fd_.get()) != 0) return Error::from_errno(errno, "fsync " + temp_path_);
  if (external_writes_) {
    auto digest = read_back_digest();
    if (!digest) return digest.error();
    digest_ = *digest;
  } else {
    digest_ = hash_->hex_digest();
  }
  fd_.reset();
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return Error::from_errno(errno, "rename " + temp_path_ + " to " + final_path_);
  }
  return fsync_path(dir_);
}

Status AtomicFile::discard() {
  fd_.reset();
  if (::unlink(temp_path_.c_str()) != 0 && errno != ENOENT) {
    return Error::from_errno(errno, "remove " + temp_path_);
  }
  return fsync_path(dir_);
}

}  // namespace kdk::targets
