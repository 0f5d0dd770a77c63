#include "targets/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd.h"
#include "util/format.h"

namespace kdk::targets {
namespace {

constexpr size_t kMaxSecretSize = 64 * 1024;

Status check_stat(const struct stat& st, const std::string& path, const std::string& option) {
  if (!S_ISREG(st.st_mode)) return Error{format("%s %s is not a regular file", option.c_str(), path.c_str())};
  if (st.st_uid != geteuid()) {
    return Error{format("%s %s is owned by uid %u, not by uid %u: credentials must be root-only (chown root it)",
                        option.c_str(), path.c_str(), static_cast<unsigned>(st.st_uid),
                        static_cast<unsigned>(geteuid()))};
  }
  if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    return Error{format("%s %s is accessible by group or others (mode %04o): credentials must be root-only "
                        "(chmod 600 it)",
                        option.c_str(), path.c_str(), static_cast<unsigned>(st.st_mode & 07777))};
  }
  return {};
}

}  // namespace

Status check_secret_file(const std::string& path, const std::string& option) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error::from_errno(errno, option + " " + path);
  return check_stat(st, path, option);
}

Result<std::string> read_secret_file(const std::string& path, const std::string& option) {
  int raw = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (raw < 0) return Error::from_errno(errno, option + " " + path);
  UniqueFd fd(raw);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::from_errno(errno, option + " " + path);
  if (Status s = check_stat(st, path, option); !s) return s.error();
  if (static_cast<uint64_t>(st.st_size) > kMaxSecretSize)
    return Error{format("%s %s is larger than %zu bytes", option.c_str(), path.c_str(), kMaxSecretSize)};
  std::string content(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    ssize_t n = read(fd.get(), content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(errno, option + " " + path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  content.resize(got);
  size_t begin = content.find_first_not_of(" \t\r\n");
  size_t end = content.find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) return Error{format("%s %s is empty", option.c_str(), path.c_str())};
  return content.substr(begin, end - begin + 1);
}

}  // namespace kdk::targets
