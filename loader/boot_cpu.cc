#include "loader/boot_cpu.h"

#include <string>

#include "util/text.h"

namespace kdk::loader {

std::optional<unsigned> boot_cpu_apicid(std::string_view cpuinfo) {
  bool in_cpu0 = false;
  for (std::string_view line : lines(cpuinfo)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "processor") {
      in_cpu0 = value == "0";
    } else if (in_cpu0 && key == "apicid") {
      unsigned long long id = 0;
      if (!parse_u64(value, id) || id > 0xffffffffULL) return std::nullopt;
      return static_cast<unsigned>(id);
    }
  }
  return std::nullopt;
}

}  // namespace kdk::loader
