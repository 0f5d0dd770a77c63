// A small command-line option parser: --long VALUE, --long=VALUE, -s VALUE,
// flags, and positional arguments. Enough for kdumpkit's subcommands, and no
// iostreams (which the static musl product avoids).
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::cli {

struct Option {
  const char* long_name;    // without "--"
  char short_name;          // 0 when none
  const char* value_name;   // nullptr for a flag
  const char* help;
  std::string* value = nullptr;
  bool* flag = nullptr;
};

struct Command {
  const char* name;
  const char* summary;
  const char* positional;  // usage text for positional arguments, or ""
  std::vector<Option> options;
};

// Parses argv[first..]; fills the options' targets; returns the positional
// arguments. "--help" sets `help`.
Result<std::vector<std::string>> parse_options(const Command& command, int argc, char** argv,
                                               int first, bool& help);

std::string usage(const Command& command);

}  // namespace kdk::cli
