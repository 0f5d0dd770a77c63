// exec: a fast reboot into a new kernel (kexec -l / kexec -e).
#include "cli/registry.h"
#include "loader/exec.h"

namespace kdk::cli {
namespace {

loader::ExecOptions g_exec;
std::string g_syscall = "auto";

Subcommand make_exec() {
  return {
      25,
      {"exec",
       "Reboot into a kernel without the firmware: load it (kernel, initramfs, command line), sync, unmount "
       "or remount read-only, and start it (kexec -l, then kexec -e).",
       "",
       {{"kernel", 'k', "FILE", "the kernel (default /boot/vmlinuz-RELEASE of the running kernel)",
         &g_exec.kernel},
        {"initrd", 'i', "FILE", "its initramfs (default /boot/initrd.img-RELEASE when present)",
         &g_exec.initrd},
        {"no-initrd", 0, nullptr, "start it without an initramfs", nullptr, &g_exec.no_initrd},
        {"append", 'a', "ARGS", "add to the running kernel's command line (a key given again replaces it)",
         &g_exec.append},
        {"command-line", 0, "ARGS", "the new kernel's whole command line", &g_exec.command_line},
        {"syscall", 0, "file|load|auto",
         "kexec_file_load, kexec_load (kdumpkit's purgatory), or auto (default)", &g_syscall},
        {"load-only", 'l', nullptr, "load it and stop (start it later with --now, or systemctl kexec)",
         nullptr, &g_exec.load_only},
        {"now", 'e', nullptr, "start the kernel loaded before, now", nullptr, &g_exec.now},
        {"unload", 'u', nullptr, "unload the kernel loaded before", nullptr, &g_exec.unload}}},
      [](const std::vector<std::string>&) {
        auto choice = loader::parse_syscall_choice(g_syscall);
        if (!choice) return usage_error(choice.error());
        g_exec.syscall = *choice;
        int modes = g_exec.load_only + g_exec.now + g_exec.unload;
        if (modes > 1) return usage_error(Error{"exec: --load-only, --now and --unload exclude each other"});
        if ((g_exec.now || g_exec.unload) &&
            (!g_exec.kernel.empty() || !g_exec.initrd.empty() || !g_exec.append.empty() ||
             !g_exec.command_line.empty() || g_exec.no_initrd)) {
          return usage_error(Error{"exec: --now and --unload take no kernel, initramfs or command line"});
        }
        if (!g_exec.append.empty() && !g_exec.command_line.empty()) {
          return usage_error(Error{"exec: --append and --command-line exclude each other"});
        }
        if (g_exec.no_initrd && !g_exec.initrd.empty()) {
          return usage_error(Error{"exec: --initrd and --no-initrd exclude each other"});
        }
        return report(loader::exec(g_exec));
      }};
}

KDK_SUBCOMMAND(make_exec);

}  // namespace
}  // namespace kdk::cli
