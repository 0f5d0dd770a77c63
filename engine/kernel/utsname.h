// The crashed kernel's utsname (init_uts_ns.name): what `uname -a` said.
// The kdump-compressed header carries it verbatim (6 x 65 bytes).
#pragma once

#include <array>
#include <string>

#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::kernel {

inline constexpr size_t kUtsFieldLength = 65;  // __NEW_UTS_LEN + 1

struct Utsname {
  std::array<char, 6 * kUtsFieldLength> raw{};  // as in the kernel, for dump headers

  // Field i (0 sysname, 1 nodename, 2 release, 3 version, 4 machine,
  // 5 domainname) up to its first NUL.
  std::string field(int i) const;
  std::string sysname() const { return field(0); }
  std::string nodename() const { return field(1); }
  std::string release() const { return field(2); }
  std::string version() const { return field(3); }
  std::string machine() const { return field(4); }
  std::string domainname() const { return field(5); }
};

// Reads SYMBOL(init_uts_ns) + OFFSET(uts_namespace.name) (the name follows
// a 4-byte kref when the offset is not exported, as on old kernels).
Result<Utsname> read_utsname(KernelMemory& mem, const vmcore::VmcoreInfo& info);

}  // namespace kdk::kernel
