// savecore: the boot after a crash, a raw partition's dump into a crash directory.
#include <cstdio>

#include "cli/registry.h"
#include "loader/savecore.h"
#include "util/log.h"

namespace kdk::cli {
namespace {

loader::SavecoreOptions g_savecore;
bool g_keep_header = false;

Subcommand make_savecore() {
  return {45,
          {"savecore",
           "Save a dump left on a raw partition (raw: targets) into DIR/<host>-<date>/ as vmcore, "
           "vmcore-dmesg.txt, kdumpkit.log and metadata.json, then mark it saved. Without DEVICE, every raw "
           "target of the configuration. Exit 0 also when there is nothing to save.",
           "[DEVICE...]",
           {{"config", 'c', "FILE", "configuration (default /etc/kdumpkit.conf)", &g_savecore.config_path},
            {"dir", 'd', "DIR", "where crash directories go (default /var/crash)", &g_savecore.directory},
            {"keep-header", 0, nullptr, "do not mark the dump saved (it is saved again next time)", nullptr,
             &g_keep_header}}},
          [](const std::vector<std::string>& positional) {
            g_savecore.devices = positional;
            g_savecore.clear = !g_keep_header;
            auto results = loader::run_savecore(g_savecore);
            if (!results) return report(results.error());
            if (results->empty()) log::info("savecore: no raw targets configured");
            int rc = 0;
            for (const auto& r : *results) {
              switch (r.kind) {
                case loader::SavecoreResult::kNothing:
                  log::info("%s: %s", r.device.c_str(), r.detail.c_str());
                  break;
                case loader::SavecoreResult::kSaved:
                case loader::SavecoreResult::kLogOnly:
                case loader::SavecoreResult::kInterrupted:
                  if (r.directory.empty()) {  // an interrupted capture that left nothing to save
                    log::info("%s: nothing saved: %s", r.device.c_str(), r.detail.c_str());
                    break;
                  }
                  log::info("%s: saved to %s (%s) in %.1f s", r.device.c_str(), r.directory.c_str(),
                            r.detail.c_str(), r.seconds);
                  std::printf("%s\n", r.directory.c_str());
                  break;
                case loader::SavecoreResult::kFailed:
                  log::error("%s: %s", r.device.c_str(), r.detail.c_str());
                  rc = 1;
                  break;
              }
            }
            return rc;
          }};
}

KDK_SUBCOMMAND(make_savecore);

}  // namespace
}  // namespace kdk::cli
