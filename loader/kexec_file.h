// kexec_file_load(2): the kernel verifies and places the image, builds the
// ELF core header of a crash kernel and uses its own purgatory.
#pragma once

#include <string>

#include "loader/image_kind.h"
#include "util/result.h"

namespace kdk::loader {

// Loads kernel + initramfs ("" for none) + command line as the crash kernel
// (KEXEC_FILE_ON_CRASH) or the next kernel of a reboot. Errors explain the
// fix for each errno the kernel gives (lockdown, signature, memory, busy);
// Error::errno_value keeps the errno (the fallback rule reads it).
Status load_with_kexec_file(ImageKind kind, const std::string& kernel, const std::string& initramfs,
                            const std::string& cmdline);

// Unloads (KEXEC_FILE_UNLOAD): either syscall's image.
Status unload_with_kexec_file(ImageKind kind);

// Turns an errno from kexec_file_load into a message that names the fix.
std::string explain_kexec_errno(int err, const std::string& kernel);

}  // namespace kdk::loader
