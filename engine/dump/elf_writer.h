// ELF core output (makedumpfile -E): the input's ELF header and PT_NOTE,
// then PT_LOADs split around excluded pages. As makedumpfile does, a run of
// fewer than 256 excluded pages is kept in the file (a new program header
// costs more than the pages), a longer run ends the segment: its memsz
// still covers the run and the next segment starts at the next dumped page.
// Zero pages (-d bit 1) are found by reading the pages while the segments
// are laid out. Pages are stored uncompressed.
#pragma once

#include "engine/dump/dump_input.h"
#include "engine/dump/sink.h"
#include "engine/dump/writer_options.h"
#include "engine/format/page_filter.h"

namespace kdk::dump {

inline constexpr uint64_t kElfExcludedRunMin = 256;

Result<DumpStats> write_elf(const DumpInput& in, PageFilter& filter, const WriteOptions& options, Sink& sink);

}  // namespace kdk::dump
