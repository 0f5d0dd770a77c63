#include "agent/test_switches.h"

namespace kdk::agent {

namespace {
bool g_enabled = false;
}  // namespace

void enable_test_switches() { g_enabled = true; }
bool test_switches_enabled() { return g_enabled; }

std::optional<std::string> test_switch(std::string_view cmdline, std::string_view name) {
  if (!g_enabled) return std::nullopt;
  const std::string prefix = "kdumpkit_test." + std::string(name) + "=";
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && (cmdline[i] == ' ' || cmdline[i] == '\n' || cmdline[i] == '\t')) ++i;
    size_t end = i;
    while (end < cmdline.size() && cmdline[end] != ' ' && cmdline[end] != '\n' && cmdline[end] != '\t') ++end;
    std::string_view word = cmdline.substr(i, end - i);
    if (word.substr(0, prefix.size()) == prefix) return std::string(word.substr(prefix.size()));
    i = end;
  }
  return std::nullopt;
}

}  // namespace kdk::agent
