// printf-style formatting into std::string. The product avoids iostreams and
// locales (libstdc++'s locale code does not work over musl), so this is how
// text is built.
#pragma once

#include <string>

namespace kdk {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace kdk
