#include "loader/kexec_file.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace kdk::loader {

namespace {

constexpr unsigned long kKexecFileUnload = 0x1;
constexpr unsigned long kKexecFileOnCrash = 0x2;
constexpr unsigned long kKexecFileNoInitramfs = 0x4;

long kexec_file_load(int kernel_fd, int initrd_fd, const std::string* cmdline, unsigned long flags) {
  // cmdline_len counts the terminating NUL.
  unsigned long len = cmdline ? cmdline->size() + 1 : 0;
  const char* text = cmdline ? cmdline->c_str() : nullptr;
  return ::syscall(SYS_kexec_file_load, kernel_fd, initrd_fd, len, text, flags);
}

}  // namespace

std::string explain_kexec_errno(int err, const std::string& kernel) {
  std::string base = std::string("kexec_file_load: ") + std::strerror(err);
  switch (err) {
    case EPERM:
      return base +
             " — run as root; if you are root the kernel is locked down (Secure Boot): "
             "the capture kernel must be signed by a key the kernel trusts";
    case EKEYREJECTED:
      return base + " — the signature of " + kernel +
             " was rejected: use a kernel signed by a key in the kernel's keyring, or disable "
             "signature enforcement (kexec_sig_enforce / module.sig_enforce)";
    case ENOMEM:
      return base +
             " — the kernel and initramfs do not fit the reserved crash memory: "
             "raise crashkernel= on the kernel command line and reboot";
    case EBUSY:
      return base + " — a crash kernel is being loaded or is in use: run `kdumpkit unload` and retry";
    case ENOEXEC:
      return base + " — " + kernel + " is not a kernel image this kernel can load (bzImage expected)";
    case ENOSYS:
      return base + " — this kernel was built without CONFIG_KEXEC_FILE";
    case EINVAL:
      return base +
             " — the kernel refused the arguments (command line too long, or no crash "
             "memory reserved: check crashkernel=)";
    default:
      return base;
  }
}

Status load_with_kexec_file(ImageKind kind, const std::string& kernel, const std::string& initramfs,
                            const std::string& cmdline) {
  auto kfd = open_fd(kernel, O_RDONLY);
  if (!kfd) return kfd.error();
  unsigned long flags = kind == ImageKind::kCrash ? kKexecFileOnCrash : 0;
  UniqueFd ifd;
  if (initramfs.empty()) {
    flags |= kKexecFileNoInitramfs;
  } else {
    auto fd = open_fd(initramfs, O_RDONLY);
    if (!fd) return fd.error();
    ifd = std::move(*fd);
  }
  if (kexec_file_load(kfd->get(), ifd.valid() ? ifd.get() : -1, &cmdline, flags) != 0) {
    int err = errno;
    return Error{explain_kexec_errno(err, kernel), err};
  }
  return {};
}

Status unload_with_kexec_file(ImageKind kind) {
  unsigned long flags = kKexecFileUnload | (kind == ImageKind::kCrash ? kKexecFileOnCrash : 0);
  if (kexec_file_load(-1, -1, nullptr, flags) != 0) {
    int err = errno;
    return Error{explain_kexec_errno(err, "(unload)"), err};
  }
  return {};
}

}  // namespace kdk::loader
