// kdumpkit's front end: parses arguments and calls one library function per
// subcommand. When it runs as PID 1 (the capture initramfs's /init) it runs
// the capture sequence instead.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/capture.h"
#include "agent/init_process.h"
#include "cli/options.h"
#include "loader/load.h"
#include "util/log.h"
#include "util/version.h"

namespace kdk::cli {
namespace {

int report(const Status& s) {
  if (s) return 0;
  log::error("%s", s.error().message.c_str());
  return 1;
}

void print_version() {
  std::printf("kdumpkit %s\n", KDUMPKIT_VERSION);
}

struct Subcommand {
  Command command;
  int (*run)(const std::vector<std::string>& positional);
};

// Option values live here; each subcommand's table points into them.
struct Values {
  loader::LoadOptions load;
  std::string state_dir = "/var/lib/kdumpkit";
  agent::CapturePaths capture;
  bool no_modules = false;
} v;

int run_load(const std::vector<std::string>&) {
  v.load.state_dir = v.state_dir;
  return report(loader::load(v.load));
}

int run_unload(const std::vector<std::string>&) { return report(loader::unload(v.state_dir)); }

int run_status(const std::vector<std::string>&) {
  auto loaded = loader::status(v.state_dir);
  if (!loaded) return report(loaded.error());
  return *loaded ? 0 : 3;
}

int run_initramfs(const std::vector<std::string>&) {
  return report(loader::build_initramfs_file(v.load.initramfs));
}

int run_capture(const std::vector<std::string>&) {
  v.capture.load_modules = !v.no_modules;
  if (::getpid() == 1) agent::run_as_init(v.capture);
  agent::CaptureOutcome outcome = agent::run_capture(v.capture);
  if (outcome.ok) {
    log::info("capture complete: %s", outcome.summary.c_str());
    return 0;
  }
  log::error("capture failed: %s", outcome.summary.c_str());
  return 1;
}

std::vector<Subcommand> subcommands() {
  auto& ld = v.load;
  auto& ir = v.load.initramfs;
  Option config{"config", 'c', "FILE", "configuration file (default /etc/kdumpkit.conf)", &ir.config_path};
  Option release{"kernel-release", 0, "RELEASE", "capture kernel release (default: the running one)",
                 &ir.kernel_release};
  Option modules{"modules-dir", 0, "DIR", "its modules (default /lib/modules/RELEASE)", &ir.modules_dir};
  Option state{"state-dir", 0, "DIR", "where load keeps its state (default /var/lib/kdumpkit)", &v.state_dir};
  return {
      {{"load", "Check the configuration and targets, build the capture initramfs and load the "
                "capture kernel (kexec_file_load).",
        "",
        {config,
         {"kernel", 'k', "FILE", "capture kernel image (default /boot/vmlinuz-RELEASE)", &ld.kernel},
         {"initramfs", 'i', "FILE", "use this initramfs instead of building one", &ld.prebuilt_initramfs},
         {"append", 'a', "ARGS", "add to the capture kernel's command line", &ld.append},
         {"command-line", 0, "ARGS", "replace the capture kernel's command line entirely", &ld.command_line},
         release, modules, state}},
       run_load},
      {{"unload", "Unload the capture kernel.", "", {state}}, run_unload},
      {{"status", "Show the reserved crash memory and what is loaded (exit 0 when armed, 3 when not).",
        "",
        {state}},
       run_status},
      {{"initramfs", "Build the capture initramfs (reproducible cpio newc archive).", "",
        {{"output", 'o', "FILE", "where to write it (required)", &ir.output}, config, release, modules,
         {"binary", 0, "FILE", "the kdumpkit binary to embed as /init (default: this one)", &ir.binary}}},
       run_initramfs},
      {{"capture", "Save the crashed kernel's memory to the configured targets. PID 1 of the capture "
                   "initramfs runs this automatically, then reboots.",
        "",
        {{"config", 'c', "FILE", "configuration (default /etc/kdumpkit.conf)", &v.capture.config},
         {"load-record", 0, "FILE", "what load recorded (default /etc/kdumpkit/load.conf)",
          &v.capture.load_record},
         {"vmcore", 0, "FILE", "the crashed kernel's memory (default /proc/vmcore)", &v.capture.vmcore},
         {"mount-dir", 0, "DIR", "where targets are mounted (default /kdumpkit/target)",
          &v.capture.mount_base},
         {"no-modules", 0, nullptr, "do not load kernel modules", nullptr, &v.no_modules}}},
       run_capture},
  };
}

void print_main_help(const std::vector<Subcommand>& cmds) {
  std::printf("usage: kdumpkit <subcommand> [options]\n\n"
              "kdumpkit saves the memory of a crashed Linux kernel (kdump).\n\nsubcommands:\n");
  for (const auto& c : cmds) std::printf("  %-12s %s\n", c.command.name, c.command.summary);
  std::printf("\nkdumpkit <subcommand> --help shows its options; --version the version.\n");
}

}  // namespace

int main_entry(int argc, char** argv) {
  auto cmds = subcommands();
  if (::getpid() == 1) {
    // The capture initramfs's /init: the kernel passes no subcommand.
    agent::run_as_init(v.capture);
  }
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
    print_version();
    return 0;
  }
  for (const auto& c : cmds) {
    if (name != c.command.name) continue;
    for (int i = 2; i < argc; ++i) {
      if (std::strcmp(argv[i], "--version") == 0) {
        print_version();
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
      log::error("%s: unexpected argument \"%s\"", c.command.name, (*positional)[0].c_str());
      return 2;
    }
    return c.run(*positional);
  }
  log::error("unknown subcommand \"%s\" (see kdumpkit --help)", name.c_str());
  return 2;
}

}  // namespace kdk::cli

int main(int argc, char** argv) { return kdk::cli::main_entry(argc, argv); }
