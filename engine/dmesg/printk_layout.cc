#include "engine/dmesg/printk_layout.h"

#include <string>

#include "engine/vmcore/checked_field.h"
#include "util/format.h"

namespace kdk::dmesg {
namespace {

using vmcore::VmcoreInfo;

Result<uint64_t> required(const VmcoreInfo& info, const std::string& key, int base = 10) {
  if (auto v = info.number(key, base)) return *v;
  auto raw = info.get(key);
  if (raw) return Error{format("VMCOREINFO %s=%s is not a number", key.c_str(), raw->c_str())};
  return Error{format("VMCOREINFO has no %s", key.c_str())};
}

Result<uint64_t> symbol(const VmcoreInfo& info, const std::string& name) {
  return required(info, "SYMBOL(" + name + ")", 16);
}

Result<uint64_t> struct_size(const VmcoreInfo& info, const std::string& name) {
  auto size = required(info, "SIZE(" + name + ")");
  if (!size) return size;
  if (*size == 0 || *size > kMaxStructSize)
    return Error{format("VMCOREINFO SIZE(%s)=%llu is not a plausible size", name.c_str(),
                        static_cast<unsigned long long>(*size))};
  return size;
}

// OFFSET(type.member), checked to leave `width` bytes inside `limit`.
Result<Field> field(const VmcoreInfo& info, const std::string& member, unsigned width, uint64_t limit,
                    const std::string& limit_name) {
  auto off = vmcore::checked_field(info, "OFFSET(" + member + ")", width, limit, limit_name);
  if (!off) return off.error();
  return Field{*off, width};
}

// Shifts a field by `base` (an embedded structure's offset).
Field at(uint64_t base, Field f) { return {base + f.offset, f.width}; }

#define KDK_TRY(var, expr)              \
  auto var##_r = (expr);                \
  if (!var##_r) return var##_r.error(); \
  auto var = *var##_r

}  // namespace

Result<RingbufferLayout> ringbuffer_layout(const VmcoreInfo& info) {
  RingbufferLayout l;
  KDK_TRY(prb, symbol(info, "prb"));
  l.prb = prb;
  if (auto w = info.number("SIZE(atomic_long_t)")) {
    if (*w != 4 && *w != 8)
      return Error{format("VMCOREINFO SIZE(atomic_long_t)=%llu is neither 4 nor 8",
                          static_cast<unsigned long long>(*w))};
    l.word = static_cast<unsigned>(*w);
  }
  const unsigned w = l.word;
  KDK_TRY(counter, required(info, "OFFSET(atomic_long_t.counter)"));
  if (counter != 0) return Error{"VMCOREINFO OFFSET(atomic_long_t.counter) is not 0"};

  KDK_TRY(rb_size, struct_size(info, "printk_ringbuffer"));
  l.ringbuffer_size = rb_size;
  KDK_TRY(dr_size, struct_size(info, "prb_desc_ring"));
  KDK_TRY(data_size, struct_size(info, "prb_data_ring"));
  if (dr_size > rb_size || data_size > rb_size)
    return Error{"VMCOREINFO SIZE(prb_desc_ring) or SIZE(prb_data_ring) exceeds SIZE(printk_ringbuffer)"};
  KDK_TRY(desc_ring, field(info, "printk_ringbuffer.desc_ring", 0, rb_size - dr_size, "printk_ringbuffer"));
  KDK_TRY(text_ring,
          field(info, "printk_ringbuffer.text_data_ring", 0, rb_size - data_size, "printk_ringbuffer"));
  l.desc_ring = desc_ring.offset;
  l.text_data_ring = text_ring.offset;

  KDK_TRY(count_bits, field(info, "prb_desc_ring.count_bits", 4, dr_size, "prb_desc_ring"));
  KDK_TRY(descs, field(info, "prb_desc_ring.descs", w, dr_size, "prb_desc_ring"));
  KDK_TRY(infos, field(info, "prb_desc_ring.infos", w, dr_size, "prb_desc_ring"));
  KDK_TRY(head_id, field(info, "prb_desc_ring.head_id", w, dr_size, "prb_desc_ring"));
  KDK_TRY(tail_id, field(info, "prb_desc_ring.tail_id", w, dr_size, "prb_desc_ring"));
  l.count_bits = at(l.desc_ring, count_bits);
  l.descs = at(l.desc_ring, descs);
  l.infos = at(l.desc_ring, infos);
  l.head_id = at(l.desc_ring, head_id);
  l.tail_id = at(l.desc_ring, tail_id);

  KDK_TRY(size_bits, field(info, "prb_data_ring.size_bits", 4, data_size, "prb_data_ring"));
  KDK_TRY(data, field(info, "prb_data_ring.data", w, data_size, "prb_data_ring"));
  l.size_bits = at(l.text_data_ring, size_bits);
  l.data = at(l.text_data_ring, data);

  KDK_TRY(desc_size, struct_size(info, "prb_desc"));
  KDK_TRY(lpos_size, struct_size(info, "prb_data_blk_lpos"));
  if (lpos_size > desc_size) return Error{"VMCOREINFO SIZE(prb_data_blk_lpos) exceeds SIZE(prb_desc)"};
  l.desc_size = desc_size;
  KDK_TRY(state_var, field(info, "prb_desc.state_var", w, desc_size, "prb_desc"));
  KDK_TRY(blk, field(info, "prb_desc.text_blk_lpos", 0, desc_size - lpos_size, "prb_desc"));
  KDK_TRY(begin, field(info, "prb_data_blk_lpos.begin", w, lpos_size, "prb_data_blk_lpos"));
  KDK_TRY(next, field(info, "prb_data_blk_lpos.next", w, lpos_size, "prb_data_blk_lpos"));
  l.state_var = state_var;
  l.lpos_begin = at(blk.offset, begin);
  l.lpos_next = at(blk.offset, next);

  KDK_TRY(info_size, struct_size(info, "printk_info"));
  l.info_size = info_size;
  KDK_TRY(ts, field(info, "printk_info.ts_nsec", 8, info_size, "printk_info"));
  KDK_TRY(text_len, field(info, "printk_info.text_len", 2, info_size, "printk_info"));
  l.ts_nsec = ts;
  l.text_len = text_len;
  if (info.get("OFFSET(printk_info.caller_id)")) {
    KDK_TRY(caller, field(info, "printk_info.caller_id", 4, info_size, "printk_info"));
    l.caller_id = caller;
  }
  return l;
}

Result<LogBufLayout> log_buf_layout(const VmcoreInfo& info) {
  LogBufLayout l;
  KDK_TRY(log_buf, symbol(info, "log_buf"));
  KDK_TRY(log_buf_len, symbol(info, "log_buf_len"));
  KDK_TRY(first, symbol(info, "log_first_idx"));
  KDK_TRY(next, symbol(info, "log_next_idx"));
  l.log_buf = log_buf;
  l.log_buf_len = log_buf_len;
  l.log_first_idx = first;
  l.log_next_idx = next;

  // The structure was "log" until 3.11.
  std::string type = info.get("SIZE(printk_log)") ? "printk_log" : "log";
  KDK_TRY(size, struct_size(info, type));
  l.record_size = size;
  KDK_TRY(ts, field(info, type + ".ts_nsec", 8, size, type));
  KDK_TRY(len, field(info, type + ".len", 2, size, type));
  KDK_TRY(text_len, field(info, type + ".text_len", 2, size, type));
  l.ts_nsec = ts;
  l.len = len;
  l.text_len = text_len;
  if (info.get("OFFSET(" + type + ".caller_id)")) {
    KDK_TRY(caller, field(info, type + ".caller_id", 4, size, type));
    l.caller_id = caller;
  }
  return l;
}

}  // namespace kdk::dmesg
