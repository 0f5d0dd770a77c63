#include "loader/exec.h"

#include <linux/reboot.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "loader/capture_cmdline.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::loader {

namespace {

std::string key_of(const std::string& w) { return w.substr(0, w.find('=')); }

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    auto octal = [&](size_t j) { return j < s.size() && s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool pseudo_fs(const std::string& t) {
  static const char* kPseudo[] = {
      "proc",     "sysfs",      "devtmpfs", "devpts",  "tmpfs",       "ramfs", "rootfs",     "cgroup",
      "cgroup2",  "securityfs", "debugfs",  "tracefs", "pstore",      "bpf",   "mqueue",     "hugetlbfs",
      "configfs", "fusectl",    "efivarfs", "autofs",  "binfmt_misc", "nsfs",  "rpc_pipefs", "selinuxfs"};
  for (const char* p : kPseudo) {
    if (t == p) return true;
  }
  return false;
}

Status take_interfaces_down() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Error::from_errno(errno, "socket");
  UniqueFd sock(s);
  struct if_nameindex* list = ::if_nameindex();
  if (!list) return Error::from_errno(errno, "if_nameindex");
  int down = 0;
  for (auto* i = list; i->if_index; i++) {
    struct ifreq r {};
    std::strncpy(r.ifr_name, i->if_name, IFNAMSIZ - 1);
    if (::ioctl(s, SIOCGIFFLAGS, &r) != 0 || (r.ifr_flags & IFF_LOOPBACK) || !(r.ifr_flags & IFF_UP))
      continue;
    r.ifr_flags = static_cast<short>(r.ifr_flags & ~IFF_UP);
    if (::ioctl(s, SIOCSIFFLAGS, &r) == 0) {
      down++;
    } else {
      log::warn("exec: could not take %s down: %s", i->if_name, std::strerror(errno));
    }
  }
  ::if_freenameindex(list);
  if (down) log::info("exec: %d network interface%s down", down, down == 1 ? "" : "s");
  return {};
}

void release_mounts() {
  auto info = read_file("/proc/self/mountinfo");
  if (!info) {
    log::warn("exec: %s; file systems stay mounted (synced)", info.error().message.c_str());
    return;
  }
  int unmounted = 0, readonly = 0;
  std::vector<std::string> busy;
  for (const auto& m : mounts_to_release(*info)) {
    if (::umount2(m.mount_point.c_str(), 0) == 0) {
      unmounted++;
      continue;
    }
    if (::mount(nullptr, m.mount_point.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0) {
      readonly++;
      continue;
    }
    busy.push_back(m.mount_point + " (" + std::strerror(errno) + ")");
  }
  log::info("exec: %d file system%s unmounted, %d remounted read-only", unmounted, unmounted == 1 ? "" : "s",
            readonly);
  for (const auto& b : busy) log::warn("exec: %s stays mounted read-write (synced)", b.c_str());
}

bool image_loaded() {
  auto t = read_file("/sys/kernel/kexec_loaded");
  return t && trim(*t) == "1";
}

std::string running_release() {
  struct utsname u {};
  ::uname(&u);
  return u.release;
}

}  // namespace

std::string reboot_cmdline(std::string_view running, std::string_view append) {
  std::vector<std::string> extra = split_kernel_cmdline(append);
  std::vector<std::string> keys;
  for (const auto& w : extra) keys.push_back(key_of(w));
  std::vector<std::string> words;
  std::vector<std::string> init_args;
  for (const auto& w : split_kernel_cmdline(running)) {
    if (!init_args.empty() || w == "--") {
      init_args.push_back(w);
      continue;
    }
    std::string k = key_of(w);
    if (k == "BOOT_IMAGE" || k == "initrd") continue;
    if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
    words.push_back(w);
  }
  words.insert(words.end(), extra.begin(), extra.end());
  words.insert(words.end(), init_args.begin(), init_args.end());
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::vector<MountStep> mounts_to_release(std::string_view mountinfo) {
  std::vector<MountStep> out;
  for (auto line : lines(mountinfo)) {
    // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
    auto fields = split_words(line);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || dash + 1 == fields.end()) continue;
    MountStep m{unescape(fields[4]), *(dash + 1)};
    if (pseudo_fs(m.fstype)) continue;
    out.push_back(std::move(m));
  }
  std::reverse(out.begin(), out.end());  // mountinfo lists parents first
  return out;
}

Status exec(const ExecOptions& o) {
  if (::geteuid() != 0) return Error{"exec must run as root"};
  if (o.unload) {
    if (auto s = unload_kernel(ImageKind::kReboot); !s) return s;
    log::info("exec: the loaded kernel was unloaded");
    return {};
  }
  if (!o.now) {
    std::string release = running_release();
    KernelLoad k;
    k.kind = ImageKind::kReboot;
    k.kernel = o.kernel.empty() ? "/boot/vmlinuz-" + release : o.kernel;
    if (!path_exists(k.kernel))
      return Error{"kernel image " + k.kernel + " not found (give one with --kernel)"};
    if (!o.no_initrd) {
      k.initrd = o.initrd;
      if (k.initrd.empty() && path_exists("/boot/initrd.img-" + release))
        k.initrd = "/boot/initrd.img-" + release;
      if (!k.initrd.empty() && !path_exists(k.initrd)) return Error{"initramfs " + k.initrd + " not found"};
    }
    if (!o.command_line.empty()) {
      k.cmdline = o.command_line;
    } else {
      auto running = read_file("/proc/cmdline");
      if (!running) return running.error();
      k.cmdline = reboot_cmdline(*running, o.append);
    }
    k.choice = o.syscall;
    auto used = load_kernel(k);
    if (!used) return used.error();
    log::info("exec: %s loaded with %s%s", k.kernel.c_str(), syscall_name(*used),
              k.initrd.empty() ? " (no initramfs)" : (", initramfs " + k.initrd).c_str());
    log::info("exec: command line: %s", k.cmdline.c_str());
    if (o.load_only) {
      log::info("exec: run `kdumpkit exec --now` (or `systemctl kexec`) to start it");
      return {};
    }
  } else if (!image_loaded()) {
    return Error{
        "exec --now: no kernel is loaded for a reboot (/sys/kernel/kexec_loaded is 0): run kdumpkit exec "
        "--load-only first"};
  }

  log::info("exec: syncing, releasing file systems, starting the new kernel");
  ::sync();
  release_mounts();
  if (auto s = take_interfaces_down(); !s) log::warn("exec: %s", s.error().message.c_str());
  ::sync();
  ::syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, nullptr);
  int err = errno;
  return Error{format("reboot(LINUX_REBOOT_CMD_KEXEC): %s%s", std::strerror(err),
                      err == EINVAL  ? " (nothing loaded)"
                      : err == EPERM ? " (needs CAP_SYS_BOOT)"
                                     : ""),
               err};
}

}  // namespace kdk::loader
