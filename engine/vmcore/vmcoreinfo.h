// VMCOREINFO: the "KEY=VALUE" lines the crashed kernel exported for dump
// tools (OSRELEASE, PAGESIZE, CRASHTIME, SYMBOL(...), OFFSET(...), ...).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace kdk::vmcore {

class VmcoreInfo {
 public:
  static VmcoreInfo parse(std::string_view text);

  std::optional<std::string> get(const std::string& key) const;
  // Decimal by default; SYMBOL() and ADDRESS-like keys are hex: pass base 16.
  std::optional<uint64_t> number(const std::string& key, int base = 10) const;
  // Decimal that may be negative (NUMBER(phys_base) is, on some kernels).
  std::optional<int64_t> signed_number(const std::string& key) const;

  // Typed accessors with errors that say what is missing.
  Result<std::string> os_release() const;
  Result<int64_t> crash_time() const;  // seconds since the epoch, from CRASHTIME

  const std::string& text() const { return text_; }
  size_t size() const { return values_.size(); }

  // A kernel writes each key once. A key given again with another value
  // cannot be trusted either way: parse() leaves it out (unknown, as if
  // absent) and lists it here, one line each.
  const std::vector<std::string>& contradictions() const { return contradictions_; }
  // Leaves a key out, as if absent (a value no kernel can have).
  void forget(const std::string& key) {
    values_.erase(key);
    forgotten_.push_back(key);
  }
  // Keys left out (contradicted or forgotten): dump writers mark them in
  // the copy of VMCOREINFO they write, so that readers do not trust them.
  const std::vector<std::string>& forgotten() const { return forgotten_; }

 private:
  std::string text_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> contradictions_;
  std::vector<std::string> forgotten_;
};

}  // namespace kdk::vmcore
