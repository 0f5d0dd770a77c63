// The one way to read where a structure field lies when the offset comes
// from the dump (VMCOREINFO's OFFSET(type.member) and offsets derived from
// it): the field [offset, offset + width) must lie inside the structure
// [0, size), checked without overflow (an offset near 2^64 never wraps
// round to look small). Errors name the key and the offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::vmcore {

// [offset, offset + width) lies inside [0, size), without overflow.
constexpr bool field_fits(uint64_t offset, uint64_t width, uint64_t size) {
  return offset <= size && width <= size - offset;
}

// The same check for an offset from anywhere, with an error naming `what`
// (the key or how the offset was derived) and the numbers.
Result<uint64_t> check_field(std::string_view what, uint64_t offset, uint64_t width, uint64_t size,
                             std::string_view struct_name);

// VMCOREINFO's `key` (OFFSET(type.member), decimal) as a field of `width`
// bytes inside `struct_name` of `size` bytes. Missing, not a number, or
// outside the structure: an error saying which.
Result<uint64_t> checked_field(const VmcoreInfo& info, const std::string& key, uint64_t width, uint64_t size,
                               std::string_view struct_name);

}  // namespace kdk::vmcore
