#include "initramfs/cpio_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/fd.h"
#include "util/format.h"

namespace kdk::initramfs {
namespace {

constexpr size_t kHeaderSize = 110;  // "070701" + 13 fields of 8 hex digits
constexpr size_t kBlockSize = 512;   // cpio pads the whole archive to this
constexpr size_t kFlushAt = 64 * 1024;

// "/a//b/" -> "a/b". The root itself becomes "", which is never stored:
// the kernel unpacks into an existing root.
std::string normalize_path(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && (out.empty() || out.back() == '/')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

size_t pad4(size_t n) { return (4 - n % 4) % 4; }

// Buffers the many small headers into few write(2) calls and tracks the
// offset, which newc alignment is relative to.
class ArchiveSink {
 public:
  ArchiveSink(int fd, const std::string& what) : fd_(fd), what_(what) {}

  Status append(const void* data, size_t size) {
    buf_.append(static_cast<const char*>(data), size);
    offset_ += size;
    return buf_.size() >= kFlushAt ? flush() : Status{};
  }
  Status append(const std::string& s) { return append(s.data(), s.size()); }
  Status zeros(size_t n) { return append(std::string(n, '\0')); }
  Status align(size_t to) { return zeros((to - offset_ % to) % to); }

  Status flush() {
    Status st = write_all(fd_, buf_.data(), buf_.size(), what_);
    buf_.clear();
    return st;
  }

 private:
  int fd_;
  const std::string& what_;
  std::string buf_;
  unsigned long long offset_ = 0;
};

Status write_header(ArchiveSink& sink, const std::string& name, unsigned ino, mode_t mode,
                    unsigned nlink, unsigned long long filesize, uint32_t rdev_major,
                    uint32_t rdev_minor) {
  const size_t namesize = name.size() + 1;
  char header[kHeaderSize + 1];
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  std::snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                ino, static_cast<unsigned>(mode), 0u, 0u, nlink, 0u,
                static_cast<unsigned>(filesize), 0u, 0u, static_cast<unsigned>(rdev_major),
                static_cast<unsigned>(rdev_minor), static_cast<unsigned>(namesize), 0u);
  if (Status st = sink.append(header, kHeaderSize); !st) return st;
  if (Status st = sink.append(name.c_str(), namesize); !st) return st;
  return sink.zeros(pad4(kHeaderSize + namesize));
}

// newc sizes are 32-bit; anything bigger cannot be represented.
Status check_size(const std::string& path, unsigned long long size) {
  if (size > 0xffffffffULL) {
    return Error{format("%s: %llu bytes is too large for a newc cpio entry (limit 4 GiB)",
                        path.c_str(), size),
                 0};
  }
  return {};
}

// Streams the host file so the archive never holds a second copy of it. The
// size goes into the header before the data, so a file that changes size
// while being read is an error rather than a corrupt archive.
Status write_host_file(ArchiveSink& sink, const std::string& name, unsigned ino, mode_t mode,
                       const std::string& host_path) {
  const std::string what = format("/%s (from %s)", name.c_str(), host_path.c_str());
  auto fd = open_fd(host_path, O_RDONLY);
  if (!fd) return fd.error().within("/" + name);
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Error::from_errno(errno, "stat " + what);
  if (!S_ISREG(st.st_mode)) return Error{what + ": not a regular file", 0};
  const unsigned long long size = static_cast<unsigned long long>(st.st_size);
  if (Status s = check_size(what, size); !s) return s;
  if (Status s = write_header(sink, name, ino, mode, 1, size, 0, 0); !s) return s;

  char buf[64 * 1024];
  unsigned long long done = 0;
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "read " + what);
    }
    if (n == 0) break;
    done += static_cast<unsigned long long>(n);
    if (done > size) break;
    if (Status s = sink.append(buf, static_cast<size_t>(n)); !s) return s;
  }
  if (done != size) {
    return Error{format("%s: file changed size while being archived (%llu bytes, now %s%llu)",
                        what.c_str(), size, done > size ? "more than " : "", done),
                 0};
  }
  return sink.zeros(pad4(static_cast<size_t>(size)));
}

std::string mode_string(char type, mode_t perm) {
  std::string s(10, '-');
  s[0] = type;
  const char* rwx = "rwx";
  for (int i = 0; i < 9; ++i) {
    if (perm & (0400 >> i)) s[1 + i] = rwx[i % 3];
  }
  if (perm & S_ISUID) s[3] = (perm & S_IXUSR) ? 's' : 'S';
  if (perm & S_ISGID) s[6] = (perm & S_IXGRP) ? 's' : 'S';
  if (perm & S_ISVTX) s[9] = (perm & S_IXOTH) ? 't' : 'T';
  return s;
}

}  // namespace

void CpioArchive::add_parents(const std::string& path) {
  for (size_t pos = path.find('/'); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    // emplace keeps an explicitly added directory (and its mode) as it is.
    entries_.emplace(path.substr(0, pos), Entry{Kind::kDirectory, 0755, {}});
  }
}

void CpioArchive::add_directory(const std::string& path, mode_t perm) {
  std::string p = normalize_path(path);
  if (p.empty()) return;
  add_parents(p);
  entries_[p] = Entry{Kind::kDirectory, perm & 07777, {}};
}

void CpioArchive::add_file(const std::string& path, std::string contents, mode_t perm) {
  std::string p = normalize_path(path);
  if (p.empty()) return;
  add_parents(p);
  entries_[p] = Entry{Kind::kFile, perm & 07777, std::move(contents)};
}

void CpioArchive::add_host_file(const std::string& path, const std::string& host_path,
                                mode_t perm) {
  std::string p = normalize_path(path);
  if (p.empty()) return;
  add_parents(p);
  entries_[p] = Entry{Kind::kHostFile, perm & 07777, host_path};
}

void CpioArchive::add_symlink(const std::string& path, const std::string& target) {
  std::string p = normalize_path(path);
  if (p.empty()) return;
  add_parents(p);
  entries_[p] = Entry{Kind::kSymlink, 0777, target};
}

void CpioArchive::add_char_device(const std::string& path, uint32_t major, uint32_t minor,
                                  mode_t perm) {
  std::string p = normalize_path(path);
  if (p.empty()) return;
  add_parents(p);
  entries_[p] = Entry{Kind::kCharDevice, perm & 07777, {}, major, minor};
}

Status CpioArchive::write_to(int fd, const std::string& what) const {
  ArchiveSink sink(fd, what);
  unsigned ino = 0;
  for (const auto& [name, e] : entries_) {
    ++ino;
    // A parent replaced by a non-directory would make the kernel fail to
    // create everything below it; say so now instead of at boot.
    size_t slash = name.rfind('/');
    if (slash != std::string::npos) {
      auto parent = entries_.find(name.substr(0, slash));
      if (parent != entries_.end() && parent->second.kind != Kind::kDirectory) {
        return Error{format("cpio archive %s: /%s is inside /%s, which is not a directory",
                            what.c_str(), name.c_str(), parent->first.c_str()),
                     0};
      }
    }
    Status st;
    switch (e.kind) {
      case Kind::kDirectory:
        st = write_header(sink, name, ino, S_IFDIR | e.perm, 2, 0, 0, 0);
        break;
      case Kind::kFile:
      case Kind::kSymlink: {
        const mode_t type = e.kind == Kind::kFile ? S_IFREG : S_IFLNK;
        st = check_size("/" + name, e.data.size());
        if (st) st = write_header(sink, name, ino, type | e.perm, 1, e.data.size(), 0, 0);
        if (st) st = sink.append(e.data);
        if (st) st = sink.zeros(pad4(e.data.size()));
        break;
      }
      case Kind::kHostFile:
        st = write_host_file(sink, name, ino, S_IFREG | e.perm, e.data);
        break;
      case Kind::kCharDevice:
        st = write_header(sink, name, ino, S_IFCHR | e.perm, 1, 0, e.rdev_major, e.rdev_minor);
        break;
    }
    if (!st) return st.error().within("cpio archive " + what);
  }
  // The trailer is an ordinary header with inode 0 and nlink 1, as GNU cpio writes it.
  Status st = write_header(sink, "TRAILER!!!", 0, 0, 1, 0, 0, 0);
  if (st) st = sink.align(kBlockSize);
  if (st) st = sink.flush();
  return st;
}

std::string CpioArchive::listing() const {
  std::string out;
  for (const auto& [name, e] : entries_) {
    switch (e.kind) {
      case Kind::kDirectory:
        out += format("%s %10d %s/\n", mode_string('d', e.perm).c_str(), 0, name.c_str());
        break;
      case Kind::kFile:
        out +=
            format("%s %10zu %s\n", mode_string('-', e.perm).c_str(), e.data.size(), name.c_str());
        break;
      case Kind::kHostFile: {
        struct stat st {};
        std::string size = ::stat(e.data.c_str(), &st) == 0
                               ? format("%lld", static_cast<long long>(st.st_size))
                               : std::string("missing");
        out += format("%s %10s %s <- %s\n", mode_string('-', e.perm).c_str(), size.c_str(),
                      name.c_str(), e.data.c_str());
        break;
      }
      case Kind::kSymlink:
        out += format("%s %10d %s -> %s\n", mode_string('l', e.perm).c_str(), 0, name.c_str(),
                      e.data.c_str());
        break;
      case Kind::kCharDevice: {
        std::string dev = format("%u,%u", e.rdev_major, e.rdev_minor);
        out += format("%s %10s %s\n", mode_string('c', e.perm).c_str(), dev.c_str(), name.c_str());
        break;
      }
    }
  }
  return out;
}

}  // namespace kdk::initramfs
