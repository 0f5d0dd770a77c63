// VMCOREINFO: the "KEY=VALUE" lines the crashed kernel exported for dump
// tools (OSRELEASE, PAGESIZE, CRASHTIME, SYMBOL(...), OFFSET(...), ...).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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

 private:
  std::string text_;
  std::map<std::string, std::string> values_;
};

}  // namespace kdk::vmcore
