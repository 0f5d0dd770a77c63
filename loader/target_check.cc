#include "loader/target_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <variant>

#include "loader/dm_record.h"
#include "loader/network_check.h"
#include "targets/raw_device.h"
#include "targets/superblock_probe.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      unsigned v = 0;
      bool ok = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') ok = false;
        v = v * 8 + static_cast<unsigned>(c - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool has_option(const std::string& options, const char* name) {
  for (const auto& o : split(options, ',')) {
    if (o == name) return true;
  }
  return false;
}

// A mountpoint of our own for a filesystem nobody has mounted: created empty,
// unmounted and removed when the check is done.
class PrivateMount {
 public:
  ~PrivateMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  Status mount(const targets::BlockDevice& dev, bool read_only, const std::string& temp_dir) {
    std::string tmpl = temp_dir + "/kdumpkit-check-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) return Error::from_errno(errno, "mkdtemp " + tmpl);
    dir_ = buf.data();
    unsigned long flags = MS_NOATIME | MS_NODEV | MS_NOSUID | MS_NOEXEC | (read_only ? MS_RDONLY : 0);
    if (::mount(dev.path.c_str(), dir_.c_str(), dev.fs.type.c_str(), flags, nullptr) != 0) {
      return Error::from_errno(errno, format("mount %s (%s)%s on %s", dev.path.c_str(), dev.fs.type.c_str(),
                                             read_only ? " read-only" : "", dir_.c_str()));
    }
    mounted_ = true;
    return {};
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

std::string join_path(const std::string& mountpoint, const std::string& dir) {
  if (dir == "/" || dir.empty()) return mountpoint;
  return (mountpoint == "/" ? std::string() : mountpoint) + dir;
}

// Writes and deletes a small file in `dir`, creating `dir` first.
Status probe_writable(const std::string& dir) {
  if (auto s = make_directories(dir, 0755); !s) return s;
  std::string probe = dir + format("/.kdumpkit-probe-%d", static_cast<int>(::getpid()));
  auto fd = open_fd(probe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fd.error();
  static const char kText[] = "kdumpkit write test\n";
  Status w = write_all(fd->get(), kText, sizeof kText - 1, probe);
  if (w && ::fsync(fd->get()) != 0) w = Error::from_errno(errno, "fsync " + probe);
  fd->reset();
  if (::unlink(probe.c_str()) != 0 && w) w = Error::from_errno(errno, "unlink " + probe);
  return w;
}

void check_disk(const config::DiskTarget& disk, int min_free_mib, const TargetCheckOptions& o,
                const DirectoryVisitor& visit, TargetCheck& c) {
  // The device must be present now: no waiting on the production side.
  auto dev = targets::wait_for_device(disk.device, std::chrono::milliseconds(0), Clock::system());
  if (!dev) {
    c.problems.push_back(dev.error().message);
    return;
  }
  c.found = true;
  c.device = *dev;
  c.summary = dev->path + " (" + dev->fs.type + ", LABEL=" + dev->fs.label + ", UUID=" + dev->fs.uuid + ")";
  if (auto dm = record_dm_stack(dev->name); !dm) {
    c.problems.push_back(dm.error().message);
  } else if (!dm->devices.empty()) {
    c.dm_devices = dm->devices;
    c.lower_devices = dm->leaves;
    c.summary += ", device-mapper " + dm->devices.back().name + " on";
    for (const auto& l : dm->leaves) c.summary += " " + l;
  }

  struct stat st {};
  if (::stat(dev->path.c_str(), &st) != 0) {
    c.problems.push_back(Error::from_errno(errno, "stat " + dev->path).message);
    return;
  }
  std::vector<MountEntry> mounts;
  if (auto text = read_file(o.mountinfo)) mounts = parse_mountinfo(*text);
  MountedPath mp = find_mounted_path(mounts, major(st.st_rdev), minor(st.st_rdev), disk.directory);

  PrivateMount own;
  std::string dir = mp.path;
  bool read_only = mp.read_only;
  if (dir.empty()) {
    read_only = o.mode == CheckMode::kReadOnly;
    if (auto s = own.mount(*dev, read_only, o.temp_dir); !s) {
      c.problems.push_back(s.error().message);
      return;
    }
    dir = join_path(own.dir(), disk.directory);
  } else {
    c.summary += ", mounted";
  }

  std::string free_at = dir;
  if (o.mode == CheckMode::kWrite) {
    if (read_only) {
      c.problems.push_back("the filesystem is mounted read-only, so " + disk.directory +
                           " cannot be checked for writing");
      free_at = mp.path.empty() ? own.dir() : mp.path;
    } else if (auto s = probe_writable(dir); !s) {
      c.problems.push_back("directory " + disk.directory + " is not writable: " + s.error().message);
    }
  } else {
    struct stat ds {};
    if (::stat(dir.c_str(), &ds) != 0) {
      if (errno != ENOENT)
        c.problems.push_back(Error::from_errno(errno, "directory " + disk.directory).message);
      else
        c.summary += ", " + disk.directory + " not created yet";
    } else if (!S_ISDIR(ds.st_mode)) {
      c.problems.push_back("directory " + disk.directory + " is not a directory");
    }
  }
  if (visit) {
    struct stat ds {};
    if (::stat(dir.c_str(), &ds) == 0 && S_ISDIR(ds.st_mode)) visit(c, dir);
  }

  struct statvfs vfs {};
  if (::statvfs(free_at.c_str(), &vfs) != 0 &&
      ::statvfs((mp.path.empty() ? own.dir() : mp.path).c_str(), &vfs) != 0) {
    c.problems.push_back(Error::from_errno(errno, "statvfs " + dev->path).message);
    return;
  }
  uint64_t free_mib = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize >> 20;
  c.summary += format(", %llu MiB free", static_cast<unsigned long long>(free_mib));
  if (free_mib < static_cast<uint64_t>(min_free_mib)) {
    c.problems.push_back(format("only %llu MiB free, min_free is %d MiB",
                                static_cast<unsigned long long>(free_mib), min_free_mib));
  }
}

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  return out;
}

std::optional<std::string> realpath_of(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

// The machine's RAM (MemTotal): the worst case of a dump nothing could filter or compress.
uint64_t memory_bytes() {
  auto text = read_file("/proc/meminfo");
  if (!text) return 0;
  size_t at = text->find("MemTotal:");
  if (at == std::string::npos) return 0;
  return std::strtoull(text->c_str() + at + 9, nullptr, 10) << 10;
}

// What else claims a raw device: a mount of it or of one of its partitions,
// a holder (device-mapper, md), swap. Any of these would be overwritten.
std::vector<std::string> raw_device_users(const std::string& name, unsigned maj, unsigned min,
                                          const std::vector<MountEntry>& mounts) {
  std::vector<std::string> users;
  const std::string sys = "/sys/class/block/" + name;
  std::vector<std::pair<unsigned, unsigned>> devs{{maj, min}};
  for (const auto& e : list_directory(sys)) {
    auto dev = read_file(sys + "/" + e + "/dev");
    if (!path_exists(sys + "/" + e + "/partition") || !dev) continue;
    unsigned a = 0, b = 0;
    if (std::sscanf(dev->c_str(), "%u:%u", &a, &b) == 2) devs.emplace_back(a, b);
  }
  for (const auto& m : mounts) {
    for (const auto& [a, b] : devs) {
      if (m.major == a && m.minor == b) users.push_back("mounted on " + m.mountpoint);
    }
  }
  for (const auto& h : list_directory(sys + "/holders")) users.push_back("held by " + h);
  if (auto swaps = read_file("/proc/swaps")) {
    for (std::string_view line : lines(*swaps)) {
      auto f = split_words(line);
      if (!f.empty() && f[0] == "/dev/" + name) users.push_back("used as swap");
    }
  }
  return users;
}

void check_raw(const config::RawTarget& raw, const TargetCheckOptions& o, TargetCheck& c) {
  struct stat st {};
  if (::stat(raw.device.c_str(), &st) != 0) {
    c.problems.push_back(Error::from_errno(errno, raw.device).message);
    return;
  }
  if (!S_ISBLK(st.st_mode)) {
    c.problems.push_back(raw.device + " is not a block device");
    return;
  }
  std::string name;
  if (auto real = realpath_of(raw.device)) {
    name = real->substr(real->rfind('/') + 1);
    // The capture kernel has devtmpfs nodes but no udev symlinks (/dev/disk/by-*).
    if (*real != raw.device) {
      c.problems.push_back(raw.device + " is a link to " + *real +
                           ", which the capture kernel (no udev) does not have: configure raw:" + *real);
    }
  }
  c.found = true;
  c.device.name = name;
  c.device.path = raw.device;

  std::vector<MountEntry> mounts;
  if (auto text = read_file(o.mountinfo)) mounts = parse_mountinfo(*text);
  for (const auto& u : raw_device_users(name, major(st.st_rdev), minor(st.st_rdev), mounts)) {
    c.problems.push_back(raw.device + " is in use (" + u + "): a raw target is overwritten by every capture");
  }
  if (auto fs = targets::probe_device(raw.device); fs && *fs) {
    c.problems.push_back(
        format("%s carries a %s filesystem (LABEL=%s UUID=%s) that a capture would destroy; "
               "wipe it first (wipefs -a %s) if it is meant for raw dumps",
               raw.device.c_str(), (*fs)->type.c_str(), (*fs)->label.c_str(), (*fs)->uuid.c_str(),
               raw.device.c_str()));
  }
  auto dev = targets::RawDevice::open(raw.device, false);
  if (!dev) {
    c.problems.push_back(dev.error().message);
    return;
  }
  uint8_t sector[1024] = {};
  if (pread_exact(dev->fd(), sector, sizeof sector, 0, raw.device) &&
      std::memcmp(sector + 512, "LABELONE", 8) == 0) {
    c.problems.push_back(raw.device + " is an LVM physical volume: a capture would destroy it");
  }
  c.summary =
      format("%s (raw, %llu MiB)", raw.device.c_str(), static_cast<unsigned long long>(dev->size() >> 20));
  constexpr uint64_t kMinimum = 16ULL << 20;
  const uint64_t ram = memory_bytes();
  if (dev->size() < kMinimum) {
    c.problems.push_back(format("%s has only %llu MiB; a raw target needs at least %llu MiB",
                                raw.device.c_str(), static_cast<unsigned long long>(dev->size() >> 20),
                                static_cast<unsigned long long>(kMinimum >> 20)));
  } else if (ram && dev->size() < ram + (8ULL << 20)) {
    c.warnings.push_back(
        format("%s (%llu MiB) is smaller than this machine's memory (%llu MiB): a dump that "
               "filtering and compression cannot shrink enough falls back to a higher dump level "
               "or to the log alone",
               raw.device.c_str(), static_cast<unsigned long long>(dev->size() >> 20),
               static_cast<unsigned long long>(ram >> 20)));
  }
  if (auto h = dev->read_header()) {
    if (h->kind == targets::RawHeaderRead::kValid) {
      const auto& hd = h->header;
      c.summary += format(", dump %s %s", hd.dir_name.c_str(), targets::to_string(hd.state));
      if (hd.state != targets::RawState::kSaved) {
        c.warnings.push_back(raw.device + " holds a dump not saved yet (" + hd.dir_name +
                             "): run kdumpkit savecore before the next crash overwrites it");
      }
    } else if (h->kind == targets::RawHeaderRead::kCorrupt) {
      c.summary += ", damaged dump header (" + h->problem + ")";
    }
  }
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
  std::vector<MountEntry> out;
  for (std::string_view line : lines(text)) {
    auto f = split_words(line);
    // id parent major:minor root mountpoint options [optional...] - type source super
    if (f.size() < 6) continue;
    size_t colon = f[2].find(':');
    if (colon == std::string::npos) continue;
    unsigned long long maj = 0, min = 0;
    if (!parse_u64(std::string_view(f[2]).substr(0, colon), maj) ||
        !parse_u64(std::string_view(f[2]).substr(colon + 1), min)) {
      continue;
    }
    MountEntry m;
    m.major = static_cast<unsigned>(maj);
    m.minor = static_cast<unsigned>(min);
    m.root = unescape_octal(f[3]);
    m.mountpoint = unescape_octal(f[4]);
    m.read_only = has_option(f[5], "ro");
    out.push_back(m);
  }
  return out;
}

MountedPath find_mounted_path(const std::vector<MountEntry>& mounts, unsigned maj, unsigned min,
                              const std::string& directory) {
  // Prefer a read-write mount, then the one exposing the most of the filesystem.
  MountedPath best;
  size_t best_root = std::string::npos;
  for (const auto& m : mounts) {
    if (m.major != maj || m.minor != min) continue;
    std::string rest;
    if (m.root == "/") {
      rest = directory;
    } else if (directory == m.root || directory.rfind(m.root + "/", 0) == 0) {
      rest = directory.substr(m.root.size());
      if (rest.empty()) rest = "/";
    } else {
      continue;
    }
    bool better = best.path.empty() || (best.read_only && !m.read_only) ||
                  (best.read_only == m.read_only && m.root.size() < best_root);
    if (!better) continue;
    best.path = join_path(m.mountpoint, rest);
    best.read_only = m.read_only;
    best_root = m.root.size();
  }
  return best;
}

TargetCheck check_target(const config::Target& target, int min_free_mib, const TargetCheckOptions& o,
                         const DirectoryVisitor& visit) {
  TargetCheck c;
  c.target = target.text;
  c.line = target.line;
  if (const auto* disk = std::get_if<config::DiskTarget>(&target.where)) {
    check_disk(*disk, min_free_mib, o, visit, c);
  } else if (const auto* raw = std::get_if<config::RawTarget>(&target.where)) {
    check_raw(*raw, o, c);
  } else {
    c.problems.push_back("network targets are checked with their configuration (check_targets)");
  }
  return c;
}

std::vector<TargetCheck> check_targets(const config::Config& config, const TargetCheckOptions& o,
                                       const DirectoryVisitor& visit) {
  std::vector<TargetCheck> out;
  for (const auto& t : config.targets) {
    if (std::holds_alternative<config::NetworkTarget>(t.where)) {
      out.push_back(check_network_target(config, t, o.mode));
    } else {
      out.push_back(check_target(t, config.min_free_mib, o, visit));
    }
  }
  return out;
}

std::vector<std::string> describe_problems(const std::vector<TargetCheck>& checks,
                                           const std::string& source) {
  std::vector<std::string> out;
  for (const auto& c : checks) {
    for (const auto& p : c.problems) {
      out.push_back(format("%s:%d: target %s: %s", source.c_str(), c.line, c.target.c_str(), p.c_str()));
    }
  }
  return out;
}

}  // namespace kdk::loader
