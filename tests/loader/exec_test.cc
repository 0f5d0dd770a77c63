// `kdumpkit exec`'s pure parts: the next kernel's command line, and which
// mounts are released (and in which order) before the jump.
#include "loader/exec.h"

#include <catch2/catch.hpp>

using kdk::loader::mounts_to_release;
using kdk::loader::reboot_cmdline;

TEST_CASE("exec reuses the running command line without the old boot's file names", "[loader][exec]") {
  CHECK(reboot_cmdline("BOOT_IMAGE=/boot/vmlinuz-6.1.0-40-amd64 root=UUID=abc ro quiet crashkernel=256M\n",
                       "") == "root=UUID=abc ro quiet crashkernel=256M");
  CHECK(reboot_cmdline("console=ttyS0 initrd=initrd quiet", "quiet=1 kdk.exec=file") ==
        "console=ttyS0 quiet=1 kdk.exec=file");
  CHECK(reboot_cmdline("root=/dev/vda -- single", "systemd.unit=rescue.target") ==
        "root=/dev/vda systemd.unit=rescue.target -- single");
}

TEST_CASE("exec releases real file systems deepest first and leaves pseudo ones", "[loader][exec]") {
  const char* mountinfo =
      "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "23 1 0:22 / /sys rw shared:2 - sysfs sysfs rw\n"
      "25 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
      "26 25 0:5 / /dev rw shared:3 - devtmpfs udev rw,size=4000k\n"
      "30 25 254:2 / /var rw,relatime shared:5 - xfs /dev/vda2 rw\n"
      "31 30 254:3 / /var/lib/my\\040data rw shared:6 - btrfs /dev/vdb rw\n"
      "40 25 0:40 / /run rw shared:9 - tmpfs tmpfs rw\n"
      "41 25 0:41 / /mnt/share rw shared:10 - nfs4 srv:/export rw,vers=4.1\n"
      "garbage\n";
  auto steps = mounts_to_release(mountinfo);
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].mount_point == "/mnt/share");
  CHECK(steps[1].mount_point == "/var/lib/my data");
  CHECK(steps[1].fstype == "btrfs");
  CHECK(steps[2].mount_point == "/var");
  CHECK(steps[3].mount_point == "/");
}
