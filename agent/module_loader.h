// Loads the kernel modules the capture initramfs carries, in the order the
// initramfs builder recorded (dependencies first), with finit_module(2).
#pragma once

#include <string>
#include <vector>

namespace kdk::agent {

struct ModuleLoadReport {
  int loaded = 0;
  int already_present = 0;
  int not_applicable = 0;  // ENODEV: nothing here for it to drive
  int failed = 0;  // each failure is logged; loading goes on (a missing
                   // optional module must not cost the dump)
};

// `relative_paths` are relative to `modules_dir` (/lib/modules/<release>).
ModuleLoadReport load_modules(const std::string& modules_dir,
                              const std::vector<std::string>& relative_paths);

}  // namespace kdk::agent
