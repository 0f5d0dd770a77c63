#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "util/format.h"
#include "util/result.h"

namespace kdk {

Error Error::from_errno(int err, std::string what) {
  return Error{std::move(what) + ": " + std::strerror(err), err};
}

Error Error::within(const std::string& context) const {
  return Error{context + ": " + message, errno_value};
}

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out;
  if (n > 0) {
    out.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(out.data(), out.size(), fmt, args);
    out.resize(static_cast<size_t>(n));
  }
  va_end(args);
  return out;
}

}  // namespace kdk
