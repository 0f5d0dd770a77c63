// The ELF core header a crash kexec_load hands the capture kernel
// (elfcorehdr=), which /proc/vmcore is built from: as the kernel's own
// crash_prepare_elf64_headers() lays it out, one PT_NOTE per CPU
// (crash_notes), one PT_NOTE for VMCOREINFO, one PT_LOAD for the kernel
// text mapping and one PT_LOAD per dumpable RAM range (p_vaddr in the
// direct map). Pure; also the reader of /proc/kcore's program headers that
// finds the kernel text mapping and the direct map's base.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "loader/memory_ranges.h"
#include "util/result.h"

namespace kdk::loader {

struct KernelMapping {
  uint64_t text_vaddr = 0;   // _text
  uint64_t text_paddr = 0;   // __pa_symbol(_text)
  uint64_t text_size = 0;    // _end - _text
  uint64_t page_offset = 0;  // __va(0): the direct map's base
};

struct CoreHeaderInputs {
  std::vector<Range> cpu_notes;  // per CPU: its crash_notes address and size
  Range vmcoreinfo;              // the VMCOREINFO note
  KernelMapping kernel;          // text_size 0: no kernel text PT_LOAD
  std::vector<Range> ram;        // dumpable_ram()
};

// The header's bytes, padded to whole pages (the segment's size).
std::vector<uint8_t> build_elf_core_header(const CoreHeaderInputs& in);

// The kernel text mapping and the direct map's base from /proc/kcore's ELF
// header and program headers (`headers`: at least e_phoff + e_phnum *
// e_phentsize bytes from the start of /proc/kcore; `needed` tells how many
// when it is too short).
struct KcoreParse {
  KernelMapping mapping;
  size_t needed = 0;  // > 0: give this many bytes and parse again
};
Result<KcoreParse> parse_kcore_headers(std::span<const uint8_t> headers);

}  // namespace kdk::loader
