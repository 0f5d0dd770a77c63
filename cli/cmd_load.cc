// load, unload, status, initramfs: the production side.
#include <cstdlib>
#include <string_view>

#include "agent/test_switches.h"
#include "cli/registry.h"
#include "loader/load.h"
#include "util/fd.h"

namespace kdk::cli {
namespace {

loader::LoadOptions g_load;
std::string g_state_dir = "/var/lib/kdumpkit";
std::string g_syscall = "auto";

Option config_option() {
  return {"config", 'c', "FILE", "configuration file (default /etc/kdumpkit.conf)",
          &g_load.initramfs.config_path};
}
Option release_option() {
  return {"kernel-release", 0, "RELEASE", "capture kernel release (default: the running one)",
          &g_load.initramfs.kernel_release};
}
Option modules_option() {
  return {"modules-dir", 0, "DIR", "its modules (default /lib/modules/RELEASE)",
          &g_load.initramfs.modules_dir};
}
Option state_option() {
  return {"state-dir", 0, "DIR", "where load keeps its state (default /var/lib/kdumpkit)", &g_state_dir};
}

Subcommand make_load() {
  return {
      10,
      {"load",
       "Check the configuration and targets, build the capture initramfs and load the capture kernel "
       "(kexec_file_load, or kexec_load with kdumpkit's purgatory).",
       "",
       {config_option(),
        {"kernel", 'k', "FILE", "capture kernel image (default /boot/vmlinuz-RELEASE)", &g_load.kernel},
        {"initramfs", 'i', "FILE", "use this initramfs instead of building one", &g_load.prebuilt_initramfs},
        {"append", 'a', "ARGS", "add to the capture kernel's command line", &g_load.append},
        {"command-line", 0, "ARGS", "replace the capture kernel's command line entirely",
         &g_load.command_line},
        release_option(),
        modules_option(),
        state_option(),
        {"force", 0, nullptr, "arm even when a target check fails (a warning for each problem)", nullptr,
         &g_load.force},
        {"syscall", 0, "file|load|auto",
         "kexec_file_load, kexec_load (kdumpkit builds every segment, with its own purgatory), or auto "
         "(default: kexec_file_load, then kexec_load after ENOSYS, EINVAL, ENOEXEC or ENOTSUP)",
         &g_syscall}}},
      [](const std::vector<std::string>&) {
        auto choice = loader::parse_syscall_choice(g_syscall);
        if (!choice) return usage_error(choice.error());
        g_load.syscall = *choice;
        g_load.state_dir = g_state_dir;
        // kdumpkit-test only: the shipped binary reads neither.
        if (agent::test_switches_enabled()) {
          if (auto running = read_file("/proc/cmdline")) {
            g_load.unchecked_append_for_test =
                agent::test_switch(*running, "unchecked_append").value_or("");
          }
          const char* wrong = std::getenv("KDUMPKIT_TEST_WRONG_DIGEST");
          g_load.wrong_digest_for_test = wrong && *wrong && std::string_view(wrong) != "0";
        }
        return report(loader::load(g_load));
      }};
}

Subcommand make_unload() {
  return {20,
          {"unload", "Unload the capture kernel.", "", {state_option()}},
          [](const std::vector<std::string>&) { return report(loader::unload(g_state_dir)); }};
}

Subcommand make_status() {
  return {
      30,
      {"status",
       "Show the reserved crash memory, what is loaded, the targets' checks (read-only), what would keep a "
       "crash from being saved, and the latest dumps (exit 0 when armed, 3 when not).",
       "",
       {config_option(), state_option()}},
      [](const std::vector<std::string>&) {
        loader::StatusOptions so;
        so.config_path = g_load.initramfs.config_path;
        so.state_dir = g_state_dir;
        auto loaded = loader::status(so);
        if (!loaded) return report(loaded.error());
        return *loaded ? 0 : 3;
      }};
}

Subcommand make_initramfs() {
  return {40,
          {"initramfs",
           "Build the capture initramfs (reproducible cpio newc archive).",
           "",
           {{"output", 'o', "FILE", "where to write it (required)", &g_load.initramfs.output},
            config_option(),
            release_option(),
            modules_option(),
            {"binary", 0, "FILE", "the kdumpkit binary to embed as /init (default: this one)",
             &g_load.initramfs.binary}}},
          [](const std::vector<std::string>&) {
            if (g_load.initramfs.output.empty())
              return usage_error(Error{"initramfs: an output file is required (-o FILE)"});
            return report(loader::build_initramfs_file(g_load.initramfs));
          }};
}

KDK_SUBCOMMAND(make_load);
KDK_SUBCOMMAND(make_unload);
KDK_SUBCOMMAND(make_status);
KDK_SUBCOMMAND(make_initramfs);

}  // namespace
}  // namespace kdk::cli
