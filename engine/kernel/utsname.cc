#include "engine/kernel/utsname.h"

#include <cstring>

#include "engine/vmcore/checked_field.h"
#include "util/format.h"

namespace kdk::kernel {

std::string Utsname::field(int i) const {
  if (i < 0 || i >= 6) return {};
  const char* p = raw.data() + static_cast<size_t>(i) * kUtsFieldLength;
  return std::string(p, strnlen(p, kUtsFieldLength));
}

Result<Utsname> read_utsname(KernelMemory& mem, const vmcore::VmcoreInfo& info) {
  auto ns = info.number("SYMBOL(init_uts_ns)", 16);
  if (!ns) return Error{"VMCOREINFO has no SYMBOL(init_uts_ns)"};
  // Kernels without the key have the name right after a kref (an int).
  uint64_t offset = sizeof(int);
  if (info.get("OFFSET(uts_namespace.name)")) {
    // struct uts_namespace is a few hundred bytes; a page bounds it.
    auto checked = vmcore::checked_field(info, "OFFSET(uts_namespace.name)", kUtsFieldLength * 6, 4096,
                                         "struct uts_namespace");
    if (!checked) return checked.error();
    offset = *checked;
  }
  uint64_t addr = *ns + offset;
  Utsname u;
  if (auto s = mem.read(addr, u.raw.data(), u.raw.size()); !s) {
    return Error{format("init_uts_ns.name at 0x%llx: %s", static_cast<unsigned long long>(addr),
                        s.error().message.c_str())};
  }
  return u;
}

}  // namespace kdk::kernel
