// The dump engine's entry points: `kdumpkit dump` and `kdumpkit reassemble`
// on the command line, and what the capture sequence calls to write the
// vmcore to a target (any Sink: a file, or a flattened stream).
#pragma once

#include <memory>
#include <string>

#include "engine/dump/dump_input.h"
#include "engine/dump/sink.h"
#include "engine/dump/writer_options.h"
#include "engine/format/page_filter.h"
#include "engine/kernel/kernel_memory.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "util/result.h"

namespace kdk::dump {

enum class DumpFormat {
  kdump,  // kdump-compressed (makedumpfile's default)
  elf,    // ELF core (makedumpfile -E)
  flat,   // kdump-compressed as a flattened stream (makedumpfile -F)
};

Result<DumpFormat> parse_dump_format(const std::string& name);

struct DumpOptions {
  std::string input;   // /proc/vmcore, an ELF vmcore file, or a kdump-compressed file (refiltered)
  std::string output;  // a file; "-" = stdout (always flattened)
  DumpFormat format = DumpFormat::kdump;
  int dump_level = 31;
  Compression compression = Compression::zstd;
  unsigned threads = 0;                 // 0 = CPUs online
  uint64_t memory_bytes = 64ULL << 20;  // bitmaps + buffers + compression pipeline
  bool quiet = false;
};

// `kdumpkit dump`: opens the input, filters, writes the output file or stdout.
Status run_dump(const DumpOptions& options);

// What the capture sequence calls: the vmcore in `options.format` (kdump or
// elf; flat means kdump) to `sink`. A kdump-compressed `core` is refiltered:
// its pages at the level options.dump_level | its own level (kdump or flat
// output only; see engine/dump/refilter.h) — a FileSink for a seekable target, a
// FlatSink for a stream. The caller finishes nothing: this calls
// sink.finish() on success.
Result<DumpStats> dump_vmcore(const vmcore::VmcoreFile& core, const DumpOptions& options, Sink& sink);

// The crashed kernel as the struct-page classifier reads it; kept alive for
// the whole write. Empty when the kernel's data could not be understood.
struct KernelModel {
  std::unique_ptr<vmcore::PhysicalMemory> phys;
  std::unique_ptr<kernel::KernelMemory> memory;
};

// The page filter for `level`: the struct-page classifier (engine/classify/).
// When the kernel model cannot be built (damaged or unknown kernel), every
// RAM page is kept — dumping too much costs bytes, too little loses the
// evidence — and the reason is recorded as damage.
Result<std::unique_ptr<PageFilter>> make_dump_filter(const vmcore::VmcoreFile& core, const DumpInput& in,
                                                     int level, KernelModel& model);

// `kdumpkit reassemble`: flattened stream (`-` = stdin) to a regular file.
Status run_reassemble(const std::string& input, const std::string& output);

}  // namespace kdk::dump
