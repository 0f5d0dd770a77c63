#include "engine/dmesg/read_kernel_log.h"

#include "engine/dmesg/printk_layout.h"
#include "engine/dmesg/printk_log_buffer.h"
#include "engine/dmesg/printk_ringbuffer.h"

namespace kdk::dmesg {

Result<KernelLog> read_kernel_log(kernel::KernelMemory& mem, const vmcore::VmcoreInfo& info,
                                  const ReadOptions& options) {
  if (info.get("SYMBOL(prb)")) {
    auto layout = ringbuffer_layout(info);
    if (!layout) return layout.error().within("kernel log");
    KernelLog log("printk_ringbuffer", options.caller_id && layout->caller_id.has_value());
    if (auto s = read_printk_ringbuffer(mem, *layout, log); !s) return s.error().within("kernel log");
    return log;
  }
  if (info.get("SYMBOL(log_first_idx)")) {
    auto layout = log_buf_layout(info);
    if (!layout) return layout.error().within("kernel log");
    KernelLog log("printk_log", options.caller_id && layout->caller_id.has_value());
    if (auto s = read_printk_log_buffer(mem, *layout, log); !s) return s.error().within("kernel log");
    return log;
  }
  if (info.get("SYMBOL(log_end)"))
    return Error{"kernel log: the plain-text log_buf of kernels before 3.5 is not supported"};
  return Error{"kernel log: VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_first_idx)"};
}

}  // namespace kdk::dmesg
