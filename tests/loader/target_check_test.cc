// Target checks against real filesystems on loop devices (needs root and
// losetup; skipped otherwise), and the mountinfo logic on fabricated text.
#include "loader/target_check.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "util/fd.h"
#include "tests/lib/test_env.h"

using namespace kdk;
using namespace kdk::loader;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// A 64 MiB image on a loop device, with an ext4 filesystem unless `fs` is empty.
struct LoopDisk {
  std::string dir, image, dev;
  explicit LoopDisk(const char* label, bool ext4 = true) {
    char tmpl[] = "/tmp/kdk-loop-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    image = dir + "/disk.img";
    REQUIRE(std::system(("truncate -s 64M " + image).c_str()) == 0);
    if (ext4) REQUIRE(std::system(("mkfs.ext4 -q -F -L " + std::string(label) + " " + image).c_str()) == 0);
    dev = run("losetup -f --show " + image + " 2>/dev/null");
  }
  ~LoopDisk() {
    if (!dev.empty()) std::system(("losetup -d " + dev).c_str());
    std::system(("rm -rf " + dir).c_str());
  }
  bool usable() const { return dev.rfind("/dev/loop", 0) == 0; }
  // Lists a path inside the filesystem without mounting it.
  std::string ls(const std::string& path) const {
    return run("debugfs -R 'ls -l " + path + "' " + dev + " 2>/dev/null");
  }
};

config::Target target(const std::string& text, int line = 7) {
  auto t = config::parse_target(text);
  REQUIRE(t.ok());
  t->line = line;
  return *t;
}

void require_loop() {
  kdk::test::require_root();
  kdk::test::require_tool("losetup", "mount");
  kdk::test::require_tool("mkfs.ext4", "e2fsprogs");
}

bool mounted(const std::string& dev) { return run("grep -c '^" + dev + " ' /proc/mounts") != "0"; }

}  // namespace

TEST_CASE("mountinfo lines give device, root, mountpoint and read-only", "[loader]") {
  auto m = parse_mountinfo(
      "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
      "40 22 7:3 /crash /var/crash\\040dir ro,nosuid master:2 - ext4 /dev/loop3 ro\n"
      "41 22 7:3 / /mnt rw - ext4 /dev/loop3 rw\n"
      "garbage\n");
  REQUIRE(m.size() == 3);
  CHECK(m[1].major == 7);
  CHECK(m[1].minor == 3);
  CHECK(m[1].root == "/crash");
  CHECK(m[1].mountpoint == "/var/crash dir");
  CHECK(m[1].read_only);
  CHECK_FALSE(m[2].read_only);

  SECTION("a read-write mount is preferred, and the directory maps into it") {
    auto p = find_mounted_path(m, 7, 3, "/crash/x");
    CHECK(p.path == "/mnt/crash/x");
    CHECK_FALSE(p.read_only);
  }
  SECTION("a bind mount of a subdirectory is used when it contains the directory") {
    std::vector<MountEntry> only_bind = {m[1]};
    CHECK(find_mounted_path(only_bind, 7, 3, "/crash/x").path == "/var/crash dir/x");
    CHECK(find_mounted_path(only_bind, 7, 3, "/crash").path == "/var/crash dir");
    CHECK(find_mounted_path(only_bind, 7, 3, "/other").path.empty());
  }
  SECTION("the root filesystem joins without a double slash") {
    CHECK(find_mounted_path(m, 259, 2, "/var/crash").path == "/var/crash");
    CHECK(find_mounted_path(m, 259, 2, "/").path == "/");
  }
  SECTION("another device is not mounted") { CHECK(find_mounted_path(m, 8, 1, "/").path.empty()); }
}

TEST_CASE("a missing raw device is refused", "[loader]") {
  TargetCheckOptions o;
  auto raw = check_target(target("raw:/dev/kdk-no-such-raw"), 0, o);
  REQUIRE(raw.problems.size() == 1);
  CHECK_FALSE(raw.found);
  auto lines = describe_problems({raw}, "/etc/kdumpkit.conf");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "/etc/kdumpkit.conf:7: target raw:/dev/kdk-no-such-raw: /dev/kdk-no-such-raw: No such file or "
        "directory");
  auto file = check_target(target("raw:/dev/null"), 0, o);
  REQUIRE(file.problems.size() == 1);
  CHECK_THAT(file.problems[0], Catch::Contains("not a block device"));
}

TEST_CASE("a missing device is named with what was seen", "[loader]") {
  auto c = check_target(target("disk:UUID=00000000-1111-2222-3333-444444444444:/crash"), 0, {});
  REQUIRE(c.problems.size() == 1);
  CHECK_FALSE(c.found);
  CHECK_THAT(c.problems[0], Catch::Contains("no device with UUID=00000000-1111-2222-3333-444444444444"));
}

TEST_CASE("target checks on a loop device", "[loader][root]") {
  require_loop();
  LoopDisk disk("kdkcheck");
  if (!disk.usable()) kdk::test::skip("losetup -f failed: no loop device can be set up here");

  SECTION("an unmounted filesystem is mounted privately, the directory created and left clean") {
    auto c = check_target(target("disk:" + disk.dev + ":/var/crash"), 1, {});
    INFO((c.problems.empty() ? c.summary : c.problems[0]));
    CHECK(c.ok());
    CHECK(c.found);
    CHECK(c.device.fs.type == "ext4");
    CHECK_THAT(c.summary, Catch::Contains("MiB free"));
    CHECK_FALSE(mounted(disk.dev));
    CHECK(run("ls -d /tmp/kdumpkit-check-* 2>/dev/null").empty());
    std::string listing = disk.ls("/var/crash");
    CHECK(listing.find(".kdumpkit-probe") == std::string::npos);
    CHECK(disk.ls("/var").find("crash") != std::string::npos);
  }

  SECTION("read-only (status) checks create nothing") {
    TargetCheckOptions o;
    o.mode = CheckMode::kReadOnly;
    std::string seen_dir;
    auto c = check_target(target("disk:" + disk.dev + ":/newdir"), 1, o,
                          [&](TargetCheck&, const std::string& d) { seen_dir = d; });
    CHECK(c.ok());
    CHECK_THAT(c.summary, Catch::Contains("not created yet"));
    CHECK(seen_dir.empty());
    CHECK(disk.ls("/").find("newdir") == std::string::npos);
    CHECK_FALSE(mounted(disk.dev));
  }

  SECTION("too little free space is a problem naming both numbers") {
    auto c = check_target(target("disk:" + disk.dev + ":/crash"), 100000, {});
    REQUIRE(c.problems.size() == 1);
    CHECK_THAT(c.problems[0], Catch::Contains("MiB free, min_free is 100000 MiB"));
  }

  SECTION("a directory that can't be created is not writable") {
    // A regular file where the directory should be.
    std::string mp = disk.dir + "/mnt";
    REQUIRE(make_directories(mp).ok());
    REQUIRE(::mount(disk.dev.c_str(), mp.c_str(), "ext4", 0, nullptr) == 0);
    REQUIRE(write_file(mp + "/notadir", "x").ok());
    REQUIRE(::umount(mp.c_str()) == 0);
    auto c = check_target(target("disk:" + disk.dev + ":/notadir/crash"), 1, {});
    REQUIRE(c.problems.size() == 1);
    CHECK_THAT(c.problems[0], Catch::Contains("directory /notadir/crash is not writable"));
  }

  SECTION("an immutable directory is not writable even for root") {
    std::string mp = disk.dir + "/mnt";
    REQUIRE(make_directories(mp).ok());
    REQUIRE(::mount(disk.dev.c_str(), mp.c_str(), "ext4", 0, nullptr) == 0);
    REQUIRE(make_directories(mp + "/locked").ok());
    REQUIRE(std::system(("chattr +i " + mp + "/locked").c_str()) == 0);
    auto c = check_target(target("disk:" + disk.dev + ":/locked"), 1, {});
    std::system(("chattr -i " + mp + "/locked").c_str());
    ::umount(mp.c_str());
    REQUIRE(c.problems.size() == 1);
    CHECK_THAT(c.problems[0], Catch::Contains("not writable") && Catch::Contains("Operation not permitted"));
  }

  SECTION("an existing mount is used, not a second one") {
    std::string mp = disk.dir + "/mnt";
    REQUIRE(make_directories(mp).ok());
    REQUIRE(::mount(disk.dev.c_str(), mp.c_str(), "ext4", 0, nullptr) == 0);
    std::string seen_dir;
    auto c = check_target(target("disk:" + disk.dev + ":/dumps"), 1, {},
                          [&](TargetCheck&, const std::string& d) { seen_dir = d; });
    CHECK(c.ok());
    CHECK_THAT(c.summary, Catch::Contains("mounted"));
    CHECK(seen_dir == mp + "/dumps");
    CHECK(path_exists(mp + "/dumps"));
    CHECK_FALSE(path_exists(mp + "/dumps/.kdumpkit-probe-" + std::to_string(::getpid())));
    ::umount(mp.c_str());
  }

  SECTION("a read-only mount can't be checked for writing, but status is fine with it") {
    std::string mp = disk.dir + "/mnt";
    REQUIRE(make_directories(mp).ok());
    REQUIRE(::mount(disk.dev.c_str(), mp.c_str(), "ext4", MS_RDONLY, nullptr) == 0);
    auto w = check_target(target("disk:" + disk.dev + ":/"), 1, {});
    TargetCheckOptions ro;
    ro.mode = CheckMode::kReadOnly;
    auto r = check_target(target("disk:" + disk.dev + ":/"), 1, ro);
    ::umount(mp.c_str());
    REQUIRE(w.problems.size() == 1);
    CHECK_THAT(w.problems[0], Catch::Contains("mounted read-only"));
    CHECK(r.ok());
  }

  SECTION("all problems of all targets are reported") {
    auto cfg = config::parse_config(
        "target = disk:UUID=00000000-1111-2222-3333-444444444444\n"
        "target = disk:" +
            disk.dev +
            ":/crash\n"
            "target = nfs://h/x\n"
            "min_free = 100000\n",
        "k.conf");
    REQUIRE(cfg.ok());
    auto checks = check_targets(*cfg, {});
    auto lines = describe_problems(checks, "k.conf");
    REQUIRE(lines.size() == 3);
    CHECK_THAT(lines[0], Catch::StartsWith("k.conf:1: target disk:UUID="));
    CHECK_THAT(lines[1], Catch::StartsWith("k.conf:2: target disk:/dev/loop") && Catch::Contains("min_free"));
    CHECK_THAT(lines[2], Catch::StartsWith("k.conf:3: target nfs://h/x"));
  }
}

TEST_CASE("a device without a supported filesystem is refused", "[loader][root]") {
  require_loop();
  LoopDisk blank("none", false);
  if (!blank.usable()) kdk::test::skip("losetup -f failed: no loop device can be set up here");
  auto c = check_target(target("disk:" + blank.dev), 1, {});
  REQUIRE(c.problems.size() == 1);
  CHECK_THAT(c.problems[0], Catch::Contains("no known filesystem (ext4, xfs, btrfs)"));
}

TEST_CASE("network targets are checked by writing to them at load, and left alone by status", "[loader]") {
  // Port 9 (discard) on loopback: nothing listens there, the connection is refused.
  auto cfg = kdk::config::parse_config("target = http://127.0.0.1:9/crash\nretries = 3\n", "k.conf");
  REQUIRE(cfg.ok());
  TargetCheckOptions o;
  auto checks = check_targets(*cfg, o);
  REQUIRE(checks.size() == 1);
  REQUIRE(checks[0].problems.size() == 1);
  CHECK_THAT(checks[0].problems[0], Catch::Contains("127.0.0.1:9"));
  CHECK_THAT(checks[0].problems[0], Catch::Contains("refused"));
  o.mode = CheckMode::kReadOnly;
  auto quiet = check_targets(*cfg, o);
  REQUIRE(quiet.size() == 1);
  CHECK(quiet[0].ok());
  CHECK_THAT(quiet[0].summary, Catch::Contains("checked by load"));
}

TEST_CASE("raw targets on loop devices", "[loader][root]") {
  require_loop();
  SECTION("a blank device is usable, with a warning when smaller than memory") {
    LoopDisk blank("none", false);
    if (!blank.usable()) kdk::test::skip("losetup -f failed: no loop device can be set up here");
    auto c = check_target(target("raw:" + blank.dev), 0, {});
    INFO((c.problems.empty() ? c.summary : c.problems[0]));
    CHECK(c.ok());
    CHECK(c.found);
    CHECK(c.device.fs.type.empty());
    CHECK_THAT(c.summary, Catch::Contains("(raw, 64 MiB)"));
    REQUIRE(c.warnings.size() == 1);
    CHECK_THAT(c.warnings[0], Catch::Contains("smaller than this machine's memory"));
  }
  SECTION("a udev link is refused: the capture kernel has none") {
    LoopDisk blank("none", false);
    if (!blank.usable()) kdk::test::skip("losetup -f failed: no loop device can be set up here");
    std::string link = "/dev/kdk-test-raw-link";
    ::unlink(link.c_str());
    REQUIRE(::symlink(blank.dev.c_str(), link.c_str()) == 0);
    auto c = check_target(target("raw:" + link), 0, {});
    ::unlink(link.c_str());
    REQUIRE(c.problems.size() == 1);
    CHECK_THAT(c.problems[0], Catch::Contains("configure raw:" + blank.dev));
  }
  SECTION("a filesystem on it is not overwritten without being told") {
    LoopDisk disk("precious");
    if (!disk.usable()) kdk::test::skip("losetup -f failed: no loop device can be set up here");
    auto c = check_target(target("raw:" + disk.dev), 0, {});
    REQUIRE(c.problems.size() == 1);
    CHECK_THAT(c.problems[0],
               Catch::Contains("carries a ext4 filesystem (LABEL=precious") && Catch::Contains("wipefs -a"));
    std::string mp = disk.dir + "/mnt";
    REQUIRE(make_directories(mp).ok());
    REQUIRE(::mount(disk.dev.c_str(), mp.c_str(), "ext4", 0, nullptr) == 0);
    auto m = check_target(target("raw:" + disk.dev), 0, {});
    ::umount(mp.c_str());
    REQUIRE(m.problems.size() == 2);
    CHECK_THAT(m.problems[0], Catch::Contains("is in use (mounted on " + mp + ")"));
  }
}
