// `kdumpkit savecore`: on the boot after a crash, turns what the capture left
// on a raw partition (agent/raw_capture.h) into a regular crash directory,
// <dir>/<host>-<YYYY-MM-DD-HH:MM:SS>/ with vmcore (kdump-compressed, rebuilt
// from the flattened stream), vmcore-dmesg.txt, kdumpkit.log and
// metadata.json, each file committed atomically; then marks the header
// "saved" so the dump is not saved twice. Every region is checked against
// its SHA-256 first: a damaged dump is reported, not saved as if good.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::loader {

struct SavecoreOptions {
  std::vector<std::string> devices;  // empty: the raw targets of `config_path`
  std::string config_path = "/etc/kdumpkit.conf";
  std::string directory = "/var/crash";
  bool clear = true;  // mark the header saved afterwards
};

struct SavecoreResult {
  enum Kind {
    kNothing,      // no kdumpkit header, or already saved
    kSaved,        // a complete dump saved
    kLogOnly,      // the capture saved only the log and metadata (its reason in detail)
    kInterrupted,  // the capture did not finish; whatever verified was saved
    kFailed,       // corrupt header or region, or the crash directory could not be written
  } kind = kNothing;
  std::string device;
  std::string directory;  // the crash directory written, if any
  std::string detail;
  uint64_t vmcore_bytes = 0;
  double seconds = 0;
};

// One device.
SavecoreResult savecore_device(const std::string& device, const std::string& directory, bool clear);

// Every device of `options`; the error says why none could be looked at.
Result<std::vector<SavecoreResult>> run_savecore(const SavecoreOptions& options);

}  // namespace kdk::loader
