// estimate: the recommended crashkernel= for this machine and configuration.
#include "cli/registry.h"
#include "loader/load.h"
#include "util/text.h"

namespace kdk::cli {
namespace {

loader::EstimateOptions g_estimate;
std::string g_nr_cpus;

Subcommand make_estimate() {
  return {
      45,
      {"estimate",
       "Print the crashkernel= this machine and configuration need, with its breakdown, and the capture "
       "kernel's CPUs the reservation affords.",
       "",
       {{"config", 'c', "FILE", "configuration file (default /etc/kdumpkit.conf)",
         &g_estimate.initramfs.config_path},
        {"kernel", 'k', "FILE", "capture kernel image (default /boot/vmlinuz-RELEASE)", &g_estimate.kernel},
        {"initramfs", 'i', "FILE", "measure this capture initramfs instead of building one",
         &g_estimate.prebuilt_initramfs},
        {"kernel-release", 0, "RELEASE", "capture kernel release (default: the running one)",
         &g_estimate.initramfs.kernel_release},
        {"modules-dir", 0, "DIR", "its modules (default /lib/modules/RELEASE)",
         &g_estimate.initramfs.modules_dir},
        {"nr-cpus", 0, "N",
         "estimate for N CPUs in the capture kernel (default: the configuration's nr_cpus)", &g_nr_cpus}}},
      [](const std::vector<std::string>&) {
        if (!g_nr_cpus.empty()) {
          unsigned long long n = 0;
          if (!parse_u64(g_nr_cpus, n) || n < 1 || n > 64) {
            return usage_error(Error{"--nr-cpus: \"" + g_nr_cpus + "\" is not a number from 1 to 64"});
          }
          g_estimate.nr_cpus = static_cast<int>(n);
        }
        return report(loader::estimate(g_estimate));
      }};
}

KDK_SUBCOMMAND(make_estimate);

}  // namespace
}  // namespace kdk::cli
