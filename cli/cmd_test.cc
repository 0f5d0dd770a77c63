// test: arm like `load`, then crash the machine on purpose with sysrq-c, so
// that the whole kdump path is proven (as `kdumpctl test` does).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/registry.h"
#include "loader/load.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::cli {
namespace {

loader::LoadOptions g_test;
bool g_yes = false;
std::string g_syscall = "auto";

// Asks on the terminal itself (not stdin, which a script may have redirected).
Status confirm() {
  auto tty = open_fd("/dev/tty", O_RDWR);
  if (!tty)
    return Error{"no terminal to ask for confirmation (" + tty.error().message +
                 "); give --yes to crash without asking"};
  static const char kPrompt[] =
      "kdumpkit test crashes this machine now (sysrq-c); the capture kernel should save a dump and reboot.\n"
      "Type yes to crash this machine now: ";
  if (auto s = write_all(tty->get(), kPrompt, sizeof kPrompt - 1, "/dev/tty"); !s) return s;
  std::string answer;
  char c = 0;
  for (;;) {
    ssize_t n = ::read(tty->get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    answer += c;
  }
  if (trim(answer) != "yes") return Error{"not confirmed: nothing crashed (the capture kernel stays loaded)"};
  return {};
}

Status crash_now() {
  // sysrq must allow the crash command (bit 0x80 "reboot/poweroff" is not
  // enough for 'c'): 1 enables every function.
  if (auto s = write_file("/proc/sys/kernel/sysrq", "1\n"); !s) return s;
  log::info("crashing now: writing c to /proc/sysrq-trigger");
  ::sync();
  auto fd = open_fd("/proc/sysrq-trigger", O_WRONLY);
  if (!fd) return fd.error();
  if (auto s = write_all(fd->get(), "c", 1, "/proc/sysrq-trigger"); !s) return s;
  ::sleep(10);
  return Error{"still running 10 s after sysrq-c: the crash did not happen"};
}

Subcommand make_test() {
  return {
      15,
      {"test",
       "Arm like load, ask for confirmation, then crash this machine (sysrq-c) to prove a dump is saved.",
       "",
       {{"config", 'c', "FILE", "configuration file (default /etc/kdumpkit.conf)",
         &g_test.initramfs.config_path},
        {"kernel", 'k', "FILE", "capture kernel image (default /boot/vmlinuz-RELEASE)", &g_test.kernel},
        {"append", 'a', "ARGS", "add to the capture kernel's command line", &g_test.append},
        {"kernel-release", 0, "RELEASE", "capture kernel release (default: the running one)",
         &g_test.initramfs.kernel_release},
        {"modules-dir", 0, "DIR", "its modules (default /lib/modules/RELEASE)",
         &g_test.initramfs.modules_dir},
        {"state-dir", 0, "DIR", "where load keeps its state (default /var/lib/kdumpkit)", &g_test.state_dir},
        {"syscall", 0, "file|load|auto", "as for load (default auto)", &g_syscall},
        {"yes", 'y', nullptr, "crash without asking (for automation)", nullptr, &g_yes}}},
      [](const std::vector<std::string>&) {
        auto choice = loader::parse_syscall_choice(g_syscall);
        if (!choice) return usage_error(choice.error());
        g_test.syscall = *choice;
        if (auto s = loader::load(g_test); !s) return report(s);
        if (!g_yes) {
          if (auto s = confirm(); !s) return report(s);
        }
        return report(crash_now());
      }};
}

KDK_SUBCOMMAND(make_test);

}  // namespace
}  // namespace kdk::cli
