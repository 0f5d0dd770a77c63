// The lockless printk ring buffer (5.10+): descriptors from tail_id to
// head_id, each pointing at a text block in the data ring. Records that are
// committed or finalized are printed, in id order, as makedumpfile does.
#pragma once

#include "engine/dmesg/kernel_log.h"
#include "engine/dmesg/printk_layout.h"
#include "engine/kernel/kernel_memory.h"
#include "util/result.h"

namespace kdk::dmesg {

// The kernel's limits: the text ring is at most 2 GiB (LOG_BUF_LEN_MAX) and
// has one descriptor per 32 bytes of it (PRB_AVGBITS).
inline constexpr unsigned kMaxTextBits = 31;
inline constexpr unsigned kMaxDescBits = 26;

// Appends the ring's records to `log`. An error means nothing could be read
// (the ring's header is unreadable or impossible); damage met while walking
// stops the walk and is noted in `log`.
Status read_printk_ringbuffer(kernel::KernelMemory& mem, const RingbufferLayout& layout, KernelLog& log);

}  // namespace kdk::dmesg
