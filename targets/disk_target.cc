#include "targets/disk_target.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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

Result<std::string> MountedDisk::make_crash_directory(const std::string& name) {
  for (int i = 0; i < 100; ++i) {
    std::string path = root_ + "/" + name + (i == 0 ? "" : "-" + std::to_string(i));
    if (::mkdir(path.c_str(), 0700) == 0) {
      if (auto s = fsync_path(root_); !s) return s.error();
      return path;
    }
    if (errno != EEXIST) return Error::from_errno(errno, "mkdir " + path);
  }
  return Error{"could not create a crash directory under " + root_ + " named " + name};
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
  auto fd = open_fd(f.temp_path_, O_WRONLY | O_CREAT | O_TRUNC, 0600);
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

Status AtomicFile::commit() {
  if (::fsync(fd_.get()) != 0) return Error::from_errno(errno, "fsync " + temp_path_);
  fd_.reset();
  digest_ = hash_->hex_digest();
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return Error::from_errno(errno, "rename " + temp_path_ + " to " + final_path_);
  }
  return fsync_path(dir_);
}

}  // namespace kdk::targets
