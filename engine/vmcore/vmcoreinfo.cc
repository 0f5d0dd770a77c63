#include "engine/vmcore/vmcoreinfo.h"

#include <map>

#include "util/text.h"

namespace kdk::vmcore {

VmcoreInfo VmcoreInfo::parse(std::string_view text) {
  VmcoreInfo info;
  // The note may carry trailing NULs; stop at the first.
  size_t nul = text.find('\0');
  if (nul != std::string_view::npos) text = text.substr(0, nul);
  info.text_ = std::string(text);
  std::map<std::string, std::string> contradicted;
  for (std::string_view line : lines(text)) {
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(line.substr(0, eq)), value(line.substr(eq + 1));
    auto [it, fresh] = info.values_.emplace(key, value);
    if (!fresh && it->second != value && !contradicted.count(key))
      contradicted.emplace(key, it->second + ", then " + value);
  }
  for (const auto& [key, values] : contradicted) {
    info.values_.erase(key);
    info.forgotten_.push_back(key);
    info.contradictions_.push_back("VMCOREINFO gives " + key + " twice (" + values + "): treated as unknown");
  }
  return info;
}

std::optional<std::string> VmcoreInfo::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> VmcoreInfo::number(const std::string& key, int base) const {
  auto v = get(key);
  if (!v) return std::nullopt;
  unsigned long long n = 0;
  std::string_view s = *v;
  if (base == 16 && s.rfind("0x", 0) == 0) s.remove_prefix(2);
  if (!parse_u64(s, n, base)) return std::nullopt;
  return n;
}

std::optional<int64_t> VmcoreInfo::signed_number(const std::string& key) const {
  auto v = get(key);
  if (!v || v->empty()) return std::nullopt;
  std::string_view s = *v;
  bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  unsigned long long n = 0;
  if (!parse_u64(s, n) || n > (1ULL << 63)) return std::nullopt;
  if (!negative && n == (1ULL << 63)) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
}

Result<std::string> VmcoreInfo::os_release() const {
  auto v = get("OSRELEASE");
  if (!v || v->empty()) return Error{"VMCOREINFO has no OSRELEASE"};
  return *v;
}

Result<int64_t> VmcoreInfo::crash_time() const {
  auto v = number("CRASHTIME");
  if (!v) {
    auto raw = get("CRASHTIME");
    return Error{raw ? "VMCOREINFO CRASHTIME \"" + *raw + "\" is not a number"
                     : std::string("VMCOREINFO has no CRASHTIME")};
  }
  return static_cast<int64_t>(*v);
}

}  // namespace kdk::vmcore
