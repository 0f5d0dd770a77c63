#include "targets/superblock_probe.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "targets/block_devices.h"
#include "util/fd.h"

using namespace kdk::targets;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kdk-probe-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

// Makes a real filesystem image with the distribution's mkfs tool.
std::string make_image(const TempDir& dir, const std::string& name, const std::string& size,
                       const std::string& mkfs) {
  std::string path = dir.path + "/" + name;
  std::string cmd = "truncate -s " + size + " " + path + " && " + mkfs + " " + path + " >/dev/null 2>&1";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  return path;
}

constexpr const char* kUuid = "0d5c1e8a-1111-4222-8333-444455556666";

}  // namespace

TEST_CASE("ext4, xfs and btrfs superblocks give type, label and UUID as blkid does", "[targets]") {
  TempDir dir;
  struct Case {
    const char* type;
    const char* size;
    std::string mkfs;
  };
  const Case cases[] = {
      {"ext4", "8M", std::string("mkfs.ext4 -q -F -L kdumpdata -U ") + kUuid},
      {"xfs", "320M", std::string("mkfs.xfs -q -f -L kdumpdata -m uuid=") + kUuid},
      {"btrfs", "128M", std::string("mkfs.btrfs -q -f -L kdumpdata -U ") + kUuid},
  };
  for (const auto& c : cases) {
    INFO(c.type);
    auto image = make_image(dir, c.type, c.size, c.mkfs);
    auto fs = probe_device(image);
    REQUIRE(fs.ok());
    REQUIRE(fs->has_value());
    CHECK((*fs)->type == c.type);
    CHECK((*fs)->label == "kdumpdata");
    CHECK((*fs)->uuid == kUuid);
  }
}

TEST_CASE("a device without a known filesystem probes as nothing", "[targets]") {
  TempDir dir;
  auto image = make_image(dir, "blank", "1M", "true");
  auto fs = probe_device(image);
  REQUIRE(fs.ok());
  CHECK_FALSE(fs->has_value());
  CHECK_FALSE(probe_device(dir.path + "/absent").ok());
}

TEST_CASE("waiting for a device polls until it appears, then gives up with what it saw", "[targets]") {
  TempDir dir;
  std::string sys = dir.path + "/sys", dev = dir.path + "/dev";
  REQUIRE(std::system(("mkdir -p " + sys + " " + dev).c_str()) == 0);
  make_image(dir, "dev/vda", "8M", "mkfs.ext4 -q -F -L decoy");
  REQUIRE(std::system(("mkdir " + sys + "/vda").c_str()) == 0);

  // A fake clock: each sleep advances time; the target appears after 3 s.
  std::chrono::milliseconds now{0};
  bool appeared = false;
  kdk::Clock clock{[&] { return now; },
                   [&](std::chrono::milliseconds d) {
                     now += d;
                     if (now >= std::chrono::seconds(3) && !appeared) {
                       appeared = true;
                       make_image(dir, "dev/vdb", "8M", "mkfs.ext4 -q -F -L kdumpdata");
                       REQUIRE(std::system(("mkdir " + sys + "/vdb").c_str()) == 0);
                     }
                   }};
  kdk::config::DeviceSpec want{kdk::config::DeviceSpec::By::kLabel, "kdumpdata"};
  auto found = wait_for_device(want, std::chrono::seconds(10), clock, sys, dev);
  REQUIRE(found.ok());
  CHECK(found->name == "vdb");
  CHECK(now >= std::chrono::seconds(3));
  CHECK(now < std::chrono::seconds(4));

  now = std::chrono::milliseconds(0);
  kdk::config::DeviceSpec missing{kdk::config::DeviceSpec::By::kLabel, "nothere"};
  auto none = wait_for_device(missing, std::chrono::seconds(5), clock, sys, dev);
  REQUIRE_FALSE(none.ok());
  CHECK(now >= std::chrono::seconds(5));
  CHECK_THAT(none.error().message,
             Catch::Contains("no device with LABEL=nothere after 5 s") && Catch::Contains("LABEL=decoy"));
}
