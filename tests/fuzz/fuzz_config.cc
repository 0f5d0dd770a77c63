// Fuzz target: the configuration grammar, the key table and the kernel
// command-line overrides (a bad config must be refused, never crash load).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "config/load_record.h"
#include "loader/capture_cmdline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cfg = kdk::config::parse_config(text, "fuzz.conf");
  if (cfg) (void)kdk::config::apply_command_line_overrides(*cfg, text);
  (void)kdk::config::parse_load_record(text, "load.conf");
  (void)kdk::loader::capture_cmdline(text, text);
  return 0;
}
