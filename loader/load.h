// The production-side subcommands: load, unload, status and initramfs. Each
// is one function the command-line front end calls.
#pragma once

#include <string>

#include "config/config.h"
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
  std::string kernel;           // default: /boot/vmlinuz-<release>
  std::string prebuilt_initramfs;  // use this file instead of building one
  std::string append;           // added to the derived capture command line
  std::string command_line;     // replaces the derived command line entirely
  std::string state_dir = "/var/lib/kdumpkit";
};

// Validates the configuration and targets, builds the capture initramfs
// (unless prebuilt), loads it with the kernel via kexec_file_load.
Status load(const LoadOptions& options);
Status unload(const std::string& state_dir);
// Prints the state; the result says whether a capture kernel is loaded.
Result<bool> status(const std::string& state_dir);
// Builds the capture initramfs into options.output.
Status build_initramfs_file(const InitramfsOptions& options);

}  // namespace kdk::loader
