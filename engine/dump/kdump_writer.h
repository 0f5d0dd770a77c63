// The kdump-compressed writer (makedumpfile's default format, header
// version 6). Works in cycles over pfn ranges so memory is bounded:
//   pass 1: filter every cycle, count bitmap2 bits, write bitmap1;
//   pass 2: filter again, write bitmap2;
//   pass 3: filter again, compress and write the dumped pages.
// makedumpfile needs the count before the page descriptors too; the extra
// bitmap pass keeps the byte stream in file order at any memory budget, so
// the flattened output is as deterministic as the regular one.
#pragma once

#include "engine/dump/dump_input.h"
#include "engine/dump/sink.h"
#include "engine/dump/writer_options.h"
#include "engine/format/page_filter.h"

namespace kdk::dump {

Result<DumpStats> write_kdump(const DumpInput& in, PageFilter& filter, const WriteOptions& options,
                              Sink& sink);

// The two header blocks' contents for `in` (exposed for tests).
DiskDumpHeader make_disk_dump_header(const DumpInput& in, const KdumpGeometry& g, Compression c);
KdumpSubHeader make_sub_header(const DumpInput& in, const KdumpGeometry& g, int dump_level);

}  // namespace kdk::dump
