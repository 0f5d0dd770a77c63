#include "agent/watchdog.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/log.h"

namespace kdk::agent {

bool ProgressMonitor::alive(std::chrono::milliseconds now, uint64_t measure) {
  if (!seen_ || measure != last_measure_) {
    seen_ = true;
    last_measure_ = measure;
    last_change_ = now;
  }
  return now - last_change_ < stall_;
}

Result<Watchdog> Watchdog::open(const std::string& path, int timeout_s) {
  auto fd = open_fd(path, O_WRONLY | O_CLOEXEC);
  if (!fd) return fd.error();
  Watchdog w;
  w.fd_ = std::move(*fd);
  int t = timeout_s;
  if (::ioctl(w.fd_.get(), WDIOC_SETTIMEOUT, &t) != 0) {
    // Some drivers have a fixed timeout: use whatever it is.
    log::warn("watchdog %s: cannot set a %d s timeout: %s", path.c_str(), timeout_s, std::strerror(errno));
  }
  if (::ioctl(w.fd_.get(), WDIOC_GETTIMEOUT, &t) != 0) t = timeout_s;
  w.timeout_s_ = t;
  w.feed();
  return w;
}

void Watchdog::feed() {
  if (!fd_.valid()) return;
  int dummy = 0;
  if (::ioctl(fd_.get(), WDIOC_KEEPALIVE, &dummy) != 0) {
    ssize_t ignored = ::write(fd_.get(), "k", 1);
    (void)ignored;
  }
}

Status Watchdog::stop() {
  if (!fd_.valid()) return {};
  if (::write(fd_.get(), "V", 1) != 1) return Error::from_errno(errno, "watchdog magic close");
  fd_.reset();
  return {};
}

uint64_t process_io_bytes(int pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/io");
  if (!text) return 0;
  uint64_t sum = 0;
  for (const char* key : {"rchar: ", "wchar: "}) {
    size_t at = text->find(key);
    if (at != std::string::npos) sum += std::strtoull(text->c_str() + at + std::strlen(key), nullptr, 10);
  }
  return sum;
}

}  // namespace kdk::agent
