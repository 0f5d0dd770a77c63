#include "loader/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "config/key_value.h"
#include "initramfs/capture_initramfs.h"
#include "loader/capture_cmdline.h"
#include "loader/kexec_file.h"
#include "loader/target_modules.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

constexpr const char* kCrashSizePath = "/sys/kernel/kexec_crash_size";
constexpr const char* kCrashLoadedPath = "/sys/kernel/kexec_crash_loaded";

std::string running_release() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

Result<unsigned long long> read_number_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  unsigned long long v = 0;
  if (!parse_u64(trim(*text), v)) return Error{path + ": not a number: \"" + std::string(trim(*text)) + "\""};
  return v;
}

Status make_dir(const std::string& path) { return make_directories(path, 0700); }

// Writes via a temporary file and rename, so a reader never sees half a file.
Status replace_file(const std::string& path, const std::function<Status(int fd)>& fill) {
  std::string tmp = path + ".tmp";
  auto fd = open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!fd) return fd.error();
  if (auto s = fill(fd->get()); !s) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::fsync(fd->get()) != 0) return Error::from_errno(errno, "fsync " + tmp);
  fd->reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::from_errno(errno, "rename " + tmp);
  return {};
}

struct ResolvedInitramfs {
  std::string release;
  std::string modules_dir;
};

ResolvedInitramfs resolve(const InitramfsOptions& o) {
  ResolvedInitramfs r;
  r.release = o.kernel_release.empty() ? running_release() : o.kernel_release;
  r.modules_dir = o.modules_dir.empty() ? "/lib/modules/" + r.release : o.modules_dir;
  return r;
}

// Reads and checks the configuration and every target; builds the archive.
Result<initramfs::CaptureInitramfs> prepare_initramfs(const InitramfsOptions& o) {
  auto text = read_file(o.config_path);
  if (!text) return text.error();
  auto cfg = config::parse_config(*text, o.config_path);
  if (!cfg) return cfg.error();

  TargetModules tm = modules_for_targets(*cfg);
  std::string problems;
  for (const auto& c : tm.checks) {
    if (c.ok) {
      log::info("target %s: %s", c.target.c_str(), c.detail.c_str());
    } else {
      problems += format("\n  %s:%d: target %s: %s", o.config_path.c_str(), c.line, c.target.c_str(),
                         c.detail.c_str());
    }
  }
  if (!problems.empty()) return Error{"refusing to continue, a target is not usable:" + problems};

  ResolvedInitramfs r = resolve(o);
  initramfs::CaptureInitramfsInputs in;
  in.binary_path = o.binary.empty() ? "/proc/self/exe" : o.binary;
  in.config_text = *text;
  in.host = host_name();
  in.kernel_release = r.release;
  in.modules_dir = r.modules_dir;
  in.modules = tm.modules;
  return initramfs::build_capture_initramfs(in);
}

Status write_archive(const initramfs::CaptureInitramfs& ird, const std::string& path) {
  return replace_file(path, [&](int fd) { return ird.archive.write_to(fd, path); });
}

}  // namespace

Status build_initramfs_file(const InitramfsOptions& o) {
  if (o.output.empty()) return Error{"initramfs: an output file is required (-o FILE)"};
  auto ird = prepare_initramfs(o);
  if (!ird) return ird.error();
  if (auto s = write_archive(*ird, o.output); !s) return s;
  log::info("wrote %s (%zu modules)", o.output.c_str(), ird->record.modules.size());
  return {};
}

Status load(const LoadOptions& o) {
  if (::geteuid() != 0) return Error{"load must run as root (it calls kexec_file_load)"};
  auto reserved = read_number_file(kCrashSizePath);
  if (!reserved) return reserved.error();
  if (*reserved == 0) {
    return Error{"no memory is reserved for a crash kernel (" + std::string(kCrashSizePath) +
                 " is 0): add crashkernel=256M to the kernel command line and reboot"};
  }
  ResolvedInitramfs r = resolve(o.initramfs);
  std::string kernel = o.kernel.empty() ? "/boot/vmlinuz-" + r.release : o.kernel;
  if (!path_exists(kernel)) {
    return Error{"kernel image " + kernel + " not found (give one with --kernel)"};
  }

  std::string initramfs_path = o.prebuilt_initramfs;
  if (initramfs_path.empty()) {
    if (auto s = make_dir(o.state_dir); !s) return s;
    initramfs_path = o.state_dir + "/initramfs-" + r.release + ".img";
    auto ird = prepare_initramfs(o.initramfs);
    if (!ird) return ird.error();
    if (auto s = write_archive(*ird, initramfs_path); !s) return s;
    struct stat st {};
    ::stat(initramfs_path.c_str(), &st);
    log::info("capture initramfs %s: %lld KiB, %zu modules", initramfs_path.c_str(),
              static_cast<long long>(st.st_size / 1024), ird->record.modules.size());
  }

  std::string cmdline = o.command_line;
  if (cmdline.empty()) {
    auto running = read_file("/proc/cmdline");
    if (!running) return running.error();
    cmdline = capture_cmdline(*running, o.append);
  }
  if (auto s = load_crash_kernel(kernel, initramfs_path, cmdline); !s) return s;

  if (auto s = make_dir(o.state_dir); !s) return s;
  std::string state = format("kernel = %s\ninitramfs = %s\ncommand_line = %s\nloaded_at = %lld\n",
                             kernel.c_str(), initramfs_path.c_str(), cmdline.c_str(),
                             static_cast<long long>(::time(nullptr)));
  if (auto s = write_file(o.state_dir + "/loaded.conf", state, 0600); !s) {
    log::warn("could not record the loaded state: %s", s.error().message.c_str());
  }
  log::info("capture kernel loaded: %s", kernel.c_str());
  log::info("capture command line: %s", cmdline.c_str());
  return {};
}

Status unload(const std::string& state_dir) {
  if (::geteuid() != 0) return Error{"unload must run as root"};
  if (auto s = unload_crash_kernel(); !s) return s;
  ::unlink((state_dir + "/loaded.conf").c_str());
  log::info("capture kernel unloaded");
  return {};
}

Result<bool> status(const std::string& state_dir) {
  auto reserved = read_number_file(kCrashSizePath);
  auto loaded = read_number_file(kCrashLoadedPath);
  if (!loaded) return loaded.error();
  std::printf("crash memory reserved: %s\n",
              reserved ? format("%llu MiB", *reserved >> 20).c_str() : reserved.error().message.c_str());
  std::printf("capture kernel loaded: %s\n", *loaded ? "yes" : "no");
  if (reserved && *reserved == 0) {
    std::printf("warning: no crash memory: add crashkernel=256M to the kernel command line and reboot\n");
  }
  auto state = read_file(state_dir + "/loaded.conf");
  if (*loaded && state) {
    auto kvs = config::parse_key_values(*state, state_dir + "/loaded.conf");
    if (kvs) {
      for (const auto& kv : *kvs) {
        if (kv.key == "loaded_at") {
          time_t t = static_cast<time_t>(std::atoll(kv.value.c_str()));
          struct tm tm {};
          gmtime_r(&t, &tm);
          char when[40];
          strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
          std::printf("loaded at: %s\n", when);
        } else {
          std::string key = kv.key;
          for (char& c : key) if (c == '_') c = ' ';
          std::printf("%s: %s\n", key.c_str(), kv.value.c_str());
        }
      }
    }
  } else if (*loaded) {
    std::printf("(loaded by another tool: no kdumpkit record in %s)\n", state_dir.c_str());
  }
  return *loaded != 0;
}

}  // namespace kdk::loader
