// The crashed kernel's log from its memory: the entry point of engine/dmesg.
#pragma once

#include "engine/dmesg/kernel_log.h"
#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::dmesg {

struct ReadOptions {
  // Print the caller ("[    T123] ") when the kernel exports
  // printk_info.caller_id, as makedumpfile does since 1.7.5 (and upstream,
  // the kernel matrix's oracle). Off: the lines of Debian 12's makedumpfile
  // 1.7.2, which does not print it.
  bool caller_id = true;
};

// Picks the format from VMCOREINFO: SYMBOL(prb) means the lockless ring
// (5.10+), SYMBOL(log_first_idx) the printk_log records (3.5-5.9). Older
// kernels (plain text, SYMBOL(log_end)) are refused with an error.
// The result may be damaged() and still hold everything before the damage.
Result<KernelLog> read_kernel_log(kernel::KernelMemory& mem, const vmcore::VmcoreInfo& info,
                                  const ReadOptions& options = {});

}  // namespace kdk::dmesg
