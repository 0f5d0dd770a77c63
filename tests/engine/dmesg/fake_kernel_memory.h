// Test helpers: a KernelMemory over a few byte regions at chosen virtual
// addresses, and builders of the two printk formats (with the 6.1 and 5.4
// VMCOREINFO layouts) that write records the way the kernel does.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/vmcoreinfo.h"
#include "util/format.h"

namespace kdk::dmesg::testing {

class FakeKernelMemory final : public kernel::KernelMemory {
 public:
  // Adds (or replaces) `size` zero bytes at `vaddr`; returns them to fill.
  std::vector<uint8_t>& add(uint64_t vaddr, size_t size) {
    auto& r = regions_[vaddr];
    r.assign(size, 0);
    return r;
  }
  template <class T>
  void put(uint64_t vaddr, T v) {
    uint8_t* p = find(vaddr, sizeof v);
    if (p) std::memcpy(p, &v, sizeof v);
  }
  void put_bytes(uint64_t vaddr, const void* data, size_t len) {
    uint8_t* p = find(vaddr, len);
    if (p) std::memcpy(p, data, len);
  }
  size_t reads = 0;

  Result<uint64_t> virt_to_phys(uint64_t vaddr) override { return vaddr; }
  Status read(uint64_t vaddr, void* out, size_t len) override {
    ++reads;
    uint8_t* p = find(vaddr, len);
    if (!p) return Error{format("no memory at 0x%llx (+%zu)", static_cast<unsigned long long>(vaddr), len)};
    if (len) std::memcpy(out, p, len);
    return {};
  }
  vmcore::PhysicalMemory& physical() override { std::abort(); }

 private:
  uint8_t* find(uint64_t vaddr, size_t len) {
    auto it = regions_.upper_bound(vaddr);
    if (it == regions_.begin()) return nullptr;
    --it;
    uint64_t off = vaddr - it->first;
    if (off > it->second.size() || it->second.size() - off < len) return nullptr;
    return it->second.data() + off;
  }
  std::map<uint64_t, std::vector<uint8_t>> regions_;
};

// VMCOREINFO of Debian's 6.1 kernel, printk part (the fixture's values).
inline std::string ringbuffer_vmcoreinfo(uint64_t prb_symbol) {
  return format("OSRELEASE=6.1.0-test\nSYMBOL(prb)=%llx\n", static_cast<unsigned long long>(prb_symbol)) +
         "SIZE(printk_ringbuffer)=88\n"
         "OFFSET(printk_ringbuffer.desc_ring)=0\n"
         "OFFSET(printk_ringbuffer.text_data_ring)=48\n"
         "OFFSET(printk_ringbuffer.fail)=80\n"
         "SIZE(prb_desc_ring)=48\n"
         "OFFSET(prb_desc_ring.count_bits)=0\n"
         "OFFSET(prb_desc_ring.descs)=8\n"
         "OFFSET(prb_desc_ring.infos)=16\n"
         "OFFSET(prb_desc_ring.head_id)=24\n"
         "OFFSET(prb_desc_ring.tail_id)=32\n"
         "SIZE(prb_desc)=24\n"
         "OFFSET(prb_desc.state_var)=0\n"
         "OFFSET(prb_desc.text_blk_lpos)=8\n"
         "SIZE(prb_data_blk_lpos)=16\n"
         "OFFSET(prb_data_blk_lpos.begin)=0\n"
         "OFFSET(prb_data_blk_lpos.next)=8\n"
         "SIZE(printk_info)=88\n"
         "OFFSET(printk_info.seq)=0\n"
         "OFFSET(printk_info.ts_nsec)=8\n"
         "OFFSET(printk_info.text_len)=16\n"
         "OFFSET(printk_info.caller_id)=20\n"
         "OFFSET(printk_info.dev_info)=24\n"
         "SIZE(prb_data_ring)=32\n"
         "OFFSET(prb_data_ring.size_bits)=0\n"
         "OFFSET(prb_data_ring.data)=8\n"
         "OFFSET(prb_data_ring.head_lpos)=16\n"
         "OFFSET(prb_data_ring.tail_lpos)=24\n"
         "SIZE(atomic_long_t)=8\n"
         "OFFSET(atomic_long_t.counter)=0\n";
}

// Writes a printk_ringbuffer into a FakeKernelMemory the way the kernel's
// prb_reserve()/prb_commit() leave it.
struct RingBuilder {
  static constexpr uint64_t kPrbSymbol = 0xffffffff81000000ULL;
  static constexpr uint64_t kRing = 0xffffffff81001000ULL;
  static constexpr uint64_t kDescs = 0xffffffff81100000ULL;
  static constexpr uint64_t kInfos = 0xffffffff81200000ULL;
  static constexpr uint64_t kData = 0xffffffff81300000ULL;
  static constexpr uint64_t kIdMask = (1ULL << 62) - 1;
  enum State : uint64_t { kReserved = 0, kCommitted = 1, kFinalized = 2, kReusable = 3 };

  FakeKernelMemory& mem;
  unsigned count_bits, size_bits;
  uint64_t first_id;
  uint64_t head_id, tail_id;
  uint64_t head_lpos;
  bool empty = true;

  RingBuilder(FakeKernelMemory& m, unsigned cbits, unsigned sbits, uint64_t first = 0)
      : mem(m),
        count_bits(cbits),
        size_bits(sbits),
        first_id(first),
        head_id(first),
        tail_id(first),
        head_lpos(0) {
    mem.add(kPrbSymbol, 8);
    mem.put<uint64_t>(kPrbSymbol, kRing);
    mem.add(kRing, 88);
    mem.add(kDescs, 24ULL << cbits);
    mem.add(kInfos, 88ULL << cbits);
    mem.add(kData, 1ULL << sbits);
    mem.put<uint32_t>(kRing + 0, cbits);
    mem.put<uint64_t>(kRing + 8, kDescs);
    mem.put<uint64_t>(kRing + 16, kInfos);
    mem.put<uint32_t>(kRing + 48, sbits);
    mem.put<uint64_t>(kRing + 48 + 8, kData);
    sync();
  }
  uint64_t count() const { return 1ULL << count_bits; }
  uint64_t size() const { return 1ULL << size_bits; }
  void sync() {
    mem.put<uint64_t>(kRing + 24, head_id);
    mem.put<uint64_t>(kRing + 32, tail_id);
  }
  void set_desc(uint64_t id, uint64_t state, uint64_t begin, uint64_t next) {
    uint64_t d = kDescs + (id % count()) * 24;
    mem.put<uint64_t>(d, (state << 62) | (id & kIdMask));
    mem.put<uint64_t>(d + 8, begin);
    mem.put<uint64_t>(d + 16, next);
  }
  void set_info(uint64_t id, uint64_t ts, uint16_t text_len, uint32_t caller = 1) {
    uint64_t i = kInfos + (id % count()) * 88;
    mem.put<uint64_t>(i, id);
    mem.put<uint64_t>(i + 8, ts);
    mem.put<uint16_t>(i + 16, text_len);
    mem.put<uint32_t>(i + 20, caller);
  }
  // Appends a record; returns its id. The text block is the id (8 bytes),
  // then the text, aligned to 8; one that would cross the end of the ring
  // is stored at its start.
  uint64_t add(uint64_t ts, const std::string& text, uint64_t state = kFinalized, uint32_t caller = 1) {
    uint64_t id = empty ? first_id : (head_id + 1) & kIdMask;
    uint64_t blk = (8 + text.size() + 7) & ~7ULL;
    uint64_t begin = head_lpos, next = begin + blk;
    uint64_t store = begin % size();
    if (begin / size() != next / size()) {  // wraps: data at the ring's start
      next = (next / size()) * size() + blk;
      store = 0;
    }
    mem.put<uint64_t>(kData + store, id);
    mem.put_bytes(kData + store + 8, text.data(), text.size());
    head_lpos = next;
    set_desc(id, state, begin, next);
    set_info(id, ts, static_cast<uint16_t>(text.size()), caller);
    head_id = id;
    if (empty) {
      tail_id = id;
      empty = false;
    } else if (((head_id - tail_id) & kIdMask) >= count()) {
      tail_id = (head_id - count() + 1) & kIdMask;
    }
    sync();
    return id;
  }
};

// VMCOREINFO of a 5.4 kernel, printk part.
inline std::string log_buf_vmcoreinfo() {
  return "OSRELEASE=5.4.0-test\n"
         "SYMBOL(log_buf)=ffffffff82000000\n"
         "SYMBOL(log_buf_len)=ffffffff82000008\n"
         "SYMBOL(log_first_idx)=ffffffff82000010\n"
         "SYMBOL(clear_idx)=ffffffff82000014\n"
         "SYMBOL(log_next_idx)=ffffffff82000018\n"
         "SIZE(printk_log)=16\n"
         "OFFSET(printk_log.ts_nsec)=0\n"
         "OFFSET(printk_log.len)=8\n"
         "OFFSET(printk_log.text_len)=10\n"
         "OFFSET(printk_log.dict_len)=12\n";
}

// Writes printk_log records into log_buf as log_store() does: header, text,
// dictionary, padded to 8; a zero header marks the end when the next record
// does not fit, and writing continues at 0. first_idx is set by the test.
struct LogBufBuilder {
  static constexpr uint64_t kVars = 0xffffffff82000000ULL;
  static constexpr uint64_t kBuf = 0xffffffff82100000ULL;
  FakeKernelMemory& mem;
  uint32_t len;
  uint32_t next = 0;
  std::vector<uint32_t> starts;  // index of each record written

  LogBufBuilder(FakeKernelMemory& m, uint32_t buf_len) : mem(m), len(buf_len) {
    mem.add(kVars, 32);
    mem.add(kBuf, buf_len);
    mem.put<uint64_t>(kVars, kBuf);
    mem.put<uint32_t>(kVars + 8, buf_len);
    set_first(0);
    sync();
  }
  void set_first(uint32_t first) { mem.put<uint32_t>(kVars + 0x10, first); }
  void sync() { mem.put<uint32_t>(kVars + 0x18, next); }
  void add(uint64_t ts, const std::string& text, const std::string& dict = "") {
    uint32_t size = static_cast<uint32_t>((16 + text.size() + dict.size() + 7) & ~7ULL);
    if (next + size + 16 > len) {
      std::vector<uint8_t> zero(16, 0);
      mem.put_bytes(kBuf + next, zero.data(), zero.size());
      next = 0;
    }
    uint64_t r = kBuf + next;
    mem.put<uint64_t>(r, ts);
    mem.put<uint16_t>(r + 8, static_cast<uint16_t>(size));
    mem.put<uint16_t>(r + 10, static_cast<uint16_t>(text.size()));
    mem.put<uint16_t>(r + 12, static_cast<uint16_t>(dict.size()));
    mem.put_bytes(r + 16, text.data(), text.size());
    mem.put_bytes(r + 16 + text.size(), dict.data(), dict.size());
    starts.push_back(next);
    next += size;
    sync();
  }
};

}  // namespace kdk::dmesg::testing
