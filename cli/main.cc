// kdumpkit's front end: finds the subcommand and calls it. When the binary
// runs as PID 1 (the capture initramfs's /init) it runs the capture sequence.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "agent/init_process.h"
#include "agent/test_switches.h"
#include "cli/registry.h"
#include "util/log.h"
#include "util/version.h"

namespace kdk::cli {
namespace {

void print_main_help(const std::vector<Subcommand>& cmds) {
  std::printf(
      "usage: kdumpkit <subcommand> [options]\n\n"
      "kdumpkit saves the memory of a crashed Linux kernel (kdump).\n\nsubcommands:\n");
  for (const auto& c : cmds) std::printf("  %-12s %s\n", c.command.name, c.command.summary);
  std::printf("\nkdumpkit <subcommand> --help shows its options; --version the version.\n");
}

int run(const Subcommand& c, int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("kdumpkit %s\n", KDUMPKIT_VERSION);
      return 0;
    }
  }
  bool help = false;
  auto positional = parse_options(c.command, argc, argv, 2, help);
  if (!positional) {
    log::error("%s", positional.error().message.c_str());
    return 2;
  }
  if (help) {
    std::fputs(usage(c.command).c_str(), stdout);
    return 0;
  }
  if (!positional->empty() && c.command.positional[0] == 0) {
    log::error("%s: unexpected argument \"%s\" (see kdumpkit %s --help)", c.command.name,
               (*positional)[0].c_str(), c.command.name);
    return 2;
  }
  return c.run(*positional);
}

}  // namespace

int main_entry(int argc, char** argv) {
#ifdef KDK_TEST_BUILD
  agent::enable_test_switches();
#endif
  if (::getpid() == 1) {
    // The capture initramfs's /init: the kernel passes no subcommand.
    if (agent::in_capture_kernel()) agent::run_as_init(agent::CapturePaths{});
    log::warn(
        "PID 1 outside a capture kernel (no /proc/vmcore, or no elfcorehdr= on the command line): "
        "no capture, no reboot; running as the command line tool");
  }
  auto cmds = subcommands();
  if (argc < 2) {
    print_main_help(cmds);
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_main_help(cmds);
    return 0;
  }
  if (name == "--version") {
    std::printf("kdumpkit %s\n", KDUMPKIT_VERSION);
    return 0;
  }
  for (const auto& c : cmds) {
    if (name == c.command.name) return run(c, argc, argv);
  }
  log::error("unknown subcommand \"%s\" (see kdumpkit --help)", name.c_str());
  return 2;
}

}  // namespace kdk::cli

int main(int argc, char** argv) { return kdk::cli::main_entry(argc, argv); }
