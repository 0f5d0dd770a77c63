#include "engine/dmesg/printk_ringbuffer.h"

#include <string>
#include <vector>

#include "util/format.h"

namespace kdk::dmesg {
namespace {

using ull = unsigned long long;

// Descriptor states, kept in the top two bits of state_var (the rest is the id).
enum DescState : unsigned { kReserved = 0, kCommitted = 1, kFinalized = 2, kReusable = 3 };

struct Ring {
  kernel::KernelMemory& mem;
  const RingbufferLayout& l;
  uint64_t descs = 0, infos = 0, data = 0;
  uint64_t count = 0;      // descriptors
  uint64_t data_size = 0;  // bytes of text ring
  unsigned id_bits = 64;   // bits of state_var that hold the id
  uint64_t id_mask = 0;
  // Ring bytes the records printed so far occupy: valid blocks are disjoint,
  // so more than the ring holds means the descriptors are inconsistent. This
  // bounds the output, whatever the descriptors say.
  uint64_t bytes_used = 0;
  // The newest id, and how many older descriptors in the range did not
  // carry their own id: a quiet ring has none (only the head's can be
  // caught half reserved), so these are overwritten or garbage.
  uint64_t head = 0;
  uint64_t foreign = 0;
  std::vector<uint8_t> desc, info;
  std::string text;
};

enum class Step { kNext, kStop };

Step read_record(Ring& r, uint64_t id, KernelLog& log) {
  const RingbufferLayout& l = r.l;
  uint64_t slot = id % r.count;
  uint64_t desc_addr = r.descs + slot * l.desc_size;
  if (auto s = r.mem.read(desc_addr, r.desc.data(), r.desc.size()); !s) {
    log.note_damage(format("descriptor %llu at 0x%llx unreadable: %s", (ull)id, (ull)desc_addr,
                           s.error().message.c_str()));
    return Step::kStop;
  }
  uint64_t state_var = field_value(r.desc, l.state_var);
  if ((state_var & r.id_mask) != id) {  // reused for a newer record, or never written
    if (id != r.head) ++r.foreign;
    return Step::kNext;
  }
  unsigned state = static_cast<unsigned>(state_var >> r.id_bits) & 3;
  if (state != kCommitted && state != kFinalized) return Step::kNext;

  uint64_t begin = field_value(r.desc, l.lpos_begin) % r.data_size;
  uint64_t next = field_value(r.desc, l.lpos_next) % r.data_size;
  if (begin == next) return Step::kNext;  // no text (empty, or the kernel failed to store it)

  uint64_t info_addr = r.infos + slot * l.info_size;
  if (auto s = r.mem.read(info_addr, r.info.data(), r.info.size()); !s) {
    log.note_damage(format("printk_info %llu at 0x%llx unreadable: %s", (ull)id, (ull)info_addr,
                           s.error().message.c_str()));
    return Step::kStop;
  }
  uint64_t text_len = field_value(r.info, l.text_len);

  // A block that wraps is stored whole at the start of the ring; every
  // block starts with its descriptor's id (one word).
  if (begin > next) begin = 0;
  begin += l.word;
  if (next < begin) {  // not even room for the id: nothing to print
    if (text_len > 0)
      log.note_damage(format("record %llu: text block [%llu, %llu) is shorter than its id", (ull)id,
                             (ull)(begin - l.word), (ull)next));
    text_len = 0;
  } else if (next - begin < text_len) {
    // The kernel's own reader takes such a record for data-less; its
    // bytes are printed here, as far as the block goes.
    log.note_damage(format("record %llu: text_len %llu is longer than its %llu-byte block", (ull)id,
                           (ull)text_len, (ull)(next - begin)));
    text_len = next - begin;
  }
  // Every block begins with the id of the descriptor that owns it.
  uint64_t block_id = id;
  if (next < begin) {
    // (no room for one: recorded above)
  } else if (auto s = r.mem.read(r.data + begin - l.word, &block_id, l.word); !s) {
    log.note_damage(format("record %llu: text block at 0x%llx unreadable: %s", (ull)id,
                           (ull)(r.data + begin - l.word), s.error().message.c_str()));
    return Step::kStop;
  }
  if ((block_id & r.id_mask) != id) {
    log.note_damage(format("record %llu: its text block at ring offset %llu belongs to id %llu; skipped",
                           (ull)id, (ull)(begin - l.word), (ull)(block_id & r.id_mask)));
    return Step::kNext;
  }

  r.bytes_used += l.word + text_len;
  if (r.bytes_used > r.data_size) {
    log.note_damage(format("record %llu: the records so far hold more text than the %llu-byte ring", (ull)id,
                           (ull)r.data_size));
    return Step::kStop;
  }
  r.text.resize(text_len);
  if (text_len > 0) {
    if (auto s = r.mem.read(r.data + begin, r.text.data(), text_len); !s) {
      log.note_damage(format("record %llu: text at 0x%llx unreadable: %s", (ull)id, (ull)(r.data + begin),
                             s.error().message.c_str()));
      return Step::kStop;
    }
  }
  LogRecord rec;
  rec.ts_nsec = field_value(r.info, l.ts_nsec);
  if (l.caller_id) rec.caller_id = static_cast<uint32_t>(field_value(r.info, *l.caller_id));
  rec.text = r.text;
  log.append(rec);
  return Step::kNext;
}

}  // namespace

Status read_printk_ringbuffer(kernel::KernelMemory& mem, const RingbufferLayout& l, KernelLog& log) {
  uint64_t prb = 0;
  if (auto s = mem.read(l.prb, &prb, l.word); !s) return s.error().within("printk ring buffer pointer prb");
  std::vector<uint8_t> header(l.ringbuffer_size);
  if (auto s = mem.read(prb, header.data(), header.size()); !s)
    return s.error().within(format("printk_ringbuffer at 0x%llx", (ull)prb));

  Ring r{mem, l};
  uint64_t count_bits = field_value(header, l.count_bits) & 0xffffffffu;
  uint64_t size_bits = field_value(header, l.size_bits) & 0xffffffffu;
  if (count_bits > kMaxDescBits)
    return Error{format("printk_ringbuffer at 0x%llx: desc_ring.count_bits %llu is over the kernel's %u",
                        (ull)prb, (ull)count_bits, kMaxDescBits)};
  if (size_bits > kMaxTextBits || (1ULL << size_bits) <= l.word)
    return Error{format("printk_ringbuffer at 0x%llx: text_data_ring.size_bits %llu is impossible", (ull)prb,
                        (ull)size_bits)};
  r.count = 1ULL << count_bits;
  r.data_size = 1ULL << size_bits;
  r.descs = field_value(header, l.descs);
  r.infos = field_value(header, l.infos);
  r.data = field_value(header, l.data);
  r.id_bits = l.word * 8 - 2;
  r.id_mask = (1ULL << r.id_bits) - 1;
  r.desc.resize(l.desc_size);
  r.info.resize(l.info_size);

  uint64_t tail = field_value(header, l.tail_id) & r.id_mask;
  uint64_t head = field_value(header, l.head_id) & r.id_mask;
  uint64_t span = (head - tail) & r.id_mask;
  if (span >= r.count) {
    log.note_damage(
        format("tail_id %llu and head_id %llu are %llu apart in a ring of %llu descriptors; "
               "reading the last %llu",
               (ull)tail, (ull)head, (ull)span, (ull)r.count, (ull)r.count));
    tail = (head - (r.count - 1)) & r.id_mask;
  }
  // From tail to head inclusive: at most `count` descriptors.
  r.head = head;
  for (uint64_t id = tail;; id = (id + 1) & r.id_mask) {
    if (read_record(r, id, log) == Step::kStop) break;
    if (id == head) break;
  }
  if (r.foreign != 0) {
    log.note_damage(
        format("%llu descriptors between tail_id %llu and head_id %llu do not carry their id "
               "(overwritten); their records are lost",
               (ull)r.foreign, (ull)tail, (ull)head));
  }
  return {};
}

}  // namespace kdk::dmesg
