// kexec_file_load(2) for the capture kernel: the kernel verifies and places
// the image, builds the ELF core header and uses its own purgatory.
#pragma once

#include <string>

#include "util/result.h"

namespace kdk::loader {

// Loads kernel + initramfs + command line as the crash kernel
// (KEXEC_FILE_ON_CRASH). Errors explain the fix for each errno the kernel
// gives (lockdown, signature, memory, busy).
Status load_crash_kernel(const std::string& kernel, const std::string& initramfs,
                         const std::string& cmdline);

// Unloads the crash kernel (KEXEC_FILE_ON_CRASH | KEXEC_FILE_UNLOAD).
Status unload_crash_kernel();

// Turns an errno from kexec_file_load into a message that names the fix.
std::string explain_kexec_errno(int err, const std::string& kernel);

}  // namespace kdk::loader
