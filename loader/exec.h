// `kdumpkit exec`: a fast reboot into a new kernel without the firmware, as
// `kexec -l` then `kexec -e` do. Loads kernel, initramfs and command line
// for a normal reboot (either syscall), then syncs, unmounts what it can
// (remounting the rest read-only), takes the network interfaces down so no
// NIC writes into memory during the jump, and executes the loaded kernel
// with reboot(LINUX_REBOOT_CMD_KEXEC). On a systemd machine the gentle path
// is `kdumpkit exec --load-only` and then `systemctl kexec`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "loader/kexec.h"
#include "util/result.h"

namespace kdk::loader {

struct ExecOptions {
  std::string kernel;        // default /boot/vmlinuz-<running release>
  std::string initrd;        // default /boot/initrd.img-<release> when it exists
  bool no_initrd = false;    // boot without one
  std::string append;        // added to the reused command line
  std::string command_line;  // replaces it
  SyscallChoice syscall = SyscallChoice::kAuto;
  bool load_only = false;  // like kexec -l
  bool now = false;        // like kexec -e: execute what is loaded
  bool unload = false;     // like kexec -u
};

Status exec(const ExecOptions& options);

// The command line the next kernel gets when none is given: the running
// one without BOOT_IMAGE= and initrd= (names of the old boot's files), with
// `append` added (a key given again replaces the old one).
std::string reboot_cmdline(std::string_view running, std::string_view append);

// What to do with each mount before the jump, deepest first, from
// /proc/self/mountinfo: pseudo and memory filesystems are left alone, the
// others unmounted, or remounted read-only when busy.
struct MountStep {
  std::string mount_point;
  std::string fstype;
};
std::vector<MountStep> mounts_to_release(std::string_view mountinfo);

}  // namespace kdk::loader
