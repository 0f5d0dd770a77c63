// reassemble: flattened stream to a regular kdump file (makedumpfile -R).
#include "cli/registry.h"
#include "engine/dump/dump.h"

namespace kdk::cli {
namespace {

Subcommand make_reassemble() {
  return {70,
          {"reassemble",
           "Rebuild a regular dump file from a flattened stream (FLAT '-' reads stdin).",
           "FLAT OUTPUT",
           {}},
          [](const std::vector<std::string>& positional) {
            if (positional.size() != 2) {
              return usage_error(Error{"reassemble: needs FLAT and OUTPUT (see kdumpkit reassemble --help)"});
            }
            return report(dump::run_reassemble(positional[0], positional[1]));
          }};
}

KDK_SUBCOMMAND(make_reassemble);

}  // namespace
}  // namespace kdk::cli
