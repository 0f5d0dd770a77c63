// Picks the translator for the crashed machine's architecture (ELF e_machine
// of the vmcore). Adding an architecture is a new folder here and one case
// in the factory.
#pragma once

#include <memory>

#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::arch {

// `phys` must outlive the returned object (as must `core`, which owns the fd).
Result<std::unique_ptr<kernel::KernelMemory>> make_kernel_memory(const vmcore::VmcoreFile& core,
                                                                 vmcore::PhysicalMemory& phys);

}  // namespace kdk::arch
