#include "agent/module_loader.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"
#include "util/log.h"

namespace kdk::agent {

namespace {

// From <linux/module.h>: the kernel decompresses the file itself (5.17+).
constexpr int kModuleInitCompressedFile = 4;

bool is_compressed(const std::string& path) {
  auto ends = [&](const char* s) {
    size_t n = std::strlen(s);
    return path.size() >= n && path.compare(path.size() - n, n, s) == 0;
  };
  return ends(".xz") || ends(".zst") || ends(".gz");
}

}  // namespace

ModuleLoadReport load_modules(const std::string& modules_dir,
                              const std::vector<std::string>& relative_paths) {
  ModuleLoadReport report;
  for (const auto& rel : relative_paths) {
    std::string path = modules_dir + "/" + rel;
    auto fd = open_fd(path, O_RDONLY);
    if (!fd) {
      log::warn("module %s: %s", rel.c_str(), fd.error().message.c_str());
      ++report.failed;
      continue;
    }
    int flags = is_compressed(path) ? kModuleInitCompressedFile : 0;
    if (::syscall(SYS_finit_module, fd->get(), "", flags) == 0) {
      ++report.loaded;
    } else if (errno == EEXIST) {
      ++report.already_present;
    } else if (errno == ENODEV) {
      // The module's init found nothing to drive: a CPU-specific variant
      // (crc32c-intel on a CPU without SSE4.2, whose generic sibling is
      // carried too) or hardware this machine lacks. Not a failure.
      log::info("module %s: not for this machine (no device or CPU feature for it)", rel.c_str());
      ++report.not_applicable;
    } else {
      log::warn("finit_module %s: %s", rel.c_str(), std::strerror(errno));
      ++report.failed;
    }
  }
  return report;
}

}  // namespace kdk::agent
