// libFuzzer target for engine/dmesg: arbitrary bytes as the crashed kernel's
// memory (and, in one mode, as VMCOREINFO) under read_kernel_log().
//
// Input: byte 0 chooses the mode:
//   bit 0: 0 = printk_ringbuffer (6.1 VMCOREINFO), 1 = printk_log (5.4)
//   bit 1: VMCOREINFO comes from the input, up to the first NUL, instead
//   bit 2: print caller ids
// The remaining bytes are memory: they repeat over a 64 KiB window at
// kBase, so that any pointer into the window is readable (this reaches the
// walkers with arbitrary ring geometry); everything else is unreadable.
// Seeds: tests/fuzz/make_printk_seeds.py. Build and run: tests/fuzz/build.sh.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/dmesg/read_kernel_log.h"
#include "util/format.h"

namespace {

using namespace kdk;

constexpr uint64_t kBase = 0xffffffff81000000ULL;
constexpr uint64_t kWindow = 1 << 16;

class FuzzMemory final : public kernel::KernelMemory {
 public:
  explicit FuzzMemory(std::string_view image) : image_(image) {}
  Result<uint64_t> virt_to_phys(uint64_t va) override {
    if (va < kBase || va - kBase >= kWindow || image_.empty()) return Error{"unmapped"};
    return va - kBase;
  }
  Status read(uint64_t va, void* out, size_t len) override {
    if (image_.empty() || va < kBase || va - kBase > kWindow || kWindow - (va - kBase) < len)
      return Error{format("unmapped 0x%llx", static_cast<unsigned long long>(va))};
    auto* dst = static_cast<uint8_t*>(out);
    size_t off = (va - kBase) % image_.size();
    while (len > 0) {
      size_t n = std::min(len, image_.size() - off);
      std::memcpy(dst, image_.data() + off, n);
      dst += n;
      len -= n;
      off = 0;
    }
    return {};
  }
  vmcore::PhysicalMemory& physical() override { __builtin_trap(); }

 private:
  std::string_view image_;
};

const std::string& ringbuffer_info() {
  static const std::string s = format("SYMBOL(prb)=%llx\n", static_cast<unsigned long long>(kBase)) +
                               "SIZE(printk_ringbuffer)=88\n"
                               "OFFSET(printk_ringbuffer.desc_ring)=0\n"
                               "OFFSET(printk_ringbuffer.text_data_ring)=48\n"
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
                               "OFFSET(printk_info.ts_nsec)=8\n"
                               "OFFSET(printk_info.text_len)=16\n"
                               "OFFSET(printk_info.caller_id)=20\n"
                               "SIZE(prb_data_ring)=32\n"
                               "OFFSET(prb_data_ring.size_bits)=0\n"
                               "OFFSET(prb_data_ring.data)=8\n"
                               "SIZE(atomic_long_t)=8\n"
                               "OFFSET(atomic_long_t.counter)=0\n";
  return s;
}

const std::string& log_buf_info() {
  static const std::string s = format(
      "SYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\nSYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%"
      "llx\n"
      "SIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\nOFFSET(printk_log.len)=8\n"
      "OFFSET(printk_log.text_len)=10\nOFFSET(printk_log.dict_len)=12\n",
      static_cast<unsigned long long>(kBase), static_cast<unsigned long long>(kBase + 8),
      static_cast<unsigned long long>(kBase + 16), static_cast<unsigned long long>(kBase + 24));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view info_text = (mode & 1) ? log_buf_info() : ringbuffer_info();
  if (mode & 2) {
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos || nul > 8192) return 0;
    info_text = rest.substr(0, nul);
    rest.remove_prefix(nul + 1);
  }
  FuzzMemory mem(rest);
  auto info = vmcore::VmcoreInfo::parse(info_text);
  dmesg::ReadOptions options;
  options.caller_id = (mode & 4) != 0;
  auto log = dmesg::read_kernel_log(mem, info, options);
  if (log) {
    // Touch everything the callers use.
    volatile size_t sink = log->text().size() + log->panic_line().size() + log->damage_summary().size();
    (void)sink;
  } else {
    volatile size_t sink = log.error().message.size();
    (void)sink;
  }
  return 0;
}
