// capture: the capture kernel's job (PID 1 runs it by itself).
#include <unistd.h>

#include "agent/capture.h"
#include "agent/init_process.h"
#include "cli/registry.h"
#include "util/log.h"

namespace kdk::cli {
namespace {

agent::CapturePaths g_paths;
bool g_no_modules = false;
bool g_network = false;

Subcommand make_capture() {
  return {
      100,
      {"capture",
       "Save the crashed kernel's memory to the configured targets. PID 1 of the capture initramfs runs "
       "this automatically, then performs the final action.",
       "",
       {{"config", 'c', "FILE", "configuration (default /etc/kdumpkit.conf)", &g_paths.config},
        {"load-record", 0, "FILE", "what load recorded (default /etc/kdumpkit/load.conf)",
         &g_paths.load_record},
        {"vmcore", 0, "FILE", "the crashed kernel's memory (default /proc/vmcore)", &g_paths.vmcore},
        {"mount-dir", 0, "DIR", "where targets are mounted (default /kdumpkit/target)", &g_paths.mount_base},
        {"cmdline", 0, "FILE", "the kernel command line with kdumpkit.* overrides (default /proc/cmdline)",
         &g_paths.cmdline},
        {"no-modules", 0, nullptr, "do not load kernel modules", nullptr, &g_no_modules},
        {"network", 0, nullptr,
         "bring up the network for network targets as the capture kernel does (by hand, the machine's own "
         "network is used as it is)",
         nullptr, &g_network}}},
      [](const std::vector<std::string>&) {
        g_paths.load_modules = !g_no_modules;
        g_paths.bring_up_network = g_network;
        if (::getpid() == 1 && agent::in_capture_kernel()) {
          g_paths.bring_up_network = true;
          agent::run_as_init(g_paths);
        }
        agent::CaptureOutcome outcome = agent::run_capture(g_paths);
        if (outcome.ok) {
          log::info("capture complete: %s", outcome.summary.c_str());
          return 0;
        }
        log::error("capture failed: %s", outcome.summary.c_str());
        return 1;
      }};
}

KDK_SUBCOMMAND(make_capture);

}  // namespace
}  // namespace kdk::cli
