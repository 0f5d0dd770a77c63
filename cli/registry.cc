#include "cli/registry.h"

#include <algorithm>

#include "util/log.h"

namespace kdk::cli {

namespace {
std::vector<Subcommand (*)()>& makers() {
  static std::vector<Subcommand (*)()> list;
  return list;
}
}  // namespace

void register_subcommand(Subcommand (*make)()) { makers().push_back(make); }

std::vector<Subcommand> subcommands() {
  std::vector<Subcommand> out;
  for (auto make : makers()) out.push_back(make());
  std::stable_sort(out.begin(), out.end(), [](const Subcommand& a, const Subcommand& b) { return a.order < b.order; });
  return out;
}

int report(const Status& s) {
  if (s) return 0;
  log::error("%s", s.error().message.c_str());
  return 1;
}

int usage_error(const Error& e) {
  log::error("%s", e.message.c_str());
  return 2;
}

}  // namespace kdk::cli
