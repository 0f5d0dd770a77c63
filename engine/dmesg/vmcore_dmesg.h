// The kernel log of a vmcore file (or /proc/vmcore): opens it, translates
// through the architecture's KernelMemory and reads the printk ring. What
// `kdumpkit dmesg` and the capture sequence's vmcore-dmesg.txt use.
#pragma once

#include <string>

#include "engine/dmesg/kernel_log.h"
#include "engine/dmesg/read_kernel_log.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::dmesg {

// For a vmcore already open (the capture sequence has one).
Result<KernelLog> read_vmcore_kernel_log(const vmcore::VmcoreFile& core, vmcore::PhysicalMemory& phys,
                                         const ReadOptions& options = {});

// For a path: opens it, reads its physical memory with the page size from
// VMCOREINFO.
Result<KernelLog> read_vmcore_kernel_log(const std::string& vmcore_path, const ReadOptions& options = {});

struct DmesgRequest {
  std::string vmcore;
  std::string output;  // "" or "-": standard output
  ReadOptions read;
};

// `kdumpkit dmesg`: writes the log. A damaged ring still writes what was
// read, then returns an error saying what was wrong.
Status run_dmesg(const DmesgRequest& request);

}  // namespace kdk::dmesg
