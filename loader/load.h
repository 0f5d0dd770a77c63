// The production-side subcommands: load, unload, status and initramfs. Each
// is one function the command-line front end calls.
#pragma once

#include <string>

#include "config/config.h"
#include "loader/kexec.h"
#include "util/result.h"

namespace kdk::loader {

struct InitramfsOptions {
  std::string config_path = config::kDefaultConfigPath;
  std::string output;
  std::string kernel_release;  // default: the running kernel's
  std::string modules_dir;     // default: /lib/modules/<release>
  std::string binary;          // default: this executable
};

struct LoadOptions {
  InitramfsOptions initramfs;
  std::string kernel;              // default: /boot/vmlinuz-<release>
  std::string prebuilt_initramfs;  // use this file instead of building one
  std::string append;              // added to the derived capture command line
  std::string command_line;        // replaces the derived command line entirely
  // kdumpkit-test only (cli sets it from kdumpkit_test.unchecked_append=WORD
  // on /proc/cmdline): one word added after every override check, so that a
  // QEMU test can hand the capture an override load would refuse.
  std::string unchecked_append_for_test;
  // kdumpkit-test only (cli sets it from KDUMPKIT_TEST_WRONG_DIGEST=1 in the
  // environment): kexec_load gets a wrong kernel digest, the purgatory must refuse.
  bool wrong_digest_for_test = false;
  std::string state_dir = "/var/lib/kdumpkit";
  bool force = false;  // arm despite target problems (each is warned about)
  SyscallChoice syscall = SyscallChoice::kAuto;
};

struct EstimateOptions {
  InitramfsOptions initramfs;      // configuration, release, modules, binary
  std::string kernel;              // default: /boot/vmlinuz-<release>
  std::string prebuilt_initramfs;  // measure this one instead of building one
  int nr_cpus = 0;                 // 0: the configuration's (auto: what the reservation affords)
};

struct StatusOptions {
  std::string config_path = config::kDefaultConfigPath;
  std::string state_dir = "/var/lib/kdumpkit";
  std::string proc_sys = "/proc/sys";  // tests point these elsewhere
  std::string sys_kernel = "/sys/kernel";
};

// Validates the configuration and checks every target (device, filesystem,
// writable directory, free space), refusing with every problem found, each
// naming its line (--force arms despite target problems, never despite
// configuration errors: the capture kernel would reject the same file).
// Rebuilds the capture initramfs when its inputs changed (unless prebuilt),
// and loads it with the kernel: kexec_file_load, or kexec_load with our
// purgatory (options.syscall; the one used is recorded for status).
Status load(const LoadOptions& options);
Status unload(const std::string& state_dir);
// Prints the state, the targets' checks (read-only), warnings about what
// would keep a crash from producing a dump, and the latest dumps; the result
// says whether a capture kernel is loaded.
Result<bool> status(const StatusOptions& options);
// Prints the recommended crashkernel= with its breakdown (loader/estimate.h),
// and the capture kernel's CPUs the current reservation affords.
Status estimate(const EstimateOptions& options);
// Builds the capture initramfs into options.output.
Status build_initramfs_file(const InitramfsOptions& options);

}  // namespace kdk::loader
