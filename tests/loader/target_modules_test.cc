#include "loader/target_modules.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "util/fd.h"

using kdk::loader::modules_for_targets;
using kdk::loader::watchdog_modules;

namespace {

// A sysfs tree as the kernel lays it out for a PCI watchdog (QEMU's
// i6300esb) and a built-in one (no module link).
struct FakeSysfs {
  std::string root;
  FakeSysfs() {
    char tmpl[] = "/tmp/kdk-sysfs-XXXXXX";
    root = ::mkdtemp(tmpl);
    run("mkdir -p " + root + "/class/watchdog " + root +
        "/devices/pci0000:00/0000:00:04.0/watchdog/watchdog0 " + root +
        "/devices/platform/softdog/watchdog/watchdog1 " + root + "/bus/pci/drivers/i6300esb " + root +
        "/module/i6300esb");
    link("../../../../module/i6300esb", "/bus/pci/drivers/i6300esb/module");
    link("../../../bus/pci/drivers/i6300esb", "/devices/pci0000:00/0000:00:04.0/driver");
    link("../../devices/pci0000:00/0000:00:04.0/watchdog/watchdog0", "/class/watchdog/watchdog0");
    link("../../devices/platform/softdog/watchdog/watchdog1", "/class/watchdog/watchdog1");
  }
  ~FakeSysfs() { run("rm -rf " + root); }
  void link(const std::string& to, const std::string& at) const {
    REQUIRE(::symlink(to.c_str(), (root + at).c_str()) == 0);
  }
  static void run(const std::string& cmd) { REQUIRE(std::system(cmd.c_str()) == 0); }
};

}  // namespace

TEST_CASE("the watchdog's driver module is carried without extra_modules", "[loader]") {
  FakeSysfs sys;
  CHECK(watchdog_modules(sys.root + "/class/watchdog") == std::vector<std::string>{"i6300esb"});
  kdk::config::Config c;
  c.extra_modules = {"virtio_net", "i6300esb"};
  CHECK(modules_for_targets(c, {}, sys.root + "/class/watchdog") ==
        std::vector<std::string>{"i6300esb", "virtio_net"});
  // No watchdog class at all (no driver loaded): nothing to add.
  CHECK(watchdog_modules(sys.root + "/class/none").empty());
}
