// Test helper: kernel virtual memory as a sparse set of byte ranges.
#pragma once

#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "engine/kernel/kernel_memory.h"
#include "util/format.h"

namespace kdk::testing {

class FakeKernelMemory : public kernel::KernelMemory {
 public:
  // Bytes at [vaddr, vaddr + data.size()); regions must not overlap.
  void put(uint64_t vaddr, const std::vector<uint8_t>& data) { regions_[vaddr] = data; }
  template <class T>
  void put_value(uint64_t vaddr, T v) {
    std::vector<uint8_t> b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    put(vaddr, b);
  }

  Result<uint64_t> virt_to_phys(uint64_t vaddr) override { return vaddr; }
  Status read(uint64_t vaddr, void* out, size_t len) override {
    auto it = regions_.upper_bound(vaddr);
    if (it != regions_.begin()) {
      --it;
      if (vaddr >= it->first && vaddr - it->first + len <= it->second.size()) {
        std::memcpy(out, it->second.data() + (vaddr - it->first), len);
        return {};
      }
    }
    return Error{format("fake: 0x%llx+%zu unmapped", static_cast<unsigned long long>(vaddr), len)};
  }
  vmcore::PhysicalMemory& physical() override { std::abort(); }

 private:
  std::map<uint64_t, std::vector<uint8_t>> regions_;
};

}  // namespace kdk::testing
