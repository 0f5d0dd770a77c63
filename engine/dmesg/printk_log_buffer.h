// The variable-length record buffer (3.5-5.9): struct printk_log records
// in log_buf from log_first_idx to log_next_idx; a record of length 0
// marks the end of the used part, and the walk continues at index 0.
#pragma once

#include "engine/dmesg/kernel_log.h"
#include "engine/dmesg/printk_layout.h"
#include "engine/kernel/kernel_memory.h"
#include "util/result.h"

namespace kdk::dmesg {

// LOG_BUF_LEN_MAX: the kernel never has a larger buffer.
inline constexpr uint64_t kMaxLogBufLen = 1ULL << 31;

// Appends the buffer's records to `log`. An error means nothing could be
// read (symbols unreadable, impossible indexes); damage met while walking
// (a bad length, a walk that would pass log_next_idx or wrap twice) stops
// the walk and is noted in `log`. The walk visits each byte of the buffer at
// most once, so it ends whatever the buffer holds.
Status read_printk_log_buffer(kernel::KernelMemory& mem, const LogBufLayout& layout, KernelLog& log);

}  // namespace kdk::dmesg
