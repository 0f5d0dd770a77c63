#include "engine/arch/kernel_memory_factory.h"

#include "engine/arch/x86_64/x86_64_kernel_memory.h"
#include "util/format.h"

namespace kdk::arch {

namespace {
constexpr uint16_t kEmX86_64 = 62;
}  // namespace

Result<std::unique_ptr<kernel::KernelMemory>> make_kernel_memory(const vmcore::VmcoreFile& core,
                                                                 vmcore::PhysicalMemory& phys) {
  switch (core.layout().machine) {
    case kEmX86_64: {
      auto km = x86_64::X86_64KernelMemory::create(core, phys);
      if (!km) return km.error().within(core.path());
      return std::unique_ptr<kernel::KernelMemory>(std::move(*km));
    }
    default:
      return Error{format("%s: no kernel address translator for ELF machine %u", core.path().c_str(),
                          static_cast<unsigned>(core.layout().machine))};
  }
}

}  // namespace kdk::arch
