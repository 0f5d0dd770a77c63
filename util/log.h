// Console logging. In the capture kernel stderr is the console; every line is
// prefixed with the seconds since boot so it lines up with the kernel's log.
#pragma once

#include <cstddef>

namespace kdk::log {

// With timestamps on, lines read "[   12.345678] kdumpkit: ...".
void enable_timestamps(bool on);

void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// A warning printed the first time this process sees `text` only (a
// condition found again by every pass over the same dump).
void warn_once(const char* text);

// Called with every line as printed (with its prefix and newline), e.g. to
// keep a copy of the capture's console log; nullptr removes it.
using LineHook = void (*)(const char* line, size_t size);
void set_line_hook(LineHook hook);

}  // namespace kdk::log
