// Fuzz target: the ELF core header, program headers, notes and VMCOREINFO
// parsers on arbitrary bytes (what a damaged /proc/vmcore could hold), and
// the PT_LOAD consistency checks over the input as the file they read.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/vmcore/elf_core.h"
#include "engine/vmcore/load_consistency.h"
#include "engine/vmcore/vmcoreinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto layout = kdk::vmcore::parse_elf_header(bytes, size);
  if (layout) {
    uint64_t table = static_cast<uint64_t>(layout->phnum) * kdk::vmcore::kProgramHeaderSize;
    if (layout->phoff <= size && table <= size - layout->phoff) {
      auto ph = bytes.subspan(static_cast<size_t>(layout->phoff), static_cast<size_t>(table));
      if (kdk::vmcore::parse_program_headers(*layout, ph, size)) {
        static const int fd = memfd_create("fuzz_elf_core", 0);
        if (fd >= 0 && ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == static_cast<ssize_t>(size))
          (void)kdk::vmcore::check_load_consistency(layout->loads, fd, 4096);
        for (const auto& n : layout->notes) {
          // A PT_NOTE past the end of the input is kept with no bytes
          // (missing_bytes says how many are gone): nothing to walk.
          if (n.file_offset > size || n.size > size - n.file_offset) continue;
          auto notes = kdk::vmcore::parse_notes(bytes.subspan(n.file_offset, n.size));
          if (!notes) continue;
          for (const auto& note : *notes) {
            auto info = kdk::vmcore::VmcoreInfo::parse(
                std::string_view(reinterpret_cast<const char*>(note.desc.data()), note.desc.size()));
            (void)info.crash_time();
            (void)info.number("SYMBOL(init_uts_ns)", 16);
          }
        }
      }
    }
  }
  // The notes walker and VMCOREINFO parser on the raw input too.
  (void)kdk::vmcore::parse_notes(bytes);
  (void)kdk::vmcore::VmcoreInfo::parse(std::string_view(reinterpret_cast<const char*>(data), size))
      .os_release();
  return 0;
}
