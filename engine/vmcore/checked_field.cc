#include "engine/vmcore/checked_field.h"

#include "util/format.h"

namespace kdk::vmcore {

Result<uint64_t> check_field(std::string_view what, uint64_t offset, uint64_t width, uint64_t size,
                             std::string_view struct_name) {
  if (field_fits(offset, width, size)) return offset;
  return Error{format("VMCOREINFO %.*s=%llu leaves no %llu bytes inside %.*s (%llu bytes)",
                      static_cast<int>(what.size()), what.data(), static_cast<unsigned long long>(offset),
                      static_cast<unsigned long long>(width), static_cast<int>(struct_name.size()),
                      struct_name.data(), static_cast<unsigned long long>(size))};
}

Result<uint64_t> checked_field(const VmcoreInfo& info, const std::string& key, uint64_t width, uint64_t size,
                               std::string_view struct_name) {
  auto v = info.number(key);
  if (!v) {
    if (auto raw = info.get(key))
      return Error{format("VMCOREINFO %s=%s is not a number", key.c_str(), raw->c_str())};
    return Error{format("VMCOREINFO has no %s", key.c_str())};
  }
  return check_field(key, *v, width, size, struct_name);
}

}  // namespace kdk::vmcore
