#include "loader/kexec.h"

#include <cerrno>
#include <cstdlib>

#include "loader/kexec_file.h"
#include "loader/kexec_load.h"
#include "util/log.h"

namespace kdk::loader {

Result<SyscallChoice> parse_syscall_choice(std::string_view t) {
  if (t == "auto") return SyscallChoice::kAuto;
  if (t == "file" || t == "kexec_file_load") return SyscallChoice::kFile;
  if (t == "load" || t == "kexec_load") return SyscallChoice::kLoad;
  return Error{"--syscall: \"" + std::string(t) + "\" is not one of file, load, auto"};
}

const char* syscall_name(Syscall s) { return s == Syscall::kFile ? "kexec_file_load" : "kexec_load"; }

bool kexec_file_falls_back(int err) {
  switch (err) {
    case ENOSYS:   // not built in (CONFIG_KEXEC_FILE)
    case EINVAL:   // arguments or image the in-kernel loader does not take
    case ENOEXEC:  // no in-kernel loader for this image type
    case ENOTSUP:  // unsupported image or signature wrapper (EOPNOTSUPP on Linux)
      return true;
    default:  // signature (EKEYREJECTED, EBADMSG, ENOKEY, ...), EPERM, ENOMEM, EBUSY: kexec_load won't do
              // better
      return false;
  }
}

Result<Syscall> load_kernel(const KernelLoad& k) {
  if (k.choice != SyscallChoice::kLoad) {
    auto s = load_with_kexec_file(k.kind, k.kernel, k.initrd, k.cmdline);
    if (s) return Syscall::kFile;
    if (k.choice == SyscallChoice::kFile || !kexec_file_falls_back(s.error().errno_value)) return s.error();
    log::warn("%s; falling back to kexec_load (kexec-tools' rule: after ENOSYS, EINVAL, ENOEXEC or ENOTSUP)",
              s.error().message.c_str());
  }
  KexecLoadRequest req;
  req.kind = k.kind;
  req.kernel = k.kernel;
  req.cmdline = k.cmdline;
  req.wrong_digest_for_test = k.wrong_digest_for_test;
  if (auto s = load_with_kexec_load(req, k.initrd); !s) return s.error();
  return Syscall::kLoad;
}

Status unload_kernel(ImageKind kind) {
  auto s = unload_with_kexec_file(kind);
  if (s || s.error().errno_value != ENOSYS) return s;
  return unload_with_kexec_load(kind);
}

}  // namespace kdk::loader
