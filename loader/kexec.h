// Loading a kernel by either syscall: kexec_file_load (the kernel's loader
// and purgatory; the only one allowed under lockdown) or kexec_load (ours:
// loader/kexec_load.cc and purgatory/). `auto` tries kexec_file_load first
// and falls back by kexec-tools' rule: on ENOSYS, EINVAL, ENOEXEC or
// ENOTSUP only, never on a signature or permission error.
#pragma once

#include <string>
#include <string_view>

#include "loader/image_kind.h"
#include "util/result.h"

namespace kdk::loader {

enum class SyscallChoice { kAuto, kFile, kLoad };
enum class Syscall { kFile, kLoad };

// "auto", "file", "load" (also "kexec_file_load", "kexec_load").
Result<SyscallChoice> parse_syscall_choice(std::string_view text);
const char* syscall_name(Syscall s);  // "kexec_file_load" / "kexec_load"

// kexec-tools' rule: whether a kexec_file_load errno lets kexec_load try.
bool kexec_file_falls_back(int err);

struct KernelLoad {
  ImageKind kind = ImageKind::kCrash;
  std::string kernel;
  std::string initrd;  // "" for none
  std::string cmdline;
  SyscallChoice choice = SyscallChoice::kAuto;
  bool wrong_digest_for_test = false;  // kexec_load only (KDUMPKIT_TEST_WRONG_DIGEST)
};

// Loads; returns the syscall that did it (and logs the fallback, if any).
Result<Syscall> load_kernel(const KernelLoad& k);

// Unloads whatever is loaded for `kind` (kexec_file_load's unload, or
// kexec_load's when the kernel has no kexec_file_load).
Status unload_kernel(ImageKind kind);

}  // namespace kdk::loader
