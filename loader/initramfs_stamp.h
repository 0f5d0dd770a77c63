// Whether the capture initramfs must be rebuilt: a small stamp beside the
// image records a SHA-256 of each input (kernel release, configuration text,
// this binary, the module files chosen, the load record) and the archive's
// compression. The image is
// rebuilt when any of them differs, and the message says which.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::loader {

struct StampInputs {
  std::string kernel_release;
  std::string config_text;
  std::string binary_path;
  std::vector<std::string> module_paths;  // host paths of the module files carried
  std::string load_record;                // serialized
  std::vector<std::string> carried_files;  // CA bundles and credentials carried
  std::string compression;                 // "zstd" or "uncompressed" (recorded as it is)
};

// "kernel_release = <sha256>\nconfig = ...\nbinary = ...\nmodules = ...\nload_record = ...\n"
Result<std::string> make_stamp(const StampInputs& inputs);

// The names of the inputs whose digest differs between two stamps; an empty
// or unreadable old stamp gives {"no stamp"}.
std::vector<std::string> stamp_changes(const std::string& old_stamp, const std::string& new_stamp);

// SHA-256 of a file's bytes, read in pieces.
Result<std::string> sha256_file(const std::string& path);

}  // namespace kdk::loader
