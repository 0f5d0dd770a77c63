// The dumps already on a disk target, from each crash directory's
// metadata.json (written last by the capture agent): what `status` shows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::loader {

struct DumpSummary {
  std::string directory;  // the crash directory's name
  std::string host;
  std::string kernel_release;
  int64_t crash_time = 0;  // seconds since the epoch
  std::string crash_time_utc;
  std::string panic_line;
  uint64_t size = 0;  // bytes of the files metadata.json lists
  bool complete = false;
  bool has_metadata = false;  // false: the capture never finished writing it
  uint64_t peak_rss_kib = 0;  // the capture's peak RSS (0: not recorded)
};

// Reads the fields above from metadata.json's text; other fields are skipped.
Result<DumpSummary> parse_metadata(std::string_view json);

// Every crash directory under `dir`, newest first (by crash time, or the
// directory's mtime when it has no metadata.json), at most `limit`.
std::vector<DumpSummary> find_dumps(const std::string& dir, size_t limit);

// "2026-11-26 12:00:01 UTC kdk-guest 812 MiB complete: Kernel panic - ..."
std::string describe_dump(const DumpSummary& d);

}  // namespace kdk::loader
