// The crashed kernel's log from its memory: the entry point of engine/dmesg.
#pragma once

#include "engine/dmesg/kernel_log.h"
#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/result.h"

namespace kdk::dmesg {

struct ReadOptions {
  // Print the caller ("[    T123] ") as makedumpfile 1.7.5+ does when the
  // kernel exports printk_info.caller_id. Off: Debian 12's makedumpfile
  // (1.7.2) does not print it.
  bool caller_id = false;
};

// Picks the format from VMCOREINFO: SYMBOL(prb) means the lockless ring
// (5.10+), SYMBOL(log_first_idx) the printk_log records (3.5-5.9). Older
// kernels (plain text, SYMBOL(log_end)) are refused with an error.
// The result may be damaged() and still hold everything before the damage.
Result<KernelLog> read_kernel_log(kernel::KernelMemory& mem, const vmcore::VmcoreInfo& info,
                                  const ReadOptions& options = {});

}  // namespace kdk::dmesg
