// Seconds since the epoch as UTC text (crash directories, metadata, status).
#pragma once

#include <cstdint>
#include <string>

namespace kdk {

// strftime(fmt) of `seconds` in UTC: "%Y-%m-%d-%H:%M:%S" and the like.
std::string format_utc(int64_t seconds, const char* fmt);

}  // namespace kdk
