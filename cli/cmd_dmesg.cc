// dmesg: the crashed kernel's log from a vmcore (vmcore-dmesg's job).
#include "cli/registry.h"
#include "engine/dmesg/vmcore_dmesg.h"

namespace kdk::cli {
namespace {

std::string g_output;
bool g_no_caller_id = false;

Subcommand make_dmesg() {
  return {65,
          {"dmesg",
           "Print the crashed kernel's log from a vmcore (/proc/vmcore, an ELF vmcore or a kdump-compressed "
           "file), line for line "
           "as makedumpfile --dump-dmesg writes it.",
           "VMCORE",
           {{"output", 'o', "FILE", "write the log to FILE (default: standard output)", &g_output},
            {"no-caller-id", 0, nullptr,
             "leave out each record's caller (T<pid> or C<cpu>), as makedumpfile before 1.7.5 (Debian 12's "
             "1.7.2) does",
             nullptr, &g_no_caller_id}}},
          [](const std::vector<std::string>& positional) {
            if (positional.size() != 1)
              return usage_error(Error{"dmesg: needs VMCORE (see kdumpkit dmesg --help)"});
            dmesg::DmesgRequest request;
            request.vmcore = positional[0];
            request.output = g_output;
            request.read.caller_id = !g_no_caller_id;
            return report(dmesg::run_dmesg(request));
          }};
}

KDK_SUBCOMMAND(make_dmesg);

}  // namespace
}  // namespace kdk::cli
