// Subcommands register themselves: each cli/cmd_<name>.cc defines one or
// more with KDK_SUBCOMMAND, so adding a subcommand is adding a file.
#pragma once

#include <string>
#include <vector>

#include "cli/options.h"
#include "util/result.h"

namespace kdk::cli {

struct Subcommand {
  int order;  // position in --help
  Command command;
  int (*run)(const std::vector<std::string>& positional);
};

void register_subcommand(Subcommand (*make)());
std::vector<Subcommand> subcommands();  // sorted by order

// Logs the error (if any) and returns the exit status: 0 or 1.
int report(const Status& s);

// Logs a usage error (wrong arguments or option values) and returns 2, the
// exit status of every usage error.
int usage_error(const Error& e);

struct Registrar {
  explicit Registrar(Subcommand (*make)()) { register_subcommand(make); }
};

}  // namespace kdk::cli

#define KDK_SUBCOMMAND_CAT2(a, b) a##b
#define KDK_SUBCOMMAND_CAT(a, b) KDK_SUBCOMMAND_CAT2(a, b)
// KDK_SUBCOMMAND(make_fn): registers the Subcommand returned by make_fn().
#define KDK_SUBCOMMAND(make_fn) \
  static ::kdk::cli::Registrar KDK_SUBCOMMAND_CAT(kdk_registrar_, __LINE__)(make_fn)
