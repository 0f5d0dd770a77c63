#include "targets/dm_table.h"

#include <linux/dm-ioctl.h>

#include <cstring>

#include "util/format.h"
#include "util/text.h"

namespace kdk::targets {

namespace {

bool is_device_word(const std::string& w) {
  size_t colon = w.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == w.size()) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (i != colon && (w[i] < '0' || w[i] > '9')) return false;
  }
  return true;
}

// Splits on single spaces keeping the words' order (tables are space separated).
std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  for (auto& w : split_words(s)) out.push_back(std::string(w));
  return out;
}

}  // namespace

std::string DmTarget::to_line() const {
  return format("%llu %llu %s%s%s", static_cast<unsigned long long>(start),
                static_cast<unsigned long long>(length), type.c_str(), params.empty() ? "" : " ",
                params.c_str());
}

Result<DmTarget> parse_dm_target_line(const std::string& line) {
  auto w = words_of(line);
  DmTarget t;
  unsigned long long start = 0, length = 0;
  if (w.size() < 3 || !parse_u64(w[0], start) || !parse_u64(w[1], length) || length == 0) {
    return Error{"device-mapper table line \"" + line + "\": want START LENGTH TYPE [PARAMS]"};
  }
  if (w[2].size() >= DM_MAX_TYPE_NAME) return Error{"device-mapper target type too long: " + w[2]};
  t.start = start;
  t.length = length;
  t.type = w[2];
  for (size_t i = 3; i < w.size(); ++i) t.params += (i > 3 ? " " : "") + w[i];
  return t;
}

std::vector<std::string> dm_device_words(const std::string& params) {
  std::vector<std::string> out;
  for (auto& w : words_of(params)) {
    if (is_device_word(w)) out.push_back(w);
  }
  return out;
}

Result<std::string> rewrite_dm_devices(
    const std::string& params, const std::function<std::optional<std::string>(const std::string&)>& map) {
  std::string out;
  for (auto& w : words_of(params)) {
    std::string word = w;
    if (is_device_word(w)) {
      auto m = map(w);
      if (!m) return Error{"no stable name for device " + w + " in table \"" + params + "\""};
      word = *m;
    }
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::vector<uint8_t> encode_dm_targets(const std::vector<DmTarget>& targets) {
  std::vector<uint8_t> out;
  for (const auto& t : targets) {
    const size_t at = out.size();
    size_t size = sizeof(dm_target_spec) + t.params.size() + 1;
    size = (size + 7) & ~size_t{7};
    out.resize(at + size, 0);
    dm_target_spec spec{};
    spec.sector_start = t.start;
    spec.length = t.length;
    spec.next = static_cast<uint32_t>(size);
    std::strncpy(spec.target_type, t.type.c_str(), sizeof spec.target_type - 1);
    std::memcpy(&out[at], &spec, sizeof spec);
    std::memcpy(&out[at + sizeof spec], t.params.data(), t.params.size());
  }
  return out;
}

Result<std::vector<DmTarget>> decode_dm_targets(std::span<const uint8_t> data, uint32_t count) {
  std::vector<DmTarget> out;
  size_t at = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (at > data.size() || data.size() - at < sizeof(dm_target_spec)) {
      return Error{format("device-mapper table: target %u at offset %zu beyond the %zu bytes returned", i, at,
                          data.size())};
    }
    dm_target_spec spec;
    std::memcpy(&spec, &data[at], sizeof spec);
    const size_t params_at = at + sizeof spec;
    size_t end = spec.next > params_at && spec.next <= data.size() ? spec.next : data.size();
    if (i + 1 < count && (spec.next <= at || spec.next > data.size())) {
      return Error{format("device-mapper table: target %u: bad next offset %u", i, spec.next)};
    }
    const void* nul = std::memchr(&data[params_at], 0, end - params_at);
    if (!nul) return Error{format("device-mapper table: target %u: unterminated parameters", i)};
    DmTarget t;
    t.start = spec.sector_start;
    t.length = spec.length;
    t.type.assign(spec.target_type, strnlen(spec.target_type, sizeof spec.target_type));
    t.params.assign(reinterpret_cast<const char*>(&data[params_at]),
                    static_cast<const uint8_t*>(nul) - &data[params_at]);
    out.push_back(std::move(t));
    at = spec.next;
  }
  return out;
}

}  // namespace kdk::targets
