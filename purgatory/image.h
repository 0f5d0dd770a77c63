// The purgatory as the build made it: a flat x86-64 binary whose parameter
// block (purgatory.h) the loader fills in before loading it.
#pragma once

#include <cstdint>
#include <span>

namespace kdk::purgatory {

std::span<const std::uint8_t> image();

}  // namespace kdk::purgatory
